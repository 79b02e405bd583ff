"""Matching our open, pending and UNKNOWN orders against Tiger's order list; never places or resends."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Scope
from accounts.selectors import account_for_actor, accounts_for_actor
from audit.services import audit_record
from core.metrics import FILLED_NOTIONAL, FILLED_QUANTITY
from core.errors import (
    ApplicationError,
    BrokerRejected,
)
from broker.account_reads import account_reads_forget
from broker.client import broker_for
from trading.intents import canonical_decimal
from trading.models import (
    ACTIVE,
    OPEN,
    TRANSITIONS,
    UNACKED,
    AlertKind,
    Fill,
    Leg,
    Order,
)
from trading.services.common import (
    BROKER_LIST_LIMIT,
    CANCEL_NOT_PROCESSED,
    CANCEL_STALE_SECONDS,
    COVERAGE_MARGIN_SECONDS,
    _lock_order,
    logger,
    NOT_FOUND_AT_BROKER,
    PENDING_STALE_SECONDS,
    S,
    _transition,
    UNIDENTIFIED,
    UNKNOWN_GRACE_SECONDS,
    VANISHED,
    WINDOW_REQUESTS_PER_PASS,
)
from trading.services.brackets import legs_from_broker, legs_record, same_terms
from trading.services.identity import (
    _binding_refused,
    _broker_id_holder,
    _identity_lost,
    _not_this_order,
    order_alert_raise,
)


def _sync_one(order: Order, *, actor, cancel_refused: str | None = None) -> None:
    """One order as Tiger has it now; a bracket's entry brings its open legs along (Tiger cancels them
    with an unfilled entry, and starts them when it fills)."""
    client = broker_for(order.account)
    bo = client.order(order.broker_id)
    _apply_broker_order(order.pk, bo, actor=actor, cancel_refused=cancel_refused)
    for leg in Order.objects.filter(parent_id=order.pk, status__in=OPEN).exclude(broker_id=""):
        _apply_broker_order(leg.pk, client.order(leg.broker_id), actor=actor)


TIGER_STATUS = {
    "Initial": S.SUBMITTED, "PendingNew": S.SUBMITTED, "Submitted": S.SUBMITTED,
    "PartiallyFilled": S.PARTIALLY_FILLED, "Filled": S.FILLED, "PendingCancel": S.CANCEL_PENDING,
    "Cancelled": S.CANCELLED, "Inactive": S.REJECTED, "Invalid": S.REJECTED,
}


def map_tiger_status(bo) -> str:
    status = TIGER_STATUS.get(bo.status, S.SUBMITTED)
    expired = "expire" in (bo.remark or "").lower()
    if status in (S.CANCELLED, S.REJECTED) and expired:
        return S.EXPIRED
    if status == S.SUBMITTED and bo.filled_quantity and bo.filled_quantity > 0:
        return S.PARTIALLY_FILLED
    return status


def _count_fill_on_commit(currency: str, quantity: Decimal, notional: Decimal) -> None:
    # Counted once the fill is stored: a rolled-back reconciliation records it again next time.
    transaction.on_commit(lambda: (FILLED_QUANTITY.labels(currency=currency).inc(float(quantity)),
                                   FILLED_NOTIONAL.labels(currency=currency).inc(float(notional))))


def _apply_broker_order(order_pk: int, bo, *, actor, cancel_refused: str | None = None) -> dict:
    """Bring one row in line with Tiger's view: link ids, record new executions, move the status."""
    changes = {"fills": 0, "transition": None, "stuck": False, "alert": False}
    with transaction.atomic():
        order = _lock_order(order_pk)
        if order.is_terminal:
            return changes
        if bo.reference != order.remark or (order.broker_id and order.broker_id != bo.broker_id):
            changes["alert"] = True
            found = f"carries reference {bo.reference!r}" if bo.broker_id == order.broker_id else \
                f"({bo.broker_id}) is not the one bound to it ({order.broker_id})"
            _not_this_order(order, bo.broker_id, found, actor=actor)
            return changes
        holder = None if order.broker_id else _broker_id_holder(order, bo.broker_id)
        if holder is not None:
            changes["alert"] = True
            _binding_refused(order, bo.broker_id, holder, actor=actor)
            return changes
        now = timezone.now()
        order.broker_id = order.broker_id or bo.broker_id
        order.broker_order_id = order.broker_order_id or bo.order_id
        order.broker_status = bo.status or ""
        order.reconciled_at = now
        if bo.filled_quantity > order.filled_quantity:
            delta = bo.filled_quantity - order.filled_quantity
            before = (order.avg_fill_price or Decimal("0")) * order.filled_quantity
            after = (bo.avg_fill_price or Decimal("0")) * bo.filled_quantity
            price = ((after - before) / delta).quantize(Decimal("0.000001")) if bo.avg_fill_price else Decimal("0")
            fill = Fill.objects.create(order=order, execution_id=f"{bo.broker_id}:{canonical_decimal(bo.filled_quantity)}",
                                       quantity=delta, price=price, currency=order.currency,
                                       executed_at=bo.update_time or now)
            order.filled_quantity = bo.filled_quantity
            order.avg_fill_price = bo.avg_fill_price
            changes["fills"] = 1
            # A magnitude: a combo filled at a net credit has a negative price.
            _count_fill_on_commit(order.currency, delta, abs(delta * price))
            # A fill with no change of status (one more partial fill) still moves positions and cash.
            account = order.account
            transaction.on_commit(lambda: account_reads_forget(account))
            audit_record(actor=actor, event_type="order.fill", account=order.account,
                         payload={**order.audit_payload(), "execution_id": fill.execution_id,
                                  "fill_quantity": str(delta), "fill_price": str(price)})
        if bo.commission is not None:
            order.commission = bo.commission
        if bo.quantity and bo.quantity != order.quantity and bo.quantity >= order.filled_quantity:
            order.quantity = bo.quantity  # a modification whose answer was lost
        if bo.limit_price is not None:
            order.limit_price = bo.limit_price
        if bo.stop_price is not None:
            order.stop_price = bo.stop_price
        if bo.trailing_amount is not None or bo.trailing_percent is not None:
            order.trailing_amount, order.trailing_percent = bo.trailing_amount, bo.trailing_percent
        target = map_tiger_status(bo)
        reason = f"cancel refused: {cancel_refused}" if cancel_refused else (bo.remark if target in (S.REJECTED, S.EXPIRED) else "")
        # Its sender died between the commit and the acknowledgement.
        stuck = order.status == S.PENDING_SUBMIT
        if order.status == S.CANCEL_PENDING and target in ACTIVE and not cancel_refused:
            pending_for = int((now - (order.status_changed_at or order.updated_at)).total_seconds())
            if pending_for < CANCEL_STALE_SECONDS:
                target = S.CANCEL_PENDING  # Tiger has not processed the cancel yet
            else:
                reason = CANCEL_NOT_PROCESSED.format(seconds=pending_for)
                stuck = True
        if target != order.status and target in TRANSITIONS[order.status]:
            order.set_status(target, actor=actor, reason=reason or f"Tiger status {bo.status}")
            changes["transition"] = target
            changes["stuck"] = stuck
        else:
            if target != order.status:
                logger.warning("order %s: Tiger says %s, ours is %s; not moved", order.pk, bo.status, order.status)
            order.save()
    return changes


@dataclass
class ReconcileReport:
    account_number: str
    checked: int = 0
    transitions: int = 0
    fills: int = 0
    resolved_unknown: int = 0
    never_placed: int = 0
    # Orders that sat in PENDING_SUBMIT (sender died) or CANCEL_PENDING (cancel lost) and were moved on.
    stuck_resolved: list[int] = field(default_factory=list)
    # Orders that could not be positively identified at the broker: UNKNOWN, with an alert.
    alerts: list[int] = field(default_factory=list)
    unresolved: list[int] = field(default_factory=list)
    external_orders: int = 0
    error: str = ""

    def summary(self) -> str:
        line = (f"{self.account_number}: checked {self.checked}, transitions {self.transitions}, fills {self.fills}, "
                f"unknown resolved {self.resolved_unknown}, never placed {self.never_placed}, "
                f"stuck resolved {len(self.stuck_resolved)}{_ids(self.stuck_resolved)}, "
                f"alerts {len(self.alerts)}{_ids(self.alerts)}, unresolved {len(self.unresolved)}{_ids(self.unresolved)}, "
                f"external open orders {self.external_orders}")
        return line + (f" ERROR: {self.error}" if self.error else "")


def _ids(pks: list[int]) -> str:
    return f" (orders {', '.join(map(str, pks))})" if pks else ""


def _matches(row: Order, bo) -> bool:
    """Same instrument (an option: the same contract), side, type, quantity and limit price: a hint for
    an operator, never a binding."""
    if bo.symbol.upper() != row.symbol or bo.side != row.side or bo.order_type != row.order_type:
        return False
    if (bo.identifier or "").split() != (row.identifier or "").split():
        return False
    if bo.quantity != row.quantity:
        return False
    return (bo.limit_price or None) == (row.limit_price or None)


_SPENT = object()  # the pass's budget of requests is used up


class _Windows:
    """Tiger's order list read by time window, for unacknowledged orders beyond the reach of its recent
    list, within a budget of requests per pass. A window runs between two of our own acknowledged orders
    (entered well before and well after the one looked for), at the times Tiger gives them: never by
    comparing Tiger's clock with ours. What Tiger lists there is added to `listed`."""

    def __init__(self, client, listed: dict):
        self.client, self.listed, self.left = client, listed, WINDOW_REQUESTS_PER_PASS
        self._times: dict[str, object] = {}

    def _spend(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def _time_of(self, anchor: Order | None):
        """When Tiger entered one of our acknowledged orders; None without one, or if its id no longer
        names it."""
        if anchor is None:
            return None
        if anchor.broker_id not in self._times:
            bo = self.listed.get(anchor.broker_id)
            if bo is None:
                if not self._spend():
                    return _SPENT
                try:
                    bo = self.client.order(anchor.broker_id)
                except BrokerRejected:
                    bo = None
            self._times[anchor.broker_id] = bo.open_time if bo is not None and bo.reference == anchor.remark else None
        return self._times[anchor.broker_id]

    def _read(self, start, end, references: set[str]) -> bool:
        """Pages through [start, end) newest first, until it is read whole (the answer), every reference
        is found, or the budget is spent."""
        seen: set[str] = set()
        while self._spend():
            page = self.client.orders(limit=BROKER_LIST_LIMIT, start=start, end=end)
            fresh = [bo for bo in page if bo.broker_id not in seen]
            seen.update(bo.broker_id for bo in page)
            for bo in page:
                self.listed.setdefault(bo.broker_id, bo)
            if len(page) < BROKER_LIST_LIMIT:
                return True
            references -= {bo.reference for bo in page}
            times = [bo.open_time for bo in page if bo.open_time is not None]
            if not references or not fresh or not times:
                return False
            end = min(times) + timedelta(milliseconds=1)  # the next page: older ones (this instant again)
        return False

    def search(self, account, rows: list[Order], *, grace: int) -> set[int]:
        """Looks for `rows` in their windows (rows between the same two of our orders share one); returns
        the rows whose window was read whole between orders of ours entered well before and well after
        them: there, and only there, their absence is conclusive."""
        mine = Order.objects.filter(account=account, parent__isnull=True).exclude(broker_id="")
        margin, after = timedelta(seconds=COVERAGE_MARGIN_SECONDS), timedelta(seconds=max(grace, COVERAGE_MARGIN_SECONDS))
        windows: dict[tuple, list] = {}
        # The least recently looked for first: orders that stay unresolved never starve the others.
        for row in sorted(rows, key=lambda r: (r.reconciled_at is not None, r.reconciled_at or r.created_at, r.pk)):
            before = mine.filter(created_at__lt=row.created_at - margin).order_by("-created_at", "-id").first()
            later = mine.filter(created_at__gt=row.created_at + after).order_by("created_at", "id").first()
            bounded = before is not None and later is not None
            later = later or mine.filter(created_at__gt=row.created_at).order_by("created_at", "id").first()
            windows.setdefault((before, later), []).append((row, bounded))
        covered, looked = set(), []
        for (before, later), members in windows.items():
            try:
                start, end = self._time_of(before), self._time_of(later)
                if start is _SPENT or end is _SPENT or self.left <= 0:
                    break
                whole = self._read(start, end + timedelta(milliseconds=1) if end else None,
                                   {row.remark for row, _ in members})
            except ApplicationError as exc:  # the recent list's pass goes on without it
                logger.warning("order list window unavailable: %s", exc.message)
                break
            looked.extend(row.pk for row, _ in members)
            covered.update(row.pk for row, bounded in members
                           if whole and bounded and start is not None and end is not None)
        Order.objects.filter(pk__in=looked).update(reconciled_at=timezone.now())  # looked for now
        return covered

    def around(self, bo) -> list:
        """What Tiger entered with `bo` (an entry found by its id beyond the recent list): its legs."""
        if bo.open_time is None or not self._spend():
            return []
        try:
            page = self.client.orders(limit=BROKER_LIST_LIMIT, start=bo.open_time,
                                      end=bo.open_time + timedelta(seconds=COVERAGE_MARGIN_SECONDS))
        except ApplicationError:
            return []
        fresh = [b for b in page if b.broker_id not in self.listed]
        self.listed.update((b.broker_id, b) for b in fresh)
        return fresh

    @staticmethod
    def legs_missing(entry: Order) -> bool:
        expected = (entry.take_profit_price is not None) + (entry.stop_loss_price is not None) + len(entry.oca_orders or [])
        return Order.objects.filter(parent_id=entry.pk).count() < expected


def orders_reconcile(*, actor: Actor, account_number: str, unknown_grace_seconds: int = UNKNOWN_GRACE_SECONDS) -> ReconcileReport:
    """Match the account's open, pending and UNKNOWN orders against Tiger's order list: statuses and
    fills are brought up to date. An order is identified only by our reference (the `tm:<ref>` user
    mark Tiger echoes) together with its broker id; an id that names an order without our reference
    is never acted on (UNKNOWN, with an alert). An unacknowledged order is marked never placed only
    when Tiger's full order list for its time window positively lacks its reference. Never places
    or resends anything."""
    account = account_for_actor(actor, account_number, scope=Scope.READ)
    report = ReconcileReport(account_number=account.account_number)
    rows = list(Order.objects.select_related("account").filter(account=account, status__in=OPEN).order_by("created_at", "id"))
    if not rows:
        return report
    client = broker_for(account)
    recent = client.orders(limit=BROKER_LIST_LIMIT)
    # "Not in the list" proves "never placed" only when the list reaches back past the row: it is
    # complete, or it holds one of our orders entered well before this one. Judged by our own clock,
    # never by comparing the broker's timestamps with ours.
    full_list = len(recent) < BROKER_LIST_LIMIT
    earliest_listed = (Order.objects.filter(account=account, broker_id__in=[bo.broker_id for bo in recent])
                       .order_by("created_at").values_list("created_at", flat=True).first())
    now = timezone.now()

    def recent_covers(row: Order) -> bool:
        return full_list or (earliest_listed is not None
                             and earliest_listed < row.created_at - timedelta(seconds=COVERAGE_MARGIN_SECONDS))

    listed = {bo.broker_id: bo for bo in recent}
    # Unacknowledged orders the recent list neither shows nor reaches: looked for in their own window.
    beyond = [row for row in rows if not row.broker_id and not row.parent_id and not recent_covers(row)
              and not (row.status == S.PENDING_SUBMIT and (now - row.created_at).total_seconds() < PENDING_STALE_SECONDS)
              and not any(bo.reference == row.remark for bo in recent)]
    window = _Windows(client, listed)
    window_covered = window.search(account, beyond, grace=unknown_grace_seconds) if beyond else set()
    broker_orders = list(listed.values())
    by_reference: dict[str, list] = {}
    for bo in broker_orders:
        # A bracket's legs carry their entry's mark too: they are found by their own ids below.
        if bo.reference.startswith("tm:") and not bo.parent_id:
            by_reference.setdefault(bo.reference, []).append(bo)
    linked = set(Order.objects.filter(account=account).exclude(broker_id="").values_list("broker_id", flat=True))
    for row in rows:
        report.checked += 1
        age = (now - row.created_at).total_seconds()
        if row.status == S.PENDING_SUBMIT and age < PENDING_STALE_SECONDS:
            continue  # may be mid-send right now
        # A bracket's leg carries its entry's mark: it is found by its own id, and must name its entry.
        found = [] if row.parent_id else by_reference.get(row.remark, [])
        if len(found) > 1 and row.broker_id:  # an OCA group's orders share its mark: each has its own id
            found = [bo for bo in found if bo.broker_id == row.broker_id] or found
        elif len(found) > 1 and row.oca_orders:  # no id yet: the group's first order is the one with its terms
            found = [bo for bo in found if same_terms(bo, row.order_type, row.limit_price, row.stop_price,
                                                      row.quantity)] or found
        bo = found[0] if len(found) == 1 else None
        if bo is None and row.broker_id and not found:
            bo = listed.get(row.broker_id)
            if bo is None:
                try:  # beyond the list's reach: ask for it by id
                    bo = client.order(row.broker_id)
                except BrokerRejected:
                    bo = None
            # A bracket's leg names its entry (parentId); an OCA group's other orders carry the mark only.
            if bo is None or bo.reference != row.remark or (row.parent_id and row.leg != Leg.OCA
                                                            and bo.parent_id != row.parent.broker_id):
                # Its broker id names no order, or another one: never act on it again.
                _identity_lost(row.pk, bo, row.broker_id, actor=actor)
                report.alerts.append(row.pk)
                bo = None
        if bo is not None:
            was_unknown = row.status in UNACKED
            changes = _apply_broker_order(row.pk, bo, actor=actor)
            report.fills += changes["fills"]
            if changes["alert"]:
                report.alerts.append(row.pk)
                report.unresolved.append(row.pk)
                continue
            linked.add(bo.broker_id)
            if row.take_profit_price is not None or row.stop_loss_price is not None or row.oca_orders:
                # Legs (an OCA group's other orders) whose acknowledgement was lost with their entry's:
                # recorded from Tiger's list.
                entry = Order.objects.select_related("account").get(pk=row.pk)
                if bo.broker_id not in listed and window.legs_missing(entry):
                    broker_orders.extend(window.around(bo))  # an entry beyond the list: its legs came with it
                linked.update(leg.broker_id for leg in legs_record(entry, legs_from_broker(entry, broker_orders),
                                                                   actor=actor))
            if changes["transition"]:
                report.transitions += 1
                if was_unknown:
                    report.resolved_unknown += 1
            if changes["stuck"]:
                report.stuck_resolved.append(row.pk)
            continue
        covered = recent_covers(row) or row.pk in window_covered
        # Anonymous broker orders that look like this one: they forbid "never placed" (it may be one
        # of them) but are never bound by their attributes alone.
        lookalikes = [b for b in broker_orders if b.broker_id not in linked and not b.reference.startswith("tm:")
                      and _matches(row, b)]
        if len(found) > 1 or lookalikes or not covered or age < unknown_grace_seconds:
            if lookalikes:
                order_alert_raise(actor=actor, kind=AlertKind.UNIDENTIFIED_MATCH, order=row,
                                  broker_id=lookalikes[0].broker_id,
                                  message=UNIDENTIFIED.format(broker_id=lookalikes[0].broker_id, order=row.pk))
                if row.pk not in report.alerts:
                    report.alerts.append(row.pk)
            report.unresolved.append(row.pk)
            continue
        if row.broker_id:
            # Acknowledged once, and now its broker id names another order (or none) while the full list
            # lacks its reference: Tiger no longer has it. The alert stays open for a person.
            _transition(row.pk, S.REJECTED, actor=actor, only_from={S.UNKNOWN},
                        reason=VANISHED.format(reference=row.remark, seconds=int(age), broker_id=row.broker_id))
        else:
            _transition(row.pk, S.REJECTED, actor=actor, reason=NOT_FOUND_AT_BROKER.format(seconds=int(age)),
                        only_from=UNACKED)
            report.never_placed += 1
            if row.status == S.PENDING_SUBMIT:
                report.stuck_resolved.append(row.pk)
        report.transitions += 1
    report.external_orders = sum(1 for b in broker_orders if b.broker_id not in linked and b.is_open)
    return report


def orders_reconcile_all(*, actor: Actor, unknown_grace_seconds: int = UNKNOWN_GRACE_SECONDS) -> list[ReconcileReport]:
    """Every readable account that has open orders; one account's failure does not stop the others."""
    reports = []
    numbers = (Order.objects.filter(status__in=OPEN, account__in=accounts_for_actor(actor, scope=Scope.READ))
               .values_list("account__account_number", flat=True).distinct())
    for number in sorted(set(numbers)):
        try:
            reports.append(orders_reconcile(actor=actor, account_number=number, unknown_grace_seconds=unknown_grace_seconds))
        except ApplicationError as exc:
            reports.append(ReconcileReport(account_number=number, error=exc.message))
    return reports
