"""An order is acted on only when Tiger's order under its broker id carries our reference; alerts for the rest."""


from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.actors import Actor
from audit.services import audit_record
from core.hot_queries import hot_instances
from core.errors import (
    BrokerRejected,
    PermissionDenied,
)
from broker.client import broker_for
from trading.models import (
    TRANSITIONS,
    AlertKind,
    Order,
    OrderAlert,
)
from trading.services.common import (
    BROKER_ID_TAKEN,
    _is_operator,
    _lock_order,
    logger,
    OPERATORS_ONLY,
    REFERENCE_MISMATCH,
    S,
)


def _holders(account_id: int, broker_id, order_pk):
    """The ids of the account's other orders (not `order_pk`) bound to `broker_id`."""
    return (Order.objects.filter(account_id=account_id, broker_id=broker_id).exclude(pk=order_pk)
            .order_by().values_list("pk", flat=True))


def _broker_id_holder(order: Order, broker_id: str) -> int | None:
    """The other order of ours already bound to `broker_id`, if any."""
    return _holders(order.account_id, broker_id, order.pk).first()


def _lock_order_to_bind(order_pk: int, account, broker_id: str) -> Order:
    """The order locked and read afresh (as _lock_order, its account the caller's), with the id of
    another order of ours already bound to `broker_id` in `broker_id_holder` (None: none), read in the
    same statement. That read is as of the statement's start: a binding committed while this waited for
    the row's lock is not seen, and then the database's one-row-per-broker-order constraint refuses the
    save that would bind the id twice. Compiled once per account (core.hot_queries)."""
    def build(pk, broker_id):
        return Order.objects.select_for_update().filter(pk=pk).annotate(
            broker_id_holder=Subquery(_holders(account.pk, broker_id, OuterRef("pk"))[:1]))

    order = hot_instances(("order_to_bind", account.pk), build, int(order_pk), broker_id)[0]
    order.account = account
    return order


def order_alert_raise(*, actor, kind: str, order: Order, broker_id: str, message: str) -> OrderAlert:
    """Open an alert for an operator (once per order, kind and broker id), with its audit event."""
    with transaction.atomic():
        alert = OrderAlert.objects.filter(order=order, kind=kind, broker_id=broker_id, resolved_at__isnull=True).first()
        if alert is not None:
            return alert
        alert = OrderAlert.objects.create(kind=kind, account_id=order.account_id, order=order, broker_id=broker_id,
                                          message=message, created_at=timezone.now())
        audit_record(actor=actor, event_type="order.alert", account=order.account,
                     payload={**order.audit_payload(), "alert": kind, "alert_broker_id": broker_id, "message": message})
    logger.warning("order %s: %s", order.pk, message)
    return alert


def order_alert_resolve(*, actor: Actor, alert_id: int, note: str = "") -> OrderAlert:
    """An operator has looked at the alert: it leaves the home page and /health (audited)."""
    if not _is_operator(actor):
        raise PermissionDenied(OPERATORS_ONLY.replace("use the kill switch", "resolve alerts"), code="operators_only")
    with transaction.atomic():
        alert = OrderAlert.objects.select_for_update(of=("self",)).select_related("account").get(pk=alert_id)
        if alert.resolved_at is None:
            alert.resolved_at = timezone.now()
            alert.resolved_by = actor.label[:200]
            alert.save(update_fields=["resolved_at", "resolved_by"])
            audit_record(actor=actor, event_type="order.alert_resolved", account=alert.account,
                         payload={"alert_id": alert.pk, "alert": alert.kind, "order_id": alert.order_id,
                                  "broker_id": alert.broker_id, "note": note[:500]})
    return alert


def _to_unknown(order: Order, *, actor, reason: str) -> None:
    """Stop acting on a locked order whose identity at the broker is in doubt."""
    if order.status != S.UNKNOWN and S.UNKNOWN in TRANSITIONS[order.status]:
        order.set_status(S.UNKNOWN, actor=actor, reason=reason)


def _binding_refused(order: Order, broker_id: str, holder: int, *, actor) -> None:
    """Call with the order locked: `broker_id` belongs to order `holder`, so it is not bound to `order`."""
    message = BROKER_ID_TAKEN.format(broker_id=broker_id, holder=holder, order=order.pk, reference=order.remark)
    _to_unknown(order, actor=actor, reason=message)
    order_alert_raise(actor=actor, kind=AlertKind.BROKER_ID_CONFLICT, order=order, broker_id=broker_id, message=message)


def _not_this_order(order: Order, broker_id: str, found: str, *, actor) -> None:
    """Call with the order locked: Tiger's order `broker_id` is not this one (`found` says why), so the
    row goes UNKNOWN with an alert and nothing is sent for it."""
    message = REFERENCE_MISMATCH.format(broker_id=broker_id, found=found, reference=order.remark, order=order.pk)
    _to_unknown(order, actor=actor, reason=message)
    order_alert_raise(actor=actor, kind=AlertKind.REFERENCE_MISMATCH, order=order, broker_id=broker_id, message=message)


def _identity_lost(order_pk: int, bo, broker_id: str, *, actor) -> Order:
    """Tiger's order under our broker id is missing or carries another reference: UNKNOWN and an alert."""
    with transaction.atomic():
        order = _lock_order(order_pk)
        _not_this_order(order, broker_id, f"carries reference {bo.reference!r}" if bo is not None else "cannot be found",
                        actor=actor)
    return order


def _positively_identified(order: Order, *, actor) -> bool:
    """Before acting on a broker order: Tiger's order under our broker id carries our reference. If it
    does not (or Tiger has no such order) the row goes UNKNOWN with an alert and nothing is sent.
    Transport errors propagate: the caller has sent nothing yet."""
    try:
        bo = broker_for(order.account).order(order.broker_id)
    except BrokerRejected:
        bo = None
    if bo is not None and bo.reference == order.remark:
        return True
    _identity_lost(order.pk, bo, order.broker_id, actor=actor)
    return False
