"""Order integrity against a gateway that misbehaves: the product never binds, cancels, modifies or
reports an order it cannot positively identify (broker id AND the reference Tiger echoes back)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from marketdata.selectors import health_report
from core.errors import Conflict
from trading import services
from trading.models import AlertKind, Order, OrderAlert, OrderStatus
from trading.tests.factories import make_order

pytestmark = pytest.mark.django_db
S = OrderStatus


def resting(place, last_price, symbol="AAPL", **kw):
    """A buy far below the market: it rests at the broker as a working order."""
    limit = (last_price(symbol) * Decimal("0.9")).quantize(Decimal("0.01"))
    return place(symbol=symbol, order_type="LMT", limit_price=str(limit), **kw)


def at_broker(sim, account) -> dict:
    return sim.exchange.accounts[account.account_number].orders


def gateway_forgets_and_reuses(sim, account, order) -> None:
    """What a gateway restart that lost its state does: the order is gone and its id is handed out again."""
    with sim.exchange.lock:
        del at_broker(sim, account)[int(order.broker_id)]
        sim.exchange.next_global_id = int(order.broker_id)


@pytest.fixture
def reused_id(sim, account, place, last_price):
    """Order `first` was acknowledged as broker id X; the gateway then forgot it and gave X to `second`."""
    first = resting(place, last_price, "MSFT")
    assert first.status == S.SUBMITTED and first.broker_id
    gateway_forgets_and_reuses(sim, account, first)
    second = resting(place, last_price, "NVDA")
    return first, second


def test_a_broker_id_already_bound_is_never_bound_again(reused_id, sim, account):
    first, second = reused_id
    first.refresh_from_db()
    # No IntegrityError, no re-pointing: the first keeps its binding, the second is UNKNOWN with an alert.
    assert first.broker_id != "" and first.status == S.SUBMITTED
    assert second.status == S.UNKNOWN and second.broker_id == ""
    assert second.status_reason == services.BROKER_ID_TAKEN.format(
        broker_id=first.broker_id, holder=first.pk, order=second.pk, reference=second.remark)
    # Tiger really holds the second order under that id.
    assert at_broker(sim, account)[int(first.broker_id)].user_mark == second.remark
    [alert] = OrderAlert.objects.filter(order=second)
    assert alert.kind == AlertKind.BROKER_ID_CONFLICT and alert.broker_id == first.broker_id
    assert AuditEvent.objects.filter(event_type="order.alert", payload__order_id=second.pk,
                                     payload__alert=AlertKind.BROKER_ID_CONFLICT).count() == 1
    moves = list(AuditEvent.objects.filter(event_type="order.transition", payload__order_id=second.pk)
                 .order_by("seq").values_list("payload__to", flat=True))
    assert moves == [S.PENDING_SUBMIT, S.UNKNOWN]


def test_the_alert_shows_in_health_and_on_the_admin_home(reused_id, admin_client):
    _, second = reused_id
    report = health_report()
    assert report["orders"]["status"] == "degraded" and report["orders"]["open_alerts"] == 1
    assert report["status"] == "degraded"
    page = admin_client.get("/admin/").content.decode()
    assert f"order #{second.pk}" in page and "Broker id already bound to another order" in page


def test_reconciliation_never_moves_a_binding_and_never_acts_on_a_foreign_order(reused_id, system_actor, sim, account):
    first, second = reused_id
    report = services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    first.refresh_from_db()
    second.refresh_from_db()
    # The first's id now names the second's order (another reference): it is UNKNOWN, not "filled" or
    # "cancelled" by someone else's status; the second still is not bound to the first's id.
    assert first.status == S.UNKNOWN and first.broker_id == str(int(first.broker_id))
    assert second.status == S.UNKNOWN and second.broker_id == ""
    assert sorted(report.alerts) == sorted([first.pk, second.pk])
    assert second.pk in report.unresolved and report.never_placed == 0
    kinds = set(OrderAlert.objects.filter(resolved_at__isnull=True).values_list("order_id", "kind"))
    assert kinds == {(first.pk, AlertKind.REFERENCE_MISMATCH), (second.pk, AlertKind.BROKER_ID_CONFLICT)}


def test_kill_switch_cancels_only_the_orders_it_positively_identifies(reused_id, system_actor, sim, account, place,
                                                                      last_price):
    first, second = reused_id
    third = resting(place, last_price, "AAPL")
    assert third.status == S.SUBMITTED
    sim.reset_counts()
    result = services.kill_switch_set(actor=system_actor, active=True, account_number=account.account_number,
                                      reason="test")
    assert result.cancel_requested == [third.pk]
    assert sorted(result.unresolved) == sorted([first.pk, second.pk]) and result.cancel_failed == {}
    assert sim.request_count("cancel_order") == 1
    orders = at_broker(sim, account)
    assert orders[int(third.broker_id)].status == "Cancelled"
    # The second order (under the first's id) is still working at Tiger: nothing cancelled it blindly.
    assert orders[int(first.broker_id)].user_mark == second.remark
    assert orders[int(first.broker_id)].status == "Submitted"
    for row in (first, second):
        row.refresh_from_db()
        assert row.status == S.UNKNOWN
    assert "2 unresolved" in result.summary()


def test_a_cancel_of_an_order_whose_id_names_another_is_refused_and_sends_nothing(system_actor, sim, account, place,
                                                                                   last_price):
    first = resting(place, last_price, "MSFT")
    preview = services.order_cancel_preview(actor=system_actor, account_number=account.account_number, order_id=first.pk)
    gateway_forgets_and_reuses(sim, account, first)
    resting(place, last_price, "NVDA")
    sim.reset_counts()
    with pytest.raises(Conflict) as err:
        services.order_cancel(actor=system_actor, account_number=account.account_number, order_id=first.pk,
                              confirmation_token=preview.confirmation_token)
    assert err.value.code == "order_not_identified"
    assert err.value.message == services.NOT_CANCELLED_UNIDENTIFIED.format(order=first.pk, broker_id=first.broker_id)
    assert sim.request_count("cancel_order") == 0
    first.refresh_from_db()
    assert first.status == S.UNKNOWN
    assert OrderAlert.objects.get(order=first).kind == AlertKind.REFERENCE_MISMATCH


def test_a_modify_of_an_order_whose_id_names_another_is_refused_and_sends_nothing(system_actor, sim, account, place,
                                                                                   last_price):
    first = resting(place, last_price, "MSFT", quantity="5")
    preview = services.order_modify_preview(actor=system_actor, account_number=account.account_number,
                                            order_id=first.pk, quantity="6")
    gateway_forgets_and_reuses(sim, account, first)
    resting(place, last_price, "NVDA", quantity="5")
    sim.reset_counts()
    with pytest.raises(Conflict) as err:
        services.order_modify(actor=system_actor, account_number=account.account_number, order_id=first.pk,
                              confirmation_token=preview.confirmation_token)
    assert err.value.code == "order_not_identified"
    assert sim.request_count("modify_order") == 0
    assert at_broker(sim, account)[int(first.broker_id)].quantity == 5


def test_an_order_tiger_no_longer_has_is_rejected_once_the_full_list_lacks_its_reference(system_actor, sim, account,
                                                                                          place, last_price):
    first = resting(place, last_price, "MSFT")
    with sim.exchange.lock:
        del at_broker(sim, account)[int(first.broker_id)]  # the gateway lost it (and did not reuse the id)
    report = services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    first.refresh_from_db()
    assert first.status == S.UNKNOWN and report.unresolved == [first.pk]  # within the grace period
    Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(seconds=services.UNKNOWN_GRACE_SECONDS + 5))
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    first.refresh_from_db()
    assert first.status == S.REJECTED and first.status_reason.startswith("Tiger's full order list does not carry")
    # The alert stays open for a person: an acknowledged order vanished.
    assert OrderAlert.objects.filter(order=first, resolved_at__isnull=True).count() == 1


def test_an_alert_is_resolved_by_an_operator_with_an_audit_event(reused_id, system_actor, admin_user):
    from accounts.actors import Actor

    _, second = reused_id
    alert = OrderAlert.objects.get(order=second)
    services.order_alert_resolve(actor=Actor.for_user(admin_user, door="admin"), alert_id=alert.pk, note="checked")
    alert.refresh_from_db()
    assert alert.resolved_at is not None and alert.resolved_by
    assert health_report()["orders"]["status"] == "ok"
    assert AuditEvent.objects.filter(event_type="order.alert_resolved", payload__alert_id=alert.pk).count() == 1


# --- stuck states ------------------------------------------------------------------------------------


def test_a_lost_cancel_stuck_in_cancel_pending_is_resolved_and_reported(system_actor, sim, account, place, last_price):
    order = resting(place, last_price)
    preview = services.order_cancel_preview(actor=system_actor, account_number=account.account_number, order_id=order.pk)
    sim.faults.inject("cancel_order", "drop")  # the connection drops before Tiger processes the cancel
    services.order_cancel(actor=system_actor, account_number=account.account_number, order_id=order.pk,
                          confirmation_token=preview.confirmation_token)
    order.refresh_from_db()
    assert order.status == S.CANCEL_PENDING
    assert at_broker(sim, account)[int(order.broker_id)].status == "Submitted"
    report = services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    order.refresh_from_db()
    assert order.status == S.CANCEL_PENDING and report.stuck_resolved == []  # Tiger may still act on it
    Order.objects.filter(pk=order.pk).update(
        status_changed_at=timezone.now() - timedelta(seconds=services.CANCEL_STALE_SECONDS + 1))
    call_command("reconcile_orders", "--account", account.account_number, stdout=(out := __import__("io").StringIO()))
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert order.status_reason.startswith("Tiger still shows the order working")
    assert f"stuck resolved 1 (orders {order.pk})" in out.getvalue()


def test_a_pending_submit_whose_sender_died_is_found_by_its_reference(system_actor, sim, account):
    from broker.client import broker_for

    row = make_order(account=account, quantity=Decimal("3"), order_type="LMT", limit_price=Decimal("1.00"))
    # The sender reached Tiger and died before recording the answer.
    broker_for(account).place_order(services._intent_of(row), remark=row.remark)
    Order.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(seconds=services.PENDING_STALE_SECONDS + 1))
    report = services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    row.refresh_from_db()
    assert row.status == S.SUBMITTED and row.broker_id
    assert at_broker(sim, account)[int(row.broker_id)].user_mark == row.remark
    assert report.stuck_resolved == [row.pk] and report.unresolved == []


def test_a_pending_submit_that_never_reached_tiger_is_marked_never_placed_and_reported(system_actor, sim, account):
    row = make_order(account=account)
    Order.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(seconds=services.UNKNOWN_GRACE_SECONDS + 1))
    report = services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    row.refresh_from_db()
    assert row.status == S.REJECTED and report.never_placed == 1 and report.stuck_resolved == [row.pk]
    assert "never placed 1" in report.summary() and f"stuck resolved 1 (orders {row.pk})" in report.summary()
