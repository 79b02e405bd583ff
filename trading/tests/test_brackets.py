"""Brackets: a LMT entry with a take-profit and/or stop-loss attached. Validated on the right sides of
the limit price, risk-checked as its entry once (property-based), and taken through preview ->
confirm -> entry fills -> legs work -> take-profit fills -> stop-loss cancelled, with the real SDK
against the simulator; cancelling an unfilled entry cancels its legs."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.types import OrderIntent
from core.errors import InvalidInput
from trading import selectors, services
from trading.intents import BRACKET_NEEDS_LMT, normalise_intent
from trading.models import Leg, Order, OrderStatus
from trading.risk import PolicyView, RiskContext, evaluate

S = OrderStatus
D = Decimal
CENT = D("0.01")


def intent(**over):
    values = dict(account_number="A1", symbol="AAPL", side="BUY", quantity="10", order_type="LMT", limit_price="100")
    values.update(over)
    return normalise_intent(**values)


def test_a_bracket_is_part_of_the_order_and_its_hash_and_plain_orders_keep_theirs():
    bracket = intent(take_profit_price="110", stop_loss_price="95.5")
    assert bracket.take_profit_price == D("110") and bracket.stop_loss_price == D("95.5") and bracket.is_bracket
    assert OrderIntent.from_canonical(bracket.canonical()) == bracket
    assert bracket.hash() != intent().hash() != intent(take_profit_price="110").hash()
    assert not {"take_profit_price", "stop_loss_price"} & set(intent().canonical())


@pytest.mark.parametrize("over, message", [
    ({"take_profit_price": "99"}, "take_profit_price 99 must be above the limit_price 100 of this BUY entry "
                                  "(the take-profit sells higher); give a take_profit_price above 100."),
    ({"stop_loss_price": "100"}, "stop_loss_price 100 must be below the limit_price 100 of this BUY entry "
                                 "(the stop-loss sells lower); give a stop_loss_price below 100."),
    ({"side": "SELL", "take_profit_price": "101"}, "take_profit_price 101 must be below the limit_price 100 of this "
                                                   "SELL entry (the take-profit buys back lower)"),
    ({"side": "SELL", "stop_loss_price": "99"}, "stop_loss_price 99 must be above the limit_price 100"),
    ({"order_type": "MKT", "limit_price": None, "stop_loss_price": "90"}, BRACKET_NEEDS_LMT.format(value="MKT")),
    ({"stop_loss_price": "-1"}, "stop_loss_price must be a positive decimal number"),
])
def test_legs_on_the_wrong_side_or_on_a_non_limit_entry_say_how_to_fix_them(over, message):
    with pytest.raises(InvalidInput) as err:
        intent(**over)
    assert message in err.value.message


def _policy(**over) -> PolicyView:
    values = dict(version=1, currency="USD", max_order_quantity=D("100"), max_order_notional=D("10000"),
                  price_collar_pct=D("10"), allowed_symbols=(), denied_symbols=(),
                  allowed_order_types=("MKT", "LMT", "STP", "STP_LMT"), allowed_markets=("US",),
                  max_orders_per_minute=5, duplicate_window_seconds=10, daily_loss_limit=None,
                  max_open_exposure=D("20000"))
    values.update(over)
    return PolicyView(**values)


@settings(max_examples=150, deadline=None)
@given(side=st.sampled_from(["BUY", "SELL"]), qty=st.integers(1, 150), limit=st.integers(5000, 15000),
       last=st.integers(5000, 15000), exposure=st.integers(0, 25000), tp=st.integers(1, 3000),
       sl=st.integers(1, 3000), legs=st.sampled_from(["TP", "SL", "both"]))
def test_no_bracket_passes_a_limit_its_entry_exceeds(side, qty, limit, last, exposure, tp, sl, legs):
    limit_price, sign = D(limit) / 100, 1 if side == "BUY" else -1
    entry = intent(side=side, quantity=str(qty), limit_price=str(limit_price))
    bracket = intent(side=side, quantity=str(qty), limit_price=str(limit_price),
                     take_profit_price=str(limit_price + sign * D(tp) / 100) if legs != "SL" else None,
                     stop_loss_price=str(max(CENT, limit_price - sign * D(sl) / 100)) if legs != "TP" else None)
    ctx = RiskContext(last_price=D(last) / 100, open_exposure=D(exposure))
    plain = evaluate(policy=_policy(), intent=entry, ctx=ctx)
    with_legs = evaluate(policy=_policy(), intent=bracket, ctx=ctx)
    # The same decision, rule and exposure: the legs add nothing, and never hide what the entry breaks.
    assert (with_legs.accepted, with_legs.rule, with_legs.exposure, with_legs.notional) == \
        (plain.accepted, plain.rule, plain.exposure, plain.notional)


def test_a_stop_loss_leg_is_refused_where_the_policy_allows_no_stop_orders():
    decision = evaluate(policy=_policy(allowed_order_types=("LMT",)), intent=intent(stop_loss_price="90"),
                        ctx=RiskContext(last_price=D("100")))
    assert not decision.accepted and decision.rule == "order_type" and decision.value == "STP"


def _bracket(place, last_price, **over):
    last = last_price("AAPL")
    values = dict(order_type="LMT", limit_price=str(last * 2), quantity="10",
                  take_profit_price=str(last * 3), stop_loss_price=str((last / 2).quantize(CENT)))
    values.update(over)
    return place(**values)


@pytest.mark.django_db
def test_entry_fills_legs_work_the_take_profit_fills_and_the_stop_loss_is_cancelled(
        sim, account, place, last_price, system_actor):
    q = sim.quote("AAPL")
    entry = _bracket(place, last_price, limit_price=str(q.ask), take_profit_price=str(q.ask + CENT))
    assert entry.status in (S.SUBMITTED, S.FILLED) and entry.take_profit_price == q.ask + CENT
    legs = {leg.leg: leg for leg in entry.legs.all()}
    assert set(legs) == {Leg.PROFIT, Leg.LOSS}
    profit, loss = legs[Leg.PROFIT], legs[Leg.LOSS]
    assert (profit.side, profit.order_type, profit.limit_price, profit.quantity) == ("SELL", "LMT", q.ask + CENT, 10)
    assert (loss.side, loss.order_type, loss.stop_price) == ("SELL", "STP", entry.stop_loss_price)
    assert profit.remark == loss.remark == entry.remark and profit.broker_id != loss.broker_id
    held = sim.exchange.accounts[account.account_number].orders
    assert held[int(profit.broker_id)].parent_id == int(entry.broker_id)
    # The legs count once, as the entry: no exposure of their own, and one sale of the 10 shares.
    assert sum(selectors.open_exposure_by_currency(account=account).values(), D(0)) == \
        (entry.remaining_quantity * entry.reference_price if entry.status != S.FILLED else D(0))
    assert selectors.open_same_side_remaining(account=account, intent=intent(side="SELL")) == 10
    start = sim.clock.now()
    try:  # the price walks until the take-profit fills; the session's clock is given back after
        for _ in range(300):
            if held[int(profit.broker_id)].status == "Filled":
                break
            sim.clock.advance(60)
            sim.match()
    finally:
        sim.clock.set(start)
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    entry.refresh_from_db(), profit.refresh_from_db(), loss.refresh_from_db()
    assert entry.status == S.FILLED and profit.status == S.FILLED and profit.filled_quantity == 10
    assert loss.status == S.CANCELLED and held[int(loss.broker_id)].reason.endswith("its OCA group filled")
    assert profit.fills.count() == 1


@pytest.mark.django_db
def test_cancelling_an_unfilled_entry_cancels_its_legs(sim, account, place, last_price, system_actor):
    last = last_price("AAPL")
    low = (last * D("0.8")).quantize(CENT)
    entry = _bracket(place, last_price, limit_price=str(low), take_profit_price=str(low + 5),
                     stop_loss_price=str(low - 5))
    assert entry.status == S.SUBMITTED and entry.legs.count() == 2
    held = sim.exchange.accounts[account.account_number].orders
    assert all(leg.status == S.SUBMITTED and held[int(leg.broker_id)].status == "PendingNew"
               for leg in entry.legs.all())  # acknowledged; Tiger holds them until the entry fills
    preview = services.order_cancel_preview(actor=system_actor, account_number=account.account_number,
                                            order_id=entry.pk)
    services.order_cancel(actor=system_actor, account_number=account.account_number, order_id=entry.pk,
                          confirmation_token=preview.confirmation_token)
    sim.match()
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    entry.refresh_from_db()
    assert entry.status == S.CANCELLED
    assert [leg.status for leg in entry.legs.all()] == [S.CANCELLED, S.CANCELLED]
    assert all(held[int(leg.broker_id)].reason == f"Cancelled with the order it is attached to ({entry.broker_id})"
               for leg in entry.legs.all())


@pytest.mark.django_db
def test_legs_whose_acknowledgement_was_lost_are_found_by_reconciliation(sim, account, place, last_price,
                                                                         system_actor):
    last = last_price("AAPL")
    low = (last * D("0.8")).quantize(CENT)
    entry = _bracket(place, last_price, limit_price=str(low), take_profit_price=str(low + 5),
                     stop_loss_price=str(low - 5))
    broker_ids = sorted(entry.legs.values_list("broker_id", flat=True))
    entry.legs.all().delete()  # as if the answer carrying them had been lost
    report = services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    assert sorted(Order.objects.filter(parent=entry).values_list("broker_id", flat=True)) == broker_ids
    assert report.external_orders == 0 and not report.alerts
