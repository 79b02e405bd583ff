"""The kill switch, global and per account: refuses new risk at once and cancels working orders."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Scope
from accounts.selectors import account_for_actor
from audit.services import audit_record
from core.errors import (
    ApplicationError,
    PermissionDenied,
)
from trading.models import (
    ACTIVE,
    OPEN,
    UNACKED,
    KillSwitch,
    Order,
)
from trading.services.common import CANCELS_NOT_SENT, _is_operator, logger, OPERATORS_ONLY, S
from trading.services.orders import _cancel_at_broker
from trading.services.reconciliation import orders_reconcile


@dataclass
class KillSwitchResult:
    scope: str
    active: bool
    cancel_requested: list[int] = field(default_factory=list)
    cancel_failed: dict = field(default_factory=dict)
    unresolved: list[int] = field(default_factory=list)
    # Read-only deployment: the switch is recorded but nothing is sent to Tiger; these stay working.
    cancels_not_sent: list[int] | None = None

    def summary(self) -> str:
        """One line for an operator: what the switch is now and what happened to working orders."""
        line = f"{self.scope}: kill switch {'ON' if self.active else 'off'}"
        if self.active and self.cancels_not_sent is not None:
            line += (f"; {CANCELS_NOT_SENT}: {len(self.cancels_not_sent)} open order(s) left as they are at Tiger")
        elif self.active:
            line += (f"; cancel requested for {len(self.cancel_requested)} order(s), "
                     f"{len(self.cancel_failed)} failed, {len(self.unresolved)} unresolved")
        return line + "."


def kill_switch_set(*, actor: Actor, active: bool, account_number: str | None = None, reason: str = "") -> KillSwitchResult:
    """Turn the global (no account_number) or an account's kill switch on or off. On: new
    risk-increasing orders are refused at once (the risk check reads the switch under the account
    lock) and working orders are cancelled at Tiger. Operators only (staff users, commands)."""
    if not _is_operator(actor):
        raise PermissionDenied(OPERATORS_ONLY, code="operators_only")
    account = account_for_actor(actor, account_number, scope=Scope.READ) if account_number else None
    scope = f"account:{account.pk}" if account else "global"
    with transaction.atomic():
        switch = KillSwitch.objects.select_for_update().get_or_create(scope=scope, defaults={"account": account})[0]
        switch.active = bool(active)
        switch.reason = (reason or "")[:300]
        switch.changed_by = actor.label
        switch.changed_at = timezone.now()
        switch.full_clean()
        switch.save()
        audit_record(actor=actor, event_type="kill_switch.on" if active else "kill_switch.off", account=account,
                     payload={"scope": "global" if account is None else "account", "reason": switch.reason,
                              **({"cancels_sent": False} if active and settings.TIGERMCP_READ_ONLY else {})})
    result = KillSwitchResult(scope="global" if account is None else account.account_number, active=bool(active))
    if not active:
        return result
    rows = Order.objects.select_related("account").filter(status__in=OPEN)
    if account is not None:
        rows = rows.filter(account=account)
    if settings.TIGERMCP_READ_ONLY:
        # Read-only means no broker writes from any door, the kill switch's cancels included.
        result.cancels_not_sent = sorted(o.pk for o in rows)
        return result
    for number in sorted({o.account.account_number for o in rows if o.status in UNACKED}):
        try:  # find UNKNOWN orders first, so working ones among them get cancelled too
            orders_reconcile(actor=actor, account_number=number)
        except ApplicationError as exc:
            logger.warning("kill switch: reconciling %s failed: %s", number, exc.message)
    for order in Order.objects.select_related("account").filter(pk__in=[o.pk for o in rows]).order_by("id"):
        if order.status in UNACKED:
            result.unresolved.append(order.pk)
            continue
        if order.status not in ACTIVE:
            continue
        done = _cancel_at_broker(order=order, actor=actor, reason="kill switch")
        if done.status in UNACKED:  # not positively identified at Tiger: nothing was sent
            result.unresolved.append(order.pk)
        elif done.status in (S.CANCEL_PENDING, S.CANCELLED) or done.is_terminal:
            result.cancel_requested.append(order.pk)
        else:
            result.cancel_failed[order.pk] = done.status_reason
    return result
