"""close_position: the order that takes all or part of a position off, previewed and confirmed like any
order, and let through by the kill switch and "closing only" because it reduces the position."""

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import InvalidInput, NotFound
from trading import services
from trading.models import AccountTradingState, OrderStatus
from trading.risk import RiskRefused

pytestmark = pytest.mark.django_db


def held(account, symbol="AAPL") -> Decimal:
    return services.position_quantity(account, symbol)


def close(actor, account, **given):
    preview = services.position_close_preview(actor=actor, account_number=account.account_number, **given)
    order = services.order_place(actor=actor, account_number=account.account_number,
                                 confirmation_token=preview.confirmation_token)
    return preview, order


def test_closes_part_then_all_of_a_long_position(system_actor, account, sim, place):
    place(quantity="10")
    sim.match()
    preview, order = close(system_actor, account, symbol="aapl", quantity="4")
    assert (preview.order["side"], preview.order["quantity"], preview.order["order_type"]) == ("SELL", "4", "MKT")
    assert order.status == OrderStatus.SUBMITTED and order.side == "SELL" and order.quantity == 4
    sim.match()
    assert held(account) == 6
    _, rest = close(system_actor, account, symbol="AAPL")
    assert rest.quantity == 6
    sim.match()
    assert held(account) == 0


def test_a_limit_close_rests_at_its_price(system_actor, account, sim, place, last_price):
    place(quantity="3")
    sim.match()
    limit = (last_price() * Decimal("1.2")).quantize(Decimal("0.01"))
    preview, order = close(system_actor, account, symbol="AAPL", order_type="LMT", limit_price=str(limit))
    assert order.limit_price == limit and order.status == OrderStatus.SUBMITTED
    sim.match()
    assert held(account) == 3  # a sale 20 % above the market waits


def test_the_kill_switch_and_closing_only_let_a_close_through_and_nothing_else(system_actor, account, sim, place):
    place(quantity="5")
    sim.match()
    services.kill_switch_set(actor=system_actor, active=True, account_number=account.account_number, reason="stop")
    with pytest.raises(RiskRefused) as err:
        place(quantity="1")
    assert err.value.decision.rule == "kill_switch"
    _, order = close(system_actor, account, symbol="AAPL", quantity="2")
    assert order.status == OrderStatus.SUBMITTED
    services.kill_switch_set(actor=system_actor, active=False, account_number=account.account_number)
    sim.match()
    # Until the fill is reconciled, the sale still counts as working and only 1 more share is closable.
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)

    AccountTradingState.objects.update_or_create(account=account, defaults={"closing_only_day": services.trading_day()})
    with pytest.raises(RiskRefused) as err:
        place(quantity="1")
    assert err.value.decision.rule == "closing_only"
    assert "daily loss limit (10000 USD) was reached today" in err.value.message
    _, order = close(system_actor, account, symbol="AAPL")
    assert order.quantity == 3 and order.status == OrderStatus.SUBMITTED


def test_no_position_and_more_than_held_say_what_to_do(system_actor, account, sim, place):
    with pytest.raises(NotFound) as err:
        services.position_close_preview(actor=system_actor, account_number=account.account_number, symbol="MSFT")
    assert "holds no shares of MSFT" in err.value.message and "get_positions" in err.value.message
    place(quantity="2")
    sim.match()
    with pytest.raises(InvalidInput) as err:
        services.position_close_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL",
                                        quantity="3")
    assert err.value.code == "more_than_held" and "close at most 2" in err.value.message
    for bad in ("0", "-1", "lots"):
        with pytest.raises(InvalidInput, match="positive number"):
            services.position_close_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL",
                                            quantity=bad)
    with pytest.raises(InvalidInput, match="Name the position"):
        services.position_close_preview(actor=system_actor, account_number=account.account_number)


def test_an_option_position_is_closed_by_its_identifier(system_actor, account, sim):
    from trading.tests.factories import preview_and_place
    from trading.tests.test_option_orders import _chain_call

    call = _chain_call(system_actor, account)
    preview_and_place(system_actor, account, "open-call", identifier=call.identifier, side="BUY", quantity="2", order_type="MKT")
    sim.match()
    preview, order = close(system_actor, account, identifier=call.identifier.lower())
    assert (preview.order["sec_type"], preview.order["side"], preview.order["quantity"]) == ("OPT", "SELL", "2")
    assert order.identifier == call.identifier and order.multiplier == 100
    sim.match()
    # Sold: Tiger (the simulator) no longer lists the contract among the account's options.
    with pytest.raises(NotFound, match="holds no option"):
        services.position_close_preview(actor=system_actor, account_number=account.account_number,
                                        identifier=call.identifier)


def test_a_futures_position_closes_by_its_code_or_product_long_or_short(system_actor, futures_account, sim, place):
    sim.transfer_to_futures(futures_account.account_number, "USD", Decimal("200000"))  # margin for 3 ES and 2 NQ
    front = place(sec_type="FUT", symbol="ES", side="BUY", quantity="3").symbol
    sim.match()
    preview, order = close(system_actor, futures_account, symbol=front.lower(), quantity="1")
    assert (preview.order["sec_type"], preview.order["symbol"], preview.order["side"], preview.order["quantity"],
            preview.order["multiplier"]) == ("FUT", front, "SELL", "1", "50")
    assert order.status == OrderStatus.SUBMITTED and order.sec_type == "FUT"
    sim.match()
    at_tiger = sim.exchange.accounts[futures_account.account_number].positions
    assert at_tiger[front].quantity == 2
    # A short position is bought back, and the kill switch lets the close through.
    nasdaq = place(sec_type="FUT", symbol="NQ", side="SELL", quantity="2").symbol
    sim.match()
    assert at_tiger[nasdaq].quantity == -2
    services.kill_switch_set(actor=system_actor, active=True, account_number=futures_account.account_number,
                             reason="stop")
    with pytest.raises(RiskRefused) as err:
        place(sec_type="FUT", symbol="NQ", side="SELL", quantity="1")
    assert err.value.decision.rule == "kill_switch"
    preview, order = close(system_actor, futures_account, symbol="NQ")  # the product: its one month held
    assert (preview.order["symbol"], preview.order["side"], preview.order["quantity"]) == (nasdaq, "BUY", "2")
    sim.match()
    assert nasdaq not in at_tiger or at_tiger[nasdaq].quantity == 0


def test_a_product_held_in_two_months_asks_which_one(system_actor, futures_account, sim, place):
    front = place(sec_type="FUT", symbol="ES", side="BUY", quantity="1").symbol
    later = "ES2703"  # the next quarter's (the simulator's clock is 2026-11-23: the front is ES2612)
    place(sec_type="FUT", symbol=later, side="BUY", quantity="1")
    sim.match()
    with pytest.raises(InvalidInput) as err:
        services.position_close_preview(actor=system_actor, account_number=futures_account.account_number, symbol="ES")
    assert err.value.code == "which_month" and f"({front}, {later})" in err.value.message
    preview = services.position_close_preview(actor=system_actor, account_number=futures_account.account_number,
                                              symbol=later)
    assert (preview.order["symbol"], preview.order["side"], preview.order["quantity"]) == (later, "SELL", "1")
