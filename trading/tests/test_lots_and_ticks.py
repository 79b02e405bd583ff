"""Board lots and tick sizes, refused before anything is sent, with the nearest valid values."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.types import OrderIntent
from core.errors import InvalidInput
from trading.lots_and_ticks import (HK_TICKS, check_lots_and_ticks, is_on_tick, nearest_prices, nearest_quantities,
                                    tick_size)
from trading.services import order_modify_preview, order_preview


def hk(quantity="100", limit=None, stop=None, order_type="LMT"):
    return OrderIntent(symbol="00700", side="BUY", quantity=Decimal(quantity), order_type=order_type,
                       limit_price=None if limit is None else Decimal(limit),
                       stop_price=None if stop is None else Decimal(stop))


def test_the_message_names_the_nearest_whole_lots():
    with pytest.raises(InvalidInput) as err:
        check_lots_and_ticks(hk("150", "380"), lot_size=Decimal(100))
    assert err.value.message == "quantity 150 is not a multiple of the board lot 100 for 00700: use 100 or 200."
    assert err.value.code == "not_board_lot"
    with pytest.raises(InvalidInput) as err:  # below one lot there is only the one above
        check_lots_and_ticks(hk("50", "380"), lot_size=Decimal(100))
    assert err.value.message.endswith("use 100.")


def test_the_message_names_the_nearest_ticks_of_the_price_band():
    with pytest.raises(InvalidInput) as err:
        check_lots_and_ticks(hk("100", "380.1"), lot_size=Decimal(100))
    assert err.value.code == "off_tick"
    assert err.value.message == ("limit_price 380.1 is not on 00700's tick ladder (HK tick 0.2 at this price): "
                                 "use 380 or 380.2.")
    aapl = OrderIntent(symbol="AAPL", side="SELL", quantity=Decimal(1), order_type="STP", stop_price=Decimal("187.255"))
    with pytest.raises(InvalidInput) as err:
        check_lots_and_ticks(aapl, lot_size=None)
    assert err.value.message.startswith("stop_price 187.255") and err.value.message.endswith("use 187.25 or 187.26.")
    penny = OrderIntent(symbol="SNDL", side="BUY", quantity=Decimal(1), order_type="LMT", limit_price=Decimal("0.12345"))
    with pytest.raises(InvalidInput) as err:
        check_lots_and_ticks(penny, lot_size=None)
    assert err.value.message.endswith("use 0.1234 or 0.1235.")
    check_lots_and_ticks(hk("200", "380.2"), lot_size=Decimal(100))  # valid: no error
    check_lots_and_ticks(hk("100", "10"), lot_size=Decimal(100))  # a band's bound is on both ladders


def test_hkex_band_bounds_belong_to_the_lower_band():
    assert tick_size("HK", Decimal("10")) == Decimal("0.01")
    assert tick_size("HK", Decimal("10.02")) == Decimal("0.02")
    assert tick_size("US", Decimal("0.9999")) == Decimal("0.0001") and tick_size("US", Decimal(1)) == Decimal("0.01")


prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("20000"), places=4)


@settings(max_examples=400, deadline=None)
@given(market=st.sampled_from(["HK", "US"]), price=prices)
def test_nearest_prices_are_valid_and_bracket_the_price(market, price):
    choices = nearest_prices(market, price)
    assert all(is_on_tick(market, c) for c in choices)
    if is_on_tick(market, price):
        assert choices == (price,)
        return
    above = choices[-1]
    assert above > price
    if len(choices) == 2:
        below = choices[0]
        assert below < price
    else:
        below = Decimal(0)  # nothing valid and positive lies below
    # Adjacent: no valid price lies strictly between them (one tick of the band apart).
    assert above - below <= tick_size(market, price)


@settings(max_examples=400, deadline=None)
@given(quantity=st.integers(min_value=1, max_value=10**7), lot=st.sampled_from([1, 100, 200, 400, 500, 1000, 2000]))
def test_nearest_quantities_are_whole_lots_and_bracket_the_quantity(quantity, lot):
    quantity, lot = Decimal(quantity), Decimal(lot)
    choices = nearest_quantities(quantity, lot)
    assert all(c % lot == 0 and c > 0 for c in choices)
    if quantity % lot == 0:
        assert choices == (quantity,)
    else:
        assert choices[-1] > quantity and choices[-1] - quantity < lot
        assert len(choices) == 1 or (choices[0] < quantity and choices[-1] - choices[0] == lot)


def test_the_ladder_bounds_are_on_both_neighbouring_ladders():
    lower = Decimal("0.01")
    for bound, tick in HK_TICKS:
        assert lower % tick == 0
        if bound.is_finite():
            assert bound % tick == 0
        lower = bound


# --- through the services, to the simulator ------------------------------------------------------

def sim_orders(sim, account):
    return list(sim.exchange.accounts[account.account_number].orders.values())


@pytest.mark.django_db
def test_preview_refuses_an_odd_lot_before_anything_is_sent(system_actor, account, sim):
    with pytest.raises(InvalidInput) as err:
        order_preview(actor=system_actor, account_number=account.account_number, symbol="00700", side="BUY",
                      quantity="150", order_type="MKT")
    assert err.value.message == "quantity 150 is not a multiple of the board lot 100 for 00700: use 100 or 200."
    with pytest.raises(InvalidInput) as err:  # HSBC trades in lots of 400: the lot is the contract's
        order_preview(actor=system_actor, account_number=account.account_number, symbol="00005", side="BUY",
                      quantity="500", order_type="MKT")
    assert "board lot 400 for 00005: use 400 or 800." in err.value.message
    assert sim_orders(sim, account) == []


@pytest.mark.django_db
def test_preview_refuses_a_price_off_the_tick_ladder(system_actor, account, sim, last_price):
    off = last_price() + Decimal("0.005")
    with pytest.raises(InvalidInput) as err:
        order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL", side="BUY",
                      quantity="1", order_type="LMT", limit_price=str(off))
    assert err.value.code == "off_tick" and "AAPL's tick ladder (US tick 0.01" in err.value.message


@pytest.mark.django_db
def test_modify_preview_refuses_off_tick_and_odd_lots(system_actor, account, place, last_price):
    limit = (last_price() * Decimal("0.95")).quantize(Decimal("0.01"))
    order = place(quantity="2", order_type="LMT", limit_price=str(limit))
    with pytest.raises(InvalidInput) as err:
        order_modify_preview(actor=system_actor, account_number=account.account_number, order_id=order.pk,
                             limit_price=str(limit - Decimal("0.001")))
    assert err.value.code == "off_tick"
