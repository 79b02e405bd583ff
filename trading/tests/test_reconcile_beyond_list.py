"""UNKNOWN orders older than the reach of Tiger's recent order list (its last 300) are looked for in
their own time window, between two of our acknowledged orders, as Tiger timestamps them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from trading import services
from trading.models import Order, OrderAlert, OrderStatus
from trading.services import orders_reconcile

pytestmark = pytest.mark.django_db
S = OrderStatus


def age(order, seconds):
    """Entered `seconds` ago by our clock (the simulator's runs a week behind: never compared with ours)."""
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def bury(sim, account, count=services.BROKER_LIST_LIMIT + 5):
    """`count` newer broker orders (cancelled ones), all with the terms the tests' orders have: another client's (no
    mark) and ours for rows we do not hold (another mark)."""
    acct = sim.exchange.accounts[account.account_number]
    last = sim.quote("AAPL").regular_latest
    for i in range(count):
        order = sim.exchange.place(acct, {"symbol": "AAPL", "action": "BUY", "order_type": "LMT", "total_quantity": "4",
                                          "limit_price": str((Decimal(str(last)) * Decimal("0.5")).quantize(Decimal("0.01"))),
                                          "user_mark": "" if i % 2 else f"tm:someone-else-{i}"})
        sim.exchange.cancel(acct, id_=order.id)  # listed all the same; keeps the next one's margin check short


def test_an_unknown_order_buried_under_300_newer_orders_is_resolved_to_its_own_broker_order(
        system_actor, account, sim, place):
    before = place(quantity="1")
    sim.faults.inject("place_order", "drop_after_accept")
    lost = place(quantity="4")
    assert lost.status == S.UNKNOWN and lost.broker_id == ""
    later = place(quantity="2")
    age(before, 300), age(lost, 200), age(later, 100)
    [at_broker] = [o for o in sim.exchange.accounts[account.account_number].orders.values()
                   if o.user_mark == lost.remark]
    sim.exchange.match()
    assert at_broker.status == "Filled"
    bury(sim, account)

    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    lost.refresh_from_db()
    assert lost.broker_id == str(at_broker.id) and lost.status == S.FILLED
    assert report.resolved_unknown == 1 and lost.pk not in report.unresolved and report.alerts == []
    [fill] = lost.fills.all()
    assert fill.quantity == Decimal("4") and fill.execution_id == f"{at_broker.id}:4"
    # Nothing else was bound to a broker order: every other row keeps its own id.
    assert {o.pk: o.broker_id for o in Order.objects.filter(account=account)} == {
        before.pk: before.broker_id, lost.pk: str(at_broker.id), later.pk: later.broker_id}
    assert before.broker_id != later.broker_id != str(at_broker.id)


def test_a_buried_unknown_order_is_never_placed_only_between_orders_of_ours_entered_before_and_after_it(
        system_actor, account, sim, place):
    before = place(quantity="1")
    sim.faults.inject("place_order", "http_error", status=503)
    never = place(quantity="4")
    later = place(quantity="2")
    sim.faults.inject("place_order", "http_error", status=503)
    newest = place(quantity="3")  # no order of ours after it: its window has no end
    assert never.status == newest.status == S.UNKNOWN
    age(before, 400), age(never, 300), age(later, 200), age(newest, 100)
    bury(sim, account)

    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    never.refresh_from_db(), newest.refresh_from_db()
    assert never.status == S.REJECTED and never.broker_id == "" and report.never_placed == 1
    assert never.status_reason.startswith("Tiger's order list does not show this order")
    # Not conclusive without an order of ours entered after it: it stays UNKNOWN, never bound to
    # the many lookalikes (other marks, or none) entered since.
    assert newest.status == S.UNKNOWN and newest.broker_id == "" and newest.pk in report.unresolved


def test_a_buried_unknown_order_is_not_never_placed_while_an_anonymous_lookalike_sits_in_its_window(
        system_actor, account, sim, place):
    before = place(quantity="1")
    sim.faults.inject("place_order", "http_error", status=503)
    never = place(side="BUY", quantity="4", order_type="LMT", limit_price="100")
    acct = sim.exchange.accounts[account.account_number]
    twin = sim.exchange.place(acct, {"symbol": "AAPL", "action": "BUY", "order_type": "LMT", "total_quantity": "4",
                                     "limit_price": "100"})  # entered by hand at Tiger: it may be ours
    later = place(quantity="2")
    age(before, 400), age(never, 300), age(later, 200)
    bury(sim, account)

    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    never.refresh_from_db()
    assert never.status == S.UNKNOWN and never.broker_id == "" and report.never_placed == 0
    assert never.pk in report.alerts and OrderAlert.objects.get(order=never).broker_id == str(twin.id)


def test_tigers_order_list_for_a_window_holds_the_orders_entered_from_its_start_to_before_its_end(account, sim):
    import time

    from broker.client import broker_for

    acct = sim.exchange.accounts[account.account_number]
    placed = []
    for _ in range(3):
        placed.append(sim.exchange.place(acct, {"symbol": "AAPL", "action": "BUY", "order_type": "LMT",
                                                "total_quantity": "1", "limit_price": "100"}))
        time.sleep(0.01)  # three distinct instants at Tiger
    client = broker_for(account)
    first, second, third = (client.order(str(o.id)) for o in placed)
    assert first.open_time < second.open_time < third.open_time
    # The start is included, the end is not (as Tiger's get_orders documents), newest first.
    assert [bo.broker_id for bo in client.orders(limit=10, start=second.open_time, end=third.open_time)] == [second.broker_id]
    assert [bo.broker_id for bo in client.orders(limit=10, start=first.open_time)] == [
        third.broker_id, second.broker_id, first.broker_id]
    assert [bo.broker_id for bo in client.orders(limit=1, end=third.open_time)] == [second.broker_id]
