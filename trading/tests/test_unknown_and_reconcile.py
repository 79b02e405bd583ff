"""A lost answer never resubmits: UNKNOWN, then reconciliation reads the truth. Fills per execution."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from trading import services
from trading.models import AlertKind, Order, OrderAlert, OrderStatus
from trading.services import orders_reconcile

pytestmark = pytest.mark.django_db
S = OrderStatus


def broker_orders(sim, account):
    return list(sim.exchange.accounts[account.account_number].orders.values())


def test_accept_then_drop_gives_unknown_then_exactly_one_broker_order_resolved(system_actor, account, sim, place):
    sim.faults.inject("place_order", "drop_after_accept")
    sim.reset_counts()
    order = place(quantity="4")
    assert order.status == S.UNKNOWN and order.broker_id == ""
    assert sim.request_count("place_order") == 1  # sent once, never again
    [at_broker] = broker_orders(sim, account)

    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    assert order.broker_id == str(at_broker.id)
    assert order.status in (S.SUBMITTED, S.FILLED)
    assert report.resolved_unknown == 1 and report.unresolved == []
    assert sim.request_count("place_order") == 1 and len(broker_orders(sim, account)) == 1
    moves = [(e.payload["from"], e.payload["to"]) for e in
             AuditEvent.objects.filter(event_type="order.transition", payload__order_id=order.pk).order_by("seq")]
    assert moves[:2] == [(None, S.PENDING_SUBMIT), (S.PENDING_SUBMIT, S.UNKNOWN)]
    assert moves[2][0] == S.UNKNOWN


def test_an_order_without_our_reference_is_never_bound_by_its_attributes(system_actor, account, sim, place):
    sim.faults.inject("place_order", "drop_after_accept")
    order = place(quantity="6")
    [at_broker] = broker_orders(sim, account)
    at_broker.user_mark = ""  # a broker that overwrote our remark
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(seconds=services.UNKNOWN_GRACE_SECONDS + 1))
    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    # Not bound (it cannot be positively identified), and not "never placed" either (it may be this one).
    assert order.status == S.UNKNOWN and order.broker_id == ""
    assert report.unresolved == [order.pk] and report.alerts == [order.pk] and report.never_placed == 0
    [alert] = OrderAlert.objects.filter(order=order)
    assert alert.kind == AlertKind.UNIDENTIFIED_MATCH and alert.broker_id == str(at_broker.id)
    assert AuditEvent.objects.filter(event_type="order.alert", payload__order_id=order.pk).count() == 1
    # A second pass does not pile up alerts.
    orders_reconcile(actor=system_actor, account_number=account.account_number)
    assert OrderAlert.objects.filter(order=order).count() == 1


def test_5xx_before_processing_is_unknown_then_never_placed_after_the_grace(system_actor, account, sim, place):
    sim.faults.inject("place_order", "http_error", status=503)
    order = place(quantity="7")
    assert order.status == S.UNKNOWN
    assert broker_orders(sim, account) == []
    # Within the grace period the order stays UNKNOWN: Tiger might still show it.
    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    assert report.unresolved == [order.pk]
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(seconds=services.UNKNOWN_GRACE_SECONDS + 1))
    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    assert order.status == S.REJECTED and report.never_placed == 1
    assert order.status_reason.startswith("Tiger's order list does not show this order")


def test_market_order_fills_are_recorded_per_execution(system_actor, account, sim, place):
    sim.faults.inject("place_order", "partial_fill", ratio=0.5)
    order = place(quantity="10")
    orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_FILLED and order.filled_quantity == Decimal("5")
    [fill] = order.fills.all()
    assert fill.quantity == Decimal("5") and fill.price == order.avg_fill_price and fill.currency == "USD"
    assert fill.execution_id == f"{order.broker_id}:5"
    assert AuditEvent.objects.filter(event_type="order.fill", payload__order_id=order.pk).count() == 1
    # Reconciling again records nothing twice.
    orders_reconcile(actor=system_actor, account_number=account.account_number)
    assert order.fills.count() == 1


def test_full_fill_moves_to_filled(system_actor, account, sim, place):
    order = place(quantity="3")
    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    assert order.status == S.FILLED and order.filled_quantity == 3 and report.fills == 1
    assert sum(f.quantity for f in order.fills.all()) == order.quantity
    assert order.terminal_at is not None


def test_inactive_at_broker_becomes_rejected(system_actor, account, sim, place):
    sim.faults.inject("place_order", "inactivate", message="no short locate")
    order = place(side="SELL", quantity="2")
    orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    assert order.status == S.REJECTED
    # Tiger's reason text needs broker.client to read the SDK's `reason` attribute (see report).
    assert order.status_reason


def test_young_pending_submit_rows_are_left_alone(system_actor, account, sim):
    from trading.tests.factories import make_order

    row = make_order(account=account)
    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    row.refresh_from_db()
    assert row.status == S.PENDING_SUBMIT and report.checked == 1 and report.transitions == 0


def test_a_broker_order_marked_for_another_row_is_never_claimed(system_actor, account, sim, place):
    sim.faults.inject("place_order", "drop_after_accept")
    order = place(quantity="8")
    [at_broker] = broker_orders(sim, account)
    at_broker.user_mark = "tm:someone-else"  # same attributes, but another row's order
    report = orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    assert order.status == S.UNKNOWN and order.broker_id == "" and report.unresolved == [order.pk]
