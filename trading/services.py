"""Writes on orders: preview → confirm → PENDING_SUBMIT (committed) → submit → ack | UNKNOWN → fills.

Every door (MCP, API, admin, tasks, commands) comes here; permissions (account_for_actor with
scope="trade"), the risk decision and the audit events live here so no door can skip them.

Order entry on one account is serial: the account's AccountTradingState row is locked
(select_for_update) while the limits are checked and the PENDING_SUBMIT row inserted, then the
transaction commits and only then does the network call happen, outside any lock. Facts that need
the network (last price, position, equity) are fetched before the lock is taken.
"""

import hashlib
import logging
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import HashedToken, Scope, TigerAccount
from accounts.selectors import account_for_actor, account_route, accounts_for_actor
from audit.services import audit_record
from core.errors import (
    ApplicationError,
    BadCredentials,
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    CircuitOpen,
    Conflict,
    CredentialError,
    InvalidInput,
    internal_error,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
)
from trading import market as tiger
from trading import selectors
from trading.intents import OrderIntent, canonical_decimal, normalise_intent
from trading.models import (
    ACTIVE,
    OPEN,
    TRANSITIONS,
    UNACKED,
    AccountTradingState,
    AlertKind,
    ConfirmAction,
    ConfirmationToken,
    Fill,
    KillSwitch,
    Order,
    OrderAlert,
    OrderStatus,
    RiskPolicy,
    RiskPolicyVersion,
)
from trading.risk import PolicyView, RiskContext, RiskDecision, RiskRefused, evaluate

logger = logging.getLogger(__name__)
S = OrderStatus

CONFIRMATION_TTL_SECONDS = 120
# An UNKNOWN (or stale PENDING_SUBMIT) order that the broker's order list still does not show after
# this long was never received: reconciliation rejects it.
UNKNOWN_GRACE_SECONDS = 60
# A PENDING_SUBMIT row younger than this may be mid-send in another process: leave it alone.
PENDING_STALE_SECONDS = 45
BROKER_LIST_LIMIT = 300
COVERAGE_MARGIN_SECONDS = 10
NEW_YORK = ZoneInfo("America/New_York")

# Message templates (tests assert them).
TOKEN_MISSING = "No confirmation token given. Call the preview first and pass its confirmation_token."
TOKEN_INVALID = "This confirmation token is not valid for account {account}. Call the preview again and confirm with the new token."
TOKEN_USED = "This confirmation token was already used. Call the preview again to get a new one."
TOKEN_EXPIRED = "This confirmation token expired (tokens live {ttl} s). Call the preview again."
TOKEN_WRONG_ACTION = "This token confirms a {token_action}, not a {action}. Use the token from the matching preview."
TOKEN_WRONG_ORDER = "This token confirms a change to order {token_order}, not order {order}."
TOKEN_OTHER_ACTOR = ("This confirmation token was issued to another caller; only whoever previewed an order can "
                     "confirm it. Call the preview yourself and confirm with the token it returns.")
KEY_REQUIRED = "idempotency_key is required (1 to 128 characters). Reuse a key only to retry the same order."
KEY_REUSED = "Idempotency key {key!r} was already used for a different order (order {order_id}). Use a new key for a new order."
IN_PROGRESS = "Order {order_id} (idempotency key {key!r}) is still being submitted. Wait a moment, then look it up with get_order."
PREVIEW_FAILED = "Tiger's order preview did not pass for account {account}: {warning}. Nothing was placed."
NOT_WORKING = "Order {order_id} is {status}; only working orders (SUBMITTED, PARTIALLY_FILLED) can be {verb}."
NOT_ACKED = "Order {order_id} has no Tiger id yet (status {status}); run reconciliation first (reconcile_orders)."
NOT_SENT = "Not placed: {message}"
NOTHING_TO_MODIFY = "Give at least one of quantity, limit_price, stop_price that differs from the order."
BELOW_FILLED = "The new quantity {quantity} is below the {filled} already filled."
NOT_FOUND_AT_BROKER = "Tiger's order list does not show this order {seconds} s after it was sent: it was never placed."
KILLED_BEFORE_SEND = "The kill switch was turned on before the order was sent; it was not sent."
BROKER_ID_TAKEN = ("Tiger answered with broker id {broker_id}, which already belongs to order {holder}: it was not "
                   "bound to order {order}. The order's outcome is unknown until reconciliation finds it by its "
                   "reference ({reference}); an alert is open for an operator.")
REFERENCE_MISMATCH = ("Tiger's order {broker_id} {found}, not this order's {reference}: the broker id no longer "
                      "identifies order {order}. Nothing is sent for it until reconciliation finds it by its reference "
                      "or an operator resolves the alert.")
VANISHED = ("Tiger's full order list does not carry this order's reference {reference} {seconds} s after it was "
            "entered, and its broker id {broker_id} names another order: Tiger no longer has it.")
UNIDENTIFIED = ("Tiger's order {broker_id} has no reference of ours but the same symbol, side, type, quantity and "
                "price as order {order}: it may be this order. Left UNKNOWN for an operator; it is never bound by "
                "its attributes alone.")
CANCEL_NOT_PROCESSED = ("Tiger still shows the order working {seconds} s after the cancel was requested: the cancel "
                        "was not processed, the order is working again. Cancel it again if you still want it gone.")
ACK_NOT_RECORDED = ("Outcome unknown: Tiger acknowledged the order but the acknowledgement could not be recorded "
                    "({error}); reconciliation will resolve it.")
NOT_SENT_INTERNAL = ("Internal error (reference {ref}) before the order was sent: nothing was placed. The cause is "
                     "logged under that reference; try again, and report it if it repeats.")
UNKNOWN_INTERNAL = ("Internal error (reference {ref}) while order {order} was being sent: its outcome is unknown "
                    "and reconciliation will resolve it (get_order shows the result). The cause is logged under that "
                    "reference.")
NOT_CANCELLED_UNIDENTIFIED = ("Order {order} was not cancelled: Tiger's order under its broker id {broker_id} could "
                              "not be positively identified as this order. It is now UNKNOWN with an alert for an operator.")
NOT_MODIFIED_UNIDENTIFIED = ("Order {order} was not modified: Tiger's order under its broker id {broker_id} could "
                             "not be positively identified as this order. It is now UNKNOWN with an alert for an operator.")
# A cancel Tiger still has not acted on after this long was lost: the order goes back to working.
CANCEL_STALE_SECONDS = 60
OPERATORS_ONLY = "Only operators (staff users, management commands) may use the kill switch."
CANCELS_NOT_SENT = "cancels not sent (read-only deployment)"
NOT_SENT_ERRORS = (BrokerRejected, RateLimited, BrokerUnavailable, CircuitOpen, BadCredentials, CredentialError)


# ---------------------------------------------------------------------------------------------------
# Risk policy
# ---------------------------------------------------------------------------------------------------

def risk_policy_save(*, actor: Actor, policy: RiskPolicy) -> RiskPolicy:
    """Create or edit a policy: a new version, its snapshot, and one audit event."""
    creating = policy.pk is None
    with transaction.atomic():
        if not creating:
            current = RiskPolicy.objects.select_for_update().get(pk=policy.pk)
            policy.version = current.version
        policy.version += 1
        try:
            policy.full_clean()
        except Exception as exc:
            raise InvalidInput(f"Risk policy is not valid: {exc}") from None
        policy.save()
        snapshot = policy.snapshot()
        RiskPolicyVersion.objects.create(policy=policy, version=policy.version, snapshot=snapshot,
                                         created_at=timezone.now(), actor_label=actor.label)
        audit_record(actor=actor, event_type="risk_policy.created" if creating else "risk_policy.updated",
                     account=policy.account, payload=snapshot)
    return policy


def risk_policy_for(*, account: TigerAccount) -> RiskPolicy:
    """The account's policy; the conservative defaults are created (and audited) on first use."""
    policy = RiskPolicy.objects.filter(account=account).first()
    if policy is not None:
        return policy
    try:
        return risk_policy_save(actor=Actor.system("task", "default risk policy"), policy=RiskPolicy(account=account))
    except (IntegrityError, InvalidInput):
        return RiskPolicy.objects.get(account=account)


# ---------------------------------------------------------------------------------------------------
# Risk evaluation
# ---------------------------------------------------------------------------------------------------

def trading_day(now=None) -> date:
    # US equities: the trading day is New York's calendar day.
    return (now or timezone.now()).astimezone(NEW_YORK).date()


@dataclass
class _Facts:
    last_price: Decimal | None
    net_liquidation: Decimal | None = None
    position: Decimal | None = None


def _day_loss(state: AccountTradingState | None, net_liquidation: Decimal | None, today: date) -> Decimal | None:
    """Money lost since the day's starting equity (negative: gained); None until today's start is known."""
    if state is None or state.trading_day != today or state.day_start_equity is None or net_liquidation is None:
        return None
    return state.day_start_equity - net_liquidation


def _gather_facts(account: TigerAccount, intent: OrderIntent, policy: RiskPolicy) -> _Facts:
    """Network reads, before any lock. A position is only fetched when it decides something."""
    facts = _Facts(last_price=tiger.last_price(account, intent.symbol))
    if policy.daily_loss_limit is not None:
        facts.net_liquidation, _currency = tiger.net_liquidation(account)
    state = AccountTradingState.objects.filter(account=account).first()
    today = trading_day()
    day_loss = _day_loss(state, facts.net_liquidation, today)
    losing = day_loss is not None and policy.daily_loss_limit is not None and day_loss >= policy.daily_loss_limit
    if losing or (state and state.closing_only_day == today) or selectors.kill_switch_scope(account=account):
        facts.position = tiger.position_quantity(account, intent.symbol)
    return facts


def _lock_state(account: TigerAccount) -> AccountTradingState:
    """Take the account's order-entry lock (call inside transaction.atomic)."""
    return AccountTradingState.objects.select_for_update().get_or_create(account=account)[0]


def _evaluate_locked(*, actor, account, intent, policy, facts, state, stage, exclude_order_id=None,
                     modifying=False) -> RiskDecision:
    """Decide with the lock held; writes the risk decision event (and the closing-only switch)."""
    now = timezone.now()
    today = trading_day(now)
    if facts.net_liquidation is not None and (state.trading_day != today or state.day_start_equity is None):
        # First look at the account today: today's losses are measured from here.
        state.trading_day = today
        state.day_start_equity = facts.net_liquidation
        state.save()
    day_loss = _day_loss(state, facts.net_liquidation, today)
    closable = None
    if facts.position is not None:
        same_side_open = selectors.open_same_side_remaining(account=account, symbol=intent.symbol, side=intent.side,
                                                            exclude_order_id=exclude_order_id)
        holding = facts.position if intent.side == "SELL" else -facts.position
        closable = max(holding - same_side_open, Decimal("0"))
    ctx = RiskContext(
        last_price=facts.last_price,
        open_exposure=selectors.open_exposure(account=account, exclude_order_id=exclude_order_id),
        orders_last_minute=0 if modifying else selectors.orders_entered_since(account=account, since=now - timedelta(seconds=60)),
        duplicate_age_seconds=None if modifying else selectors.duplicate_age_seconds(
            account=account, intent=intent, window_seconds=policy.duplicate_window_seconds, now=now),
        kill_switch=selectors.kill_switch_scope(account=account),
        day_loss=day_loss,
        closing_only=state.closing_only_day == today,
        closable_quantity=closable,
    )
    decision = evaluate(policy=PolicyView.from_snapshot(policy.snapshot()), intent=intent, ctx=ctx)
    if decision.closing_only_triggered:
        state.closing_only_day = today
        state.save()
        audit_record(actor=actor, event_type="risk.closing_only_activated", account=account,
                     payload={"day": today.isoformat(), "day_loss": str(day_loss), "limit": str(policy.daily_loss_limit),
                              "currency": policy.currency, "policy_version": policy.version})
    audit_record(actor=actor, event_type="risk.decision", account=account,
                 payload={"stage": stage, "order": intent.canonical(), **decision.as_dict(),
                          "open_exposure": str(ctx.open_exposure), "last_price": canonical_decimal(ctx.last_price)})
    return decision


# ---------------------------------------------------------------------------------------------------
# Confirmation tokens
# ---------------------------------------------------------------------------------------------------

@dataclass
class OrderPreview:
    """What a preview returns: show it to the human, then confirm with `confirmation_token`."""

    action: str
    account_number: str
    environment: str
    confirmation_token: str
    expires_at: str
    order: dict
    order_hash: str
    risk: dict
    broker_preview: dict = field(default_factory=dict)
    order_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _issue_token(*, actor, account, action, payload: dict, payload_hash: str, decision: dict,
                 order: Order | None = None, broker_preview: dict | None = None) -> OrderPreview:
    plain = "tmc_" + secrets.token_urlsafe(24)
    now = timezone.now()
    expires = now + timedelta(seconds=CONFIRMATION_TTL_SECONDS)
    with transaction.atomic():
        token = ConfirmationToken.objects.create(
            token_hash=HashedToken.hash(plain), action=action, account=account, order=order, payload=payload,
            payload_hash=payload_hash, risk_decision=decision, actor_label=actor.label,
            actor_identity=actor.identity, created_at=now, expires_at=expires,
        )
        audit_record(actor=actor, event_type="confirmation.issued", account=account,
                     payload={"action": action, "token_id": token.pk, "order_hash": payload_hash,
                              "order": payload, "order_id": order.pk if order else None,
                              "expires_at": expires.isoformat(), "policy_version": decision.get("policy_version")})
    return OrderPreview(action=action, account_number=account.account_number, environment=account.environment,
                        confirmation_token=plain,
                        expires_at=expires.isoformat(), order=payload, order_hash=payload_hash, risk=decision,
                        broker_preview=broker_preview or {}, order_id=order.pk if order else None)


def _find_token(*, actor, account, plain: str | None, action: str) -> ConfirmationToken:
    if not plain:
        _refuse_confirmation(actor, account, action, "missing")
        raise InvalidInput(TOKEN_MISSING, code="confirmation_missing")
    token = ConfirmationToken.objects.filter(token_hash=HashedToken.hash(plain)).first()
    if token is None or token.account_id != account.pk:
        _refuse_confirmation(actor, account, action, "invalid")
        raise PermissionDenied(TOKEN_INVALID.format(account=account.account_number), code="confirmation_invalid")
    if token.actor_identity != actor.identity:
        _refuse_confirmation(actor, account, action, "other_actor", token)
        raise PermissionDenied(TOKEN_OTHER_ACTOR, code="confirmation_other_actor")
    if token.action != action:
        _refuse_confirmation(actor, account, action, "wrong_action", token)
        raise PermissionDenied(TOKEN_WRONG_ACTION.format(token_action=token.action, action=action),
                               code="confirmation_invalid")
    return token


CONFIRMATION_MISMATCH = (
    "This confirmation token was issued for a different order: {diffs}. Nothing was placed or changed. "
    "Preview the order you want again, show it to the user, and confirm with the new token."
)


def _check_expected(*, actor, account, token: ConfirmationToken, previewed: dict, expected: dict | None) -> None:
    """A door that repeats the order beside its token (MCP does: the model restates what it is
    confirming) gets a refusal, audited, when the two differ: no confirming one order and sending
    another."""
    if expected is None:
        return
    diffs = [f"{key} previewed {previewed.get(key)!r}, given {value!r}"
             for key, value in expected.items() if previewed.get(key) != value]
    if not diffs:
        return
    with transaction.atomic():
        audit_record(actor=actor, event_type="confirmation.refused", account=account,
                     payload={"action": token.action, "reason": "mismatch", "token_id": token.pk, "differences": diffs})
    raise PermissionDenied(CONFIRMATION_MISMATCH.format(diffs="; ".join(diffs)), code="confirmation_mismatch")


def _refuse_confirmation(actor, account, action, why: str, token: ConfirmationToken | None = None) -> None:
    audit_record(actor=actor, event_type="confirmation.refused", account=account,
                 payload={"action": action, "reason": why, "token_id": token.pk if token else None})


def _consume_token(*, actor, account, token: ConfirmationToken) -> None:
    """Single use, enforced by the database: one conditional UPDATE wins. Call inside the atomic
    block of the action it confirms; on refusal the caller must commit the refusal event."""
    now = timezone.now()
    won = ConfirmationToken.objects.filter(pk=token.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not won:
        token.refresh_from_db()
        why = "used" if token.used_at else "expired"
        _refuse_confirmation(actor, account, token.action, why, token)
        error = (PermissionDenied(TOKEN_USED, code="confirmation_used") if why == "used"
                 else PermissionDenied(TOKEN_EXPIRED.format(ttl=CONFIRMATION_TTL_SECONDS), code="confirmation_expired"))
        raise _CommitThenRaise(error)
    audit_record(actor=actor, event_type="confirmation.used", account=account,
                 payload={"action": token.action, "token_id": token.pk, "order_hash": token.payload_hash,
                          "order_id": token.order_id})


class _CommitThenRaise(Exception):
    """Leave the atomic block normally (keeping the refusal's audit events), then raise `error`."""

    def __init__(self, error: ApplicationError):
        super().__init__(error.message)
        self.error = error


# ---------------------------------------------------------------------------------------------------
# Preview and place
# ---------------------------------------------------------------------------------------------------

def order_preview(*, actor: Actor, account_number: str | None, symbol: str, side: str, quantity, order_type: str = "LMT",
                  limit_price=None, stop_price=None, time_in_force: str = "DAY", outside_rth: bool = False,
                  market: str | None = None, currency: str | None = None) -> OrderPreview:
    """Check an order (permission, risk, Tiger's own preview) and return a single-use confirmation
    token bound to this account and this exact order, valid for CONFIRMATION_TTL_SECONDS.
    Raises RiskRefused (rule, limit, value), PermissionDenied/NotFound, InvalidInput, BrokerError."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    intent = normalise_intent(account_number=account.account_number, symbol=symbol, side=side, quantity=quantity,
                              order_type=order_type, limit_price=limit_price, stop_price=stop_price,
                              time_in_force=time_in_force, outside_rth=outside_rth, market=market,
                              currency=currency)
    policy = risk_policy_for(account=account)
    facts = _gather_facts(account, intent, policy)
    with transaction.atomic():
        decision = _evaluate_locked(actor=actor, account=account, intent=intent, policy=policy, facts=facts,
                                    state=_lock_state(account), stage="preview")
    if not decision.accepted:
        raise RiskRefused(decision, account=account)
    preview = tiger.broker(account).preview_order(tiger.order_spec(intent))
    if not preview.is_pass:
        raise BrokerRejected(PREVIEW_FAILED.format(account=account.account_number, warning=preview.warning or "no reason given"),
                             code="preview_failed")
    broker_preview = {k: (canonical_decimal(v) if isinstance(v, Decimal) else v) for k, v in asdict(preview).items()}
    return _issue_token(actor=actor, account=account, action=ConfirmAction.PLACE, payload=intent.canonical(),
                        payload_hash=intent.hash(), decision=decision.as_dict(), broker_preview=broker_preview)


def token_idempotency_key(confirmation_token: str | None) -> str:
    """One order per confirmation token, for doors whose callers give no key of their own: a retried
    place (lost reply, client retry) with the same token returns the same order."""
    if not confirmation_token:
        return "token:none"
    return "token:" + hashlib.sha256(confirmation_token.encode()).hexdigest()[:40]


def _replay(order: Order, payload_hash: str, key: str) -> Order:
    if order.payload_hash != payload_hash:
        raise Conflict(KEY_REUSED.format(key=key, order_id=order.pk), code="idempotency_key_reused")
    if order.status == S.PENDING_SUBMIT:
        raise Conflict(IN_PROGRESS.format(order_id=order.pk, key=key), code="order_in_progress")
    order.replayed = True
    return order


def order_place(*, actor: Actor, account_number: str | None, confirmation_token: str,
                idempotency_key: str | None = None, expected: dict | None = None) -> Order:
    """Place the previewed order. Idempotent by key: the same key and order returns the original
    Order (whatever its status) with `replayed` set; the same key with a different order, or while
    the first is still being sent, is refused (Conflict). The returned Order is SUBMITTED, REJECTED (with
    status_reason), or UNKNOWN when Tiger's answer was lost: never resent; reconciliation resolves it.
    `expected`: the canonical order the caller believes it confirms; refused if the token says otherwise."""
    try:
        order = _order_enter(actor=actor, account_number=account_number, confirmation_token=confirmation_token,
                             idempotency_key=idempotency_key, expected=expected)
    except ApplicationError:
        raise
    except Exception as exc:  # nothing has been sent: say so, and log why
        raise internal_error(exc, logger, NOT_SENT_INTERNAL) from exc
    if order.replayed:
        return order
    try:
        return _submit(order=order, actor=actor)
    except ApplicationError:
        raise
    except Exception as exc:  # the row is committed: reconciliation finds out whether Tiger has it
        raise internal_error(exc, logger, UNKNOWN_INTERNAL.replace("{order}", str(order.pk))) from exc


def _order_enter(*, actor: Actor, account_number: str | None, confirmation_token: str, idempotency_key: str | None,
                 expected: dict | None) -> Order:
    """Check, confirm and commit the PENDING_SUBMIT row (or return the replayed original)."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    if idempotency_key is None:
        idempotency_key = token_idempotency_key(confirmation_token)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 128:
        raise InvalidInput(KEY_REQUIRED, code="idempotency_key_required")
    token = _find_token(actor=actor, account=account, plain=confirmation_token, action=ConfirmAction.PLACE)
    if expected is not None:  # the door's restatement, in the same canonical form as the previewed order
        expected = normalise_intent(**{**expected, "account_number": account.account_number}).canonical()
    _check_expected(actor=actor, account=account, token=token, previewed=token.payload, expected=expected)
    existing = Order.objects.filter(account=account, idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, token.payload_hash, key)

    intent = OrderIntent.from_canonical(token.payload)
    policy = risk_policy_for(account=account)
    facts = _gather_facts(account, intent, policy)
    refusal: ApplicationError | None = None
    order = None
    try:
        with transaction.atomic():
            state = _lock_state(account)
            existing = Order.objects.filter(account=account, idempotency_key=key).first()
            if existing is None:
                try:
                    _consume_token(actor=actor, account=account, token=token)
                    decision = _evaluate_locked(actor=actor, account=account, intent=intent, policy=policy,
                                                facts=facts, state=state, stage="place")
                    if not decision.accepted:
                        raise _CommitThenRaise(RiskRefused(decision, account=account))
                except _CommitThenRaise as wrapped:
                    # Caught inside the block so the refusal's audit events (and the spent token) commit.
                    refusal = wrapped.error
                else:
                    order = _order_create(actor=actor, account=account, intent=intent, key=key, decision=decision,
                                          payload_hash=token.payload_hash)
    except IntegrityError:
        # SQLite has no row locks: a concurrent twin with the same key won the insert.
        existing = Order.objects.filter(account=account, idempotency_key=key).first()
        if existing is None:
            raise
    if refusal is not None:
        raise refusal
    if order is None:
        return _replay(existing, token.payload_hash, key)
    return order


def _order_create(*, actor, account, intent: OrderIntent, key: str, decision: RiskDecision, payload_hash: str) -> Order:
    order = Order(
        client_ref=uuid.uuid4().hex, account=account, idempotency_key=key, payload_hash=payload_hash,
        symbol=intent.symbol, sec_type=intent.sec_type, market=intent.market, currency=intent.currency,
        side=intent.side, order_type=intent.order_type, quantity=intent.quantity, limit_price=intent.limit_price,
        stop_price=intent.stop_price, time_in_force=intent.time_in_force, outside_rth=intent.outside_rth,
        reference_price=Decimal(decision.reference_price), status=S.PENDING_SUBMIT,
        actor_type=actor.kind, actor_id=actor.ref_id, actor_label=actor.label, door=actor.door,
        request_id=actor.request_id, risk_decision=decision.as_dict(), policy_version=decision.policy_version,
        created_at=timezone.now(),
    )
    order.full_clean(validate_unique=False, validate_constraints=False)
    order.save()
    audit_record(actor=actor, event_type="order.transition", account=account,
                 payload={**order.audit_payload(), "from": None, "to": S.PENDING_SUBMIT,
                          "risk_decision": {"accepted": True, "checked": decision.checked, "notional": decision.notional}})
    return order


def _intent_of(order: Order) -> OrderIntent:
    return OrderIntent(account_number=order.account.account_number, symbol=order.symbol, side=order.side,
                       quantity=order.quantity, order_type=order.order_type, limit_price=order.limit_price,
                       stop_price=order.stop_price, time_in_force=order.time_in_force, outside_rth=order.outside_rth,
                       sec_type=order.sec_type, market=order.market, currency=order.currency)


# Row locks on orders always use of=("self",): locking the joined account row too would collide with
# the foreign-key share locks every order insert takes on it (a deadlock with the audit head lock).


def _lock_order(pk: int) -> Order:
    """Lock one order row (call inside transaction.atomic) and read it afresh, with its account."""
    return Order.objects.select_for_update(of=("self",)).select_related("account").get(pk=pk)


def _transition(order_pk: int, new_status: str, *, actor, only_from, reason: str = "") -> Order:
    """Lock the row, re-read it, and move it if it still is where the caller thinks it is
    (`only_from`, which never holds `new_status`)."""
    with transaction.atomic():
        order = _lock_order(order_pk)
        if order.status not in only_from:
            return order
        order.set_status(new_status, actor=actor, reason=reason)
    return order


def _submit(*, order: Order, actor) -> Order:
    """The one network call for a new order. Never retried: an unknown outcome becomes UNKNOWN."""
    if order.risk_decision.get("risk_increasing", True) and selectors.kill_switch_scope(account=order.account):
        return _transition(order.pk, S.REJECTED, actor=actor, reason=KILLED_BEFORE_SEND, only_from={S.PENDING_SUBMIT})
    spec = tiger.order_spec(_intent_of(order), remark=order.remark)
    try:
        result = tiger.broker(order.account).place_order(spec)
    except OutcomeUnknown as exc:
        return _transition(order.pk, S.UNKNOWN, actor=actor, reason=exc.message, only_from={S.PENDING_SUBMIT})
    except NOT_SENT_ERRORS as exc:
        return _transition(order.pk, S.REJECTED, actor=actor, reason=NOT_SENT.format(message=exc.message),
                           only_from={S.PENDING_SUBMIT})
    except Exception as exc:  # a bug or an error we do not know: the order may exist, so UNKNOWN
        logger.exception("place_order failed unexpectedly for order %s", order.pk)
        reason = exc.message if isinstance(exc, BrokerError) else f"unexpected error ({type(exc).__name__})"
        return _transition(order.pk, S.UNKNOWN, actor=actor, reason=reason, only_from={S.PENDING_SUBMIT})
    try:
        order = _apply_ack(order.pk, result, actor=actor)
    except Exception as exc:  # Tiger has the order; we failed to write that down
        logger.exception("recording Tiger's acknowledgement %s of order %s failed", result.broker_id, order.pk)
        return _transition(order.pk, S.UNKNOWN, actor=actor, reason=ACK_NOT_RECORDED.format(error=type(exc).__name__),
                           only_from={S.PENDING_SUBMIT})
    if order.risk_decision.get("risk_increasing", True) and selectors.kill_switch_scope(account=order.account) \
            and order.status in ACTIVE:
        # The switch went on while this order was in flight: the sweep may have missed it.
        _cancel_at_broker(order=order, actor=actor, reason="kill switch")
        order.refresh_from_db()
    return order


def _apply_ack(order_pk: int, result, *, actor) -> Order:
    broker_id = str(result.broker_id)
    with transaction.atomic():
        order = _lock_order(order_pk)
        holder = _broker_id_holder(order, broker_id)
        if holder is not None or (order.broker_id and order.broker_id != broker_id):
            _binding_refused(order, broker_id, holder or order.pk, actor=actor)
            return order
        order.broker_id = broker_id
        order.broker_order_id = order.broker_order_id or result.order_id
        if order.status in UNACKED:
            order.set_status(S.SUBMITTED, actor=actor, reason="acknowledged by Tiger")
        else:  # reconciliation got there first
            order.save()
    return order


# ---------------------------------------------------------------------------------------------------
# Identity: a broker id is bound to one order only, and only to the order whose reference Tiger echoes
# ---------------------------------------------------------------------------------------------------

def _broker_id_holder(order: Order, broker_id: str) -> int | None:
    """The other order of ours already bound to `broker_id`, if any."""
    return (Order.objects.filter(account_id=order.account_id, broker_id=broker_id).exclude(pk=order.pk)
            .values_list("pk", flat=True).first())


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


def _identity_lost(order_pk: int, bo, broker_id: str, *, actor) -> Order:
    """Tiger's order under our broker id is missing or carries another reference: UNKNOWN and an alert."""
    found = f"carries reference {bo.reference!r}" if bo is not None else "cannot be found"
    with transaction.atomic():
        order = _lock_order(order_pk)
        message = REFERENCE_MISMATCH.format(broker_id=broker_id, found=found, reference=order.remark, order=order.pk)
        _to_unknown(order, actor=actor, reason=message)
        order_alert_raise(actor=actor, kind=AlertKind.REFERENCE_MISMATCH, order=order, broker_id=broker_id,
                          message=message)
    return order


def _positively_identified(order: Order, *, actor) -> bool:
    """Before acting on a broker order: Tiger's order under our broker id carries our reference. If it
    does not (or Tiger has no such order) the row goes UNKNOWN with an alert and nothing is sent.
    Transport errors propagate: the caller has sent nothing yet."""
    try:
        bo = tiger.broker(order.account).order(order.broker_id)
    except BrokerRejected:
        bo = None
    if bo is not None and bo.reference == order.remark:
        return True
    _identity_lost(order.pk, bo, order.broker_id, actor=actor)
    return False


# ---------------------------------------------------------------------------------------------------
# Modify and cancel
# ---------------------------------------------------------------------------------------------------

def _working_order(account, order_id: int, verb: str) -> Order:
    order = Order.objects.select_related("account").filter(account=account, pk=order_id).first()
    if order is None:
        raise InvalidInput(selectors.NO_SUCH_ORDER.format(order_id=order_id, account=account.account_number),
                           code="unknown_order")
    if order.status not in ACTIVE:
        if order.status in UNACKED:
            raise Conflict(NOT_ACKED.format(order_id=order.pk, status=order.status), code="order_not_acknowledged")
        raise Conflict(NOT_WORKING.format(order_id=order.pk, status=order.status, verb=verb), code="order_not_working")
    return order


def _modified_intent(order: Order, quantity, limit_price, stop_price) -> OrderIntent:
    current = _intent_of(order)
    changes = {}
    if quantity is not None:
        changes["quantity"] = quantity
    if limit_price is not None:
        changes["limit_price"] = limit_price
    if stop_price is not None:
        changes["stop_price"] = stop_price
    new = current.with_changes(**changes)
    if new == current:
        raise InvalidInput(NOTHING_TO_MODIFY)
    if new.quantity < order.filled_quantity:
        raise InvalidInput(BELOW_FILLED.format(quantity=new.quantity, filled=order.filled_quantity))
    return new


def _modify_payload(order: Order, new: OrderIntent) -> tuple[dict, str]:
    payload = {"order_id": order.pk, "broker_id": order.broker_id, "new": new.canonical()}
    return payload, hashlib.sha256(f"{order.pk}:{new.hash()}".encode()).hexdigest()


def order_modify_preview(*, actor: Actor, account_number: str | None, order_id: int, quantity=None, limit_price=None,
                         stop_price=None) -> OrderPreview:
    """Check a change to a working order against the risk policy (as if it were the order, without
    its old self in the exposure) and return a token that confirms exactly this change."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    order = _working_order(account, order_id, "modified")
    new = _modified_intent(order, quantity, limit_price, stop_price)
    policy = risk_policy_for(account=account)
    facts = _gather_facts(account, new, policy)
    with transaction.atomic():
        decision = _evaluate_locked(actor=actor, account=account, intent=new, policy=policy, facts=facts,
                                    state=_lock_state(account), stage="modify_preview", exclude_order_id=order.pk,
                                    modifying=True)
    if not decision.accepted:
        raise RiskRefused(decision, account=account)
    payload, payload_hash = _modify_payload(order, new)
    return _issue_token(actor=actor, account=account, action=ConfirmAction.MODIFY, payload=payload,
                        payload_hash=payload_hash, decision=decision.as_dict(), order=order)


def order_modify(*, actor: Actor, account_number: str | None, order_id: int, confirmation_token: str,
                 expected: dict | None = None) -> Order:
    """Apply a previewed change. Risk is checked again under the account lock. While the change is
    in flight the order counts at the larger of its old and new notional."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    token = _find_token(actor=actor, account=account, plain=confirmation_token, action=ConfirmAction.MODIFY)
    if token.order_id != int(order_id):
        _refuse_confirmation(actor, account, ConfirmAction.MODIFY, "wrong_order", token)
        raise PermissionDenied(TOKEN_WRONG_ORDER.format(token_order=token.order_id, order=order_id), code="confirmation_invalid")
    _check_expected(actor=actor, account=account, token=token, previewed=token.payload["new"], expected=expected)
    order = _working_order(account, order_id, "modified")
    if not _positively_identified(order, actor=actor):
        raise Conflict(NOT_MODIFIED_UNIDENTIFIED.format(order=order.pk, broker_id=order.broker_id),
                       code="order_not_identified")
    new = OrderIntent.from_canonical(token.payload["new"])
    policy = risk_policy_for(account=account)
    facts = _gather_facts(account, new, policy)
    old = {"quantity": order.quantity, "limit_price": order.limit_price, "stop_price": order.stop_price,
           "reference_price": order.reference_price}
    refusal = None
    with transaction.atomic():
        try:
            state = _lock_state(account)
            _consume_token(actor=actor, account=account, token=token)
            order = _lock_order(order.pk)
            if order.status not in ACTIVE:
                raise _CommitThenRaise(Conflict(NOT_WORKING.format(order_id=order.pk, status=order.status, verb="modified"),
                                                code="order_not_working"))
            decision = _evaluate_locked(actor=actor, account=account, intent=new, policy=policy, facts=facts, state=state,
                                        stage="modify", exclude_order_id=order.pk, modifying=True)
            if not decision.accepted:
                raise _CommitThenRaise(RiskRefused(decision, account=account))
            new_ref = Decimal(decision.reference_price)
            grows = new.quantity * new_ref >= order.quantity * order.reference_price
            if grows:  # count the larger exposure while the broker decides
                order.quantity, order.limit_price, order.stop_price = new.quantity, new.limit_price, new.stop_price
                order.reference_price = new_ref
                order.save()
            audit_record(actor=actor, event_type="order.modify_requested", account=account,
                         payload={**order.audit_payload(), "new": new.canonical(),
                                  "old": {k: canonical_decimal(v) for k, v in old.items()}})
        except _CommitThenRaise as wrapped:
            refusal = wrapped.error
    if refusal is not None:
        raise refusal
    try:
        tiger.broker(account).modify_order(order.broker_id, tiger.order_spec(new, remark=order.remark))
    except OutcomeUnknown as exc:
        audit_record(actor=actor, event_type="order.modify_unknown", account=account,
                     payload={**order.audit_payload(), "reason": exc.message})
        return order
    except BrokerError as exc:
        with transaction.atomic():
            order = _lock_order(order.pk)
            for name, value in old.items():
                setattr(order, name, value)
            order.save()
            audit_record(actor=actor, event_type="order.modify_rejected", account=account,
                         payload={**order.audit_payload(), "reason": exc.message})
        raise
    with transaction.atomic():
        order = _lock_order(order.pk)
        order.quantity, order.limit_price, order.stop_price = new.quantity, new.limit_price, new.stop_price
        order.reference_price = Decimal(decision.reference_price)
        order.save()
        audit_record(actor=actor, event_type="order.modified", account=account, payload=order.audit_payload())
    return order


def order_cancel_preview(*, actor: Actor, account_number: str | None, order_id: int) -> OrderPreview:
    """A token confirming the cancellation of one working order (cancelling never adds risk)."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    order = _working_order(account, order_id, "cancelled")
    payload = {"order_id": order.pk, "broker_id": order.broker_id, "symbol": order.symbol, "side": order.side,
               "quantity": canonical_decimal(order.quantity), "filled_quantity": canonical_decimal(order.filled_quantity)}
    decision = {"accepted": True, "rule": "", "message": "Cancelling reduces exposure."}
    return _issue_token(actor=actor, account=account, action=ConfirmAction.CANCEL, payload=payload,
                        payload_hash=hashlib.sha256(f"cancel:{order.pk}".encode()).hexdigest(), decision=decision,
                        order=order)


def order_cancel(*, actor: Actor, account_number: str | None, order_id: int, confirmation_token: str) -> Order:
    """Cancel a working order with the token from order_cancel_preview. Returns the order, usually
    CANCEL_PENDING (CANCELLED once Tiger confirms; reconciliation completes it)."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    token = _find_token(actor=actor, account=account, plain=confirmation_token, action=ConfirmAction.CANCEL)
    if token.order_id != int(order_id):
        _refuse_confirmation(actor, account, ConfirmAction.CANCEL, "wrong_order", token)
        raise PermissionDenied(TOKEN_WRONG_ORDER.format(token_order=token.order_id, order=order_id), code="confirmation_invalid")
    refusal = None
    with transaction.atomic():
        try:
            _consume_token(actor=actor, account=account, token=token)
        except _CommitThenRaise as wrapped:
            refusal = wrapped.error
    if refusal is not None:
        raise refusal
    order = _working_order(account, order_id, "cancelled")
    return _cancel_at_broker(order=order, actor=actor, reason="cancel requested", raise_errors=True)


def _cancel_at_broker(*, order: Order, actor, reason: str, raise_errors: bool = False) -> Order:
    """Cancel one working order at Tiger, only once Tiger's order under its broker id is positively
    this order (its reference matches); otherwise the row goes UNKNOWN with an alert and nothing is sent."""
    if order.status not in ACTIVE or not order.broker_id:
        return order
    try:
        identified = _positively_identified(order, actor=actor)
    except BrokerError:
        if raise_errors:
            raise
        return Order.objects.select_related("account").get(pk=order.pk)  # not sent: the order still works
    if not identified:
        if raise_errors:
            raise Conflict(NOT_CANCELLED_UNIDENTIFIED.format(order=order.pk, broker_id=order.broker_id),
                           code="order_not_identified")
        return Order.objects.select_related("account").get(pk=order.pk)
    with transaction.atomic():
        locked = _lock_order(order.pk)
        if locked.status not in ACTIVE or locked.broker_id != order.broker_id:
            return locked
        previous = locked.status
        locked.set_status(S.CANCEL_PENDING, actor=actor, reason=reason)
    try:
        tiger.broker(locked.account).cancel_order(locked.broker_id)
    except OutcomeUnknown:
        return locked  # still CANCEL_PENDING; reconciliation reads the truth
    except BrokerRejected as exc:
        # Too late (filled) or refused: read the order's real state.
        _sync_one(locked, actor=actor, cancel_refused=exc.message)
        if raise_errors:
            raise
        return Order.objects.get(pk=locked.pk)
    except BrokerError as exc:  # not sent: the order still works
        _transition(locked.pk, previous, actor=actor, reason=f"cancel not sent: {exc.message}",
                    only_from={S.CANCEL_PENDING})
        if raise_errors:
            raise
        return Order.objects.get(pk=locked.pk)
    try:
        _sync_one(locked, actor=actor)
    except BrokerError:
        pass  # the cancel went through; reconciliation will read the final state
    return Order.objects.select_related("account").get(pk=locked.pk)


def _sync_one(order: Order, *, actor, cancel_refused: str | None = None) -> None:
    bo = tiger.broker(order.account).order(order.broker_id)
    _apply_broker_order(order.pk, bo, actor=actor, cancel_refused=cancel_refused)


# ---------------------------------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------------------------------

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
            message = REFERENCE_MISMATCH.format(broker_id=bo.broker_id, found=found, reference=order.remark,
                                                order=order.pk)
            _to_unknown(order, actor=actor, reason=message)
            order_alert_raise(actor=actor, kind=AlertKind.REFERENCE_MISMATCH, order=order, broker_id=bo.broker_id,
                              message=message)
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
    """Same symbol, side, type, quantity and limit price: a hint for an operator, never a binding."""
    if bo.symbol.upper() != row.symbol or bo.side != row.side or bo.order_type != row.order_type:
        return False
    if bo.quantity != row.quantity:
        return False
    return (bo.limit_price or None) == (row.limit_price or None)


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
    client = tiger.broker(account)
    broker_orders = client.orders(limit=BROKER_LIST_LIMIT)
    # "Not in the list" proves "never placed" only when the list reaches back past the row: it is
    # complete, or it holds one of our orders entered well before this one. Judged by our own clock,
    # never by comparing the broker's timestamps with ours.
    by_id = {bo.broker_id: bo for bo in broker_orders}
    by_reference: dict[str, list] = {}
    for bo in broker_orders:
        if bo.reference.startswith("tm:"):
            by_reference.setdefault(bo.reference, []).append(bo)
    full_list = len(broker_orders) < BROKER_LIST_LIMIT
    earliest_listed = (Order.objects.filter(account=account, broker_id__in=list(by_id))
                       .order_by("created_at").values_list("created_at", flat=True).first())
    linked = set(Order.objects.filter(account=account).exclude(broker_id="").values_list("broker_id", flat=True))
    now = timezone.now()
    for row in rows:
        report.checked += 1
        age = (now - row.created_at).total_seconds()
        if row.status == S.PENDING_SUBMIT and age < PENDING_STALE_SECONDS:
            continue  # may be mid-send right now
        found = by_reference.get(row.remark, [])
        bo = found[0] if len(found) == 1 else None
        if bo is None and row.broker_id and not found:
            bo = by_id.get(row.broker_id)
            if bo is None:
                try:  # beyond the list's reach: ask for it by id
                    bo = client.order(row.broker_id)
                except BrokerRejected:
                    bo = None
            if bo is None or bo.reference != row.remark:
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
            if changes["transition"]:
                report.transitions += 1
                if was_unknown:
                    report.resolved_unknown += 1
            if changes["stuck"]:
                report.stuck_resolved.append(row.pk)
            continue
        covered = full_list or (earliest_listed is not None
                                and earliest_listed < row.created_at - timedelta(seconds=COVERAGE_MARGIN_SECONDS))
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


# ---------------------------------------------------------------------------------------------------
# Kill switch
# ---------------------------------------------------------------------------------------------------

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


def _is_operator(actor: Actor) -> bool:
    return actor.kind == "system" or (actor.kind == "user" and (actor.user.is_staff or actor.user.is_superuser))


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
