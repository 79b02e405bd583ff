"""Orders by amount ("buy 500 USD of AAPL") and fractional quantities: normalised with clear refusals,
risk-checked at their amount (property-based: no amount order passes a money limit its amount exceeds),
and taken through preview -> confirm -> fill -> a fractional position -> its sale, with the real SDK
against the simulator."""

from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.client import broker_for
from broker.types import OrderIntent
from core.errors import InvalidInput
from trading import intents, selectors
from trading.intents import normalise_intent
from trading.models import Order, OrderStatus
from trading.risk import RiskContext, evaluate
from trading.services.orders import NOT_FRACTIONAL
from trading.tests.test_brackets import _policy

S = OrderStatus
D = Decimal
FIVE = D("0.00001")


def intent(**over):
    values = dict(account_number="A1", symbol="AAPL", side="BUY", quantity=None, amount="500", order_type="MKT")
    values.update(over)
    return normalise_intent(**values)


def test_an_amount_is_part_of_the_order_and_its_hash_and_whole_share_orders_keep_theirs():
    by_amount = intent()
    assert by_amount.amount == D("500") and by_amount.quantity is None and by_amount.is_fractional
    assert OrderIntent.from_canonical(by_amount.canonical()) == by_amount
    assert by_amount.hash() != intent(amount="500.01").hash()
    whole = intent(amount=None, quantity="10")
    assert "amount" not in whole.canonical() and not whole.is_fractional
    assert intent(amount=None, quantity="0.5").quantity == D("0.5")


@pytest.mark.parametrize("over, message", [
    ({"quantity": "10"}, intents.QUANTITY_OR_AMOUNT),
    ({"amount": None}, intents.NEEDS_QUANTITY),
    ({"amount": "500.001"}, intents.AMOUNT_CENTS.format(value="500.001")),
    ({"amount": "-5"}, "amount must be a positive decimal number"),
    ({"symbol": "00700"}, intents.AMOUNT_US_STOCKS),
    ({"order_type": "LMT", "limit_price": "180"}, "An order by amount is for a US stock's MKT order, DAY"),
    ({"time_in_force": "GTC"}, "(got MKT, GTC)"),
    ({"outside_rth": True}, "outside_rth"),
    ({"amount": None, "quantity": "0.5", "order_type": "LMT", "limit_price": "180"},
     "A fractional quantity (0.5) is for a US stock's MKT order"),
    ({"amount": None, "quantity": "0.000001"}, "quantity has more than 5 decimal places (0.000001)"),
    ({"amount": None, "quantity": "1.5", "symbol": "00700"}, intents.WHOLE_SHARES.format(value="1.5")),
])
def test_bad_amount_and_fraction_orders_say_how_to_fix_them(over, message):
    with pytest.raises(InvalidInput) as err:
        intent(**over)
    assert message in err.value.message


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(1, 3_000_000), last=st.integers(1, 100_000), exposure=st.integers(0, 25_000),
       max_notional=st.integers(1, 20_000), max_qty=st.integers(1, 500), side=st.sampled_from(["BUY", "SELL"]))
def test_no_amount_order_passes_a_limit_its_amount_exceeds(amount, last, exposure, max_notional, max_qty, side):
    order = intent(amount=str(D(amount) / 100), side=side)
    ctx = RiskContext(last_price=D(last) / 100, open_exposure=D(exposure))
    decision = evaluate(policy=_policy(max_order_notional=D(max_notional), max_order_quantity=D(max_qty)),
                        intent=order, ctx=ctx)
    shares = order.amount / ctx.last_price
    if decision.accepted:
        # Its value is its amount, whatever the price; its quantity the shares the amount buys.
        assert order.amount <= max_notional and D(exposure) + order.amount <= 20000
        assert shares.quantize(D("0.000001")) <= max_qty and D(decision.notional) == order.amount
    else:
        assert decision.rule in ("max_quantity", "max_notional", "max_open_exposure")
        assert (order.amount > max_notional or D(exposure) + order.amount > 20000
                or shares.quantize(D("0.000001")) > max_qty)


def test_an_amount_order_without_a_last_price_is_refused():
    decision = evaluate(policy=_policy(), intent=intent(), ctx=RiskContext(last_price=None))
    assert not decision.accepted and decision.rule == "no_quote"


@pytest.mark.django_db
def test_buy_by_amount_fills_in_fractions_and_the_fractional_position_is_sold(sim, account, place, system_actor):
    from trading import services

    order = place(quantity=None, amount="500")
    assert order.amount == D("500") and order.status in (S.SUBMITTED, S.FILLED)
    at_broker = sim.exchange.accounts[account.account_number].orders[int(order.broker_id)]
    assert at_broker.cash_amount == D("500")
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    # As many shares as 500 USD buys at the price it filled at (the quote may move between a read here and the fill).
    shares = (D(500) / at_broker.avg_fill_price).quantize(FIVE, rounding=ROUND_FLOOR)
    assert order.status == S.FILLED and order.filled_quantity == shares == order.quantity
    assert shares != shares.to_integral_value()
    # The position as Tiger's reply carries it (an integer and its scale, and positionQty), read by the SDK.
    held = {p.symbol: p.quantity for p in broker_for(account).positions()}
    assert held["AAPL"] == shares == sim.exchange.accounts[account.account_number].positions["AAPL"].quantity
    # Sell the fraction: a fractional quantity, through the same preview and confirmation.
    fraction = shares - shares.to_integral_value(rounding=ROUND_FLOOR)
    sold = place(side="SELL", quantity=str(fraction))
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    sold.refresh_from_db()
    assert sold.status == S.FILLED and sold.filled_quantity == fraction and sold.amount is None
    assert sim.exchange.accounts[account.account_number].positions["AAPL"].quantity == \
        shares.to_integral_value(rounding=ROUND_FLOOR)


@pytest.mark.django_db
def test_a_symbol_that_does_not_trade_in_fractions_is_refused_before_anything_is_sent(sim, account, place):
    with pytest.raises(InvalidInput) as err:
        place(symbol="QQQ", quantity=None, amount="500")
    assert err.value.message == NOT_FRACTIONAL.format(symbol="QQQ", what="an order by amount")
    with pytest.raises(InvalidInput) as err:
        place(symbol="QQQ", quantity="0.5")
    assert "a fractional quantity (0.5)" in err.value.message
    assert not Order.objects.filter(account=account).exists()
    assert not sim.exchange.accounts[account.account_number].orders


@pytest.mark.django_db
def test_an_amount_order_counts_its_amount_in_open_exposure(sim, account, place, system_actor):
    from trading import services

    sim.clock.advance(0)
    order = place(quantity=None, amount="250")
    exposure = sum(selectors.open_exposure_by_currency(account=account).values(), D(0))
    if order.status == S.FILLED:
        assert exposure == 0
    else:
        # The estimate: the shares at the reference price are worth the amount, to the cent.
        assert abs(exposure - D(250)) < D("0.01")
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)


@pytest.mark.django_db
def test_closing_a_fractional_position_sells_all_of_it(sim, account, place, system_actor):
    from trading import services

    place(quantity="1.25")
    held = sim.exchange.accounts[account.account_number].positions["AAPL"].quantity
    assert held == D("1.25")
    preview = services.position_close_preview(actor=system_actor, account_number=account.account_number,
                                              symbol="AAPL")
    assert preview.order["quantity"] == "1.25" and preview.order["side"] == "SELL"
    services.order_place(actor=system_actor, account_number=account.account_number,
                         confirmation_token=preview.confirmation_token, idempotency_key="close-fraction")
    assert sim.exchange.accounts[account.account_number].positions["AAPL"].quantity == 0
