"""OCA (one-cancels-all) groups through the services, the real SDK and the simulator: validated with
fix-it messages, previewed (each order a leg), placed once (idempotent), every order of the group a row
of ours, counted once (its largest) by the exposure rule, and a fill cancelling the others."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.types import OrderIntent, canonical_decimal
from core.errors import InvalidInput
from trading import selectors, services
from trading.intents import normalise_intent
from trading.models import Leg, Order, OrderStatus
from trading.oca import OCA_NEEDS_STOP, OCA_STOCKS
from trading.risk import PolicyView, RiskContext, evaluate

S = OrderStatus
D = Decimal
CENT = D("0.01")


def intent(**over):
    values = dict(account_number="A1", symbol="AAPL", side="BUY", quantity="10", order_type="LMT", limit_price="100",
                  oca_orders=[{"order_type": "STP", "stop_price": "110"}])
    values.update(over)
    return normalise_intent(**values)


def test_a_group_is_part_of_the_order_and_its_hash():
    group = intent()
    assert group.is_oca and [o.order_type for o in group.group()] == ["LMT", "STP"]
    assert OrderIntent.from_canonical(group.canonical()) == group
    assert group.hash() != intent(oca_orders=[{"order_type": "STP", "stop_price": "111"}]).hash()
    assert "oca" not in intent(oca_orders=None).canonical()  # a plain order keeps its hash


@pytest.mark.parametrize("over, message", [
    ({"oca_orders": [{"order_type": "STP"}]}, OCA_NEEDS_STOP.format(index=0, order_type="STP")),
    ({"oca_orders": []}, None),
    ({"oca_orders": [{"order_type": "MKT"}]}, "oca_orders[0].order_type must be LMT, STP or STP_LMT (got 'MKT')."),
    ({"oca_orders": [{"order_type": "LMT", "limit_price": "101", "symbol": "TSLA"}]},
     "oca_orders[0] has symbol: each order of the group trades the first order's symbol and side"),
    ({"order_type": "MKT", "limit_price": None}, "the first order is MKT"),
    ({"take_profit_price": "120"}, OCA_STOCKS.format(what="a bracket (take_profit_price, stop_loss_price)")),
    ({"oca_orders": [{"order_type": "LMT", "limit_price": "100"}]}, "is the same order as the first order"),
])
def test_bad_groups_say_how_to_fix_them(over, message):
    if over.get("oca_orders") == []:  # an empty list is no group: a plain order
        assert not intent(**over).is_oca
        return
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
@given(qty=st.integers(1, 150), other_qty=st.integers(1, 150), limit=st.integers(9000, 11000),
       stop=st.integers(9000, 11000), last=st.integers(9500, 10500), exposure=st.integers(0, 25000))
def test_no_group_passes_a_limit_one_of_its_orders_exceeds_and_it_counts_as_its_largest(
        qty, other_qty, limit, stop, last, exposure):
    limit_price, stop_price = D(limit) / 100, D(stop) / 100
    if limit_price == stop_price and qty == other_qty:
        stop_price += CENT
    group = intent(quantity=str(qty), limit_price=str(limit_price),
                   oca_orders=[{"order_type": "STP", "stop_price": str(stop_price), "quantity": str(other_qty)}])
    ctx = RiskContext(last_price=D(last) / 100, open_exposure=D(exposure))
    alone = [evaluate(policy=_policy(), intent=intent(quantity=str(qty), limit_price=str(limit_price), oca_orders=None),
                      ctx=ctx),
             evaluate(policy=_policy(), intent=intent(quantity=str(other_qty), order_type="STP", limit_price=None,
                                                      stop_price=str(stop_price), oca_orders=None), ctx=ctx)]
    decided = evaluate(policy=_policy(), intent=group, ctx=ctx)
    assert decided.accepted == all(d.accepted for d in alone)
    if decided.accepted:  # counted once: as the larger, never as the sum
        assert D(decided.notional) == max(D(d.notional) for d in alone)
        assert D(decided.exposure) == max(D(d.exposure) for d in alone)


@pytest.mark.django_db
def test_a_group_is_previewed_placed_once_counted_once_and_a_fill_cancels_the_other(
        sim, account, system_actor, last_price):
    n = account.account_number
    last = last_price("AAPL")
    below, above = (last * D("0.95")).quantize(CENT), (last * D("1.05")).quantize(CENT)
    order = dict(symbol="AAPL", side="BUY", quantity="10", order_type="LMT", limit_price=str(below),
                 oca_orders=[{"order_type": "STP", "stop_price": str(above), "quantity": "6"}])
    preview = services.order_preview(actor=system_actor, account_number=n, **order)
    # The canonical order writes prices without trailing zeros (214.20 is "214.2").
    assert preview.order["oca"] == [{"order_type": "STP", "stop_price": canonical_decimal(above), "quantity": "6"}]
    legs = preview.preview["legs"]
    assert [(leg["role"], leg["order_type"], leg["quantity"]) for leg in legs] == [("oca", "LMT", "10"), ("oca", "STP", "6")]
    assert legs[0]["text"].startswith("OCA order 1 of 2: BUY 10 AAPL LMT")
    assert D(preview.preview["net"]["amount"]) == max(below * 10, above * 6)
    assert preview.preview["net"]["text"].startswith("At most one order of the group fills.")
    placed = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                  idempotency_key="oca-1")
    again = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                 idempotency_key="oca-1")
    assert again.pk == placed.pk and again.replayed
    assert placed.status == S.SUBMITTED and placed.oca_orders == preview.order["oca"]
    (sibling,) = Order.objects.filter(parent=placed)
    assert (sibling.leg, sibling.order_type, sibling.stop_price, sibling.quantity, sibling.side) == \
        (Leg.OCA, "STP", above, 6, "BUY")
    at_broker = sim.exchange.accounts[n].orders
    assert len(at_broker) == 2 and at_broker[int(sibling.broker_id)].oca_group == int(placed.broker_id)
    assert at_broker[int(sibling.broker_id)].user_mark == placed.remark
    # Counted once, as the larger of its two working orders.
    exposure = sum(selectors.open_exposure_by_currency(account=account).values(), D(0))
    assert exposure == max(below * 10, sibling.reference_price * 6)
    services.orders_reconcile(actor=system_actor, account_number=n)
    placed.refresh_from_db(), sibling.refresh_from_db()
    assert sibling.status == S.SUBMITTED and placed.status == S.SUBMITTED
    # A marketable group: its limit buys at the ask at once, and Tiger cancels its stop.
    ask = sim.quote("AAPL").ask
    order = dict(order, quantity="8", limit_price=str(ask), oca_orders=[{"order_type": "STP", "stop_price": str(above)}])
    preview = services.order_preview(actor=system_actor, account_number=n, **order)
    filled = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                  idempotency_key="oca-2")
    services.orders_reconcile(actor=system_actor, account_number=n)
    filled.refresh_from_db()
    (other,) = Order.objects.filter(parent=filled)
    assert (filled.status, other.status) == (S.FILLED, S.CANCELLED) and filled.filled_quantity == 8
    assert at_broker[int(other.broker_id)].reason.endswith("its OCA group filled")
    # The first group still works, as its larger order; the filled group counts nothing.
    assert sum(selectors.open_exposure_by_currency(account=account).values(), D(0)) == exposure


@pytest.mark.django_db
def test_a_group_whose_acknowledgement_was_lost_is_found_by_reconciliation(sim, account, system_actor, last_price):
    n = account.account_number
    last = last_price("AAPL")
    below, above = (last * D("0.95")).quantize(CENT), (last * D("1.05")).quantize(CENT)
    preview = services.order_preview(actor=system_actor, account_number=n, symbol="AAPL", side="BUY", quantity="4",
                                     order_type="STP", stop_price=str(above),
                                     oca_orders=[{"order_type": "LMT", "limit_price": str(below)}])
    sim.faults.inject("place_order", "drop_after_accept")
    placed = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                  idempotency_key="oca-lost")
    assert placed.status == S.UNKNOWN and not Order.objects.filter(parent=placed).exists()
    at_broker = {o.order_type: o for o in sim.exchange.accounts[n].orders.values()}
    assert set(at_broker) == {"STP", "LMT"}  # both share the group's mark: told apart by their terms
    report = services.orders_reconcile(actor=system_actor, account_number=n)
    placed.refresh_from_db()
    assert placed.broker_id == str(at_broker["STP"].id) and placed.status == S.SUBMITTED
    assert report.resolved_unknown == 1 and report.unresolved == []
    (other,) = Order.objects.filter(parent=placed)
    assert (other.leg, other.broker_id, other.order_type, other.limit_price) == \
        (Leg.OCA, str(at_broker["LMT"].id), "LMT", below)
    services.orders_reconcile(actor=system_actor, account_number=n)  # nothing new the second time
    assert Order.objects.filter(account=account).count() == 2
