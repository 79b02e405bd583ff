"""Preview → confirm: single-use tokens bound to the account, the actor and the exact order."""

import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from accounts.models import HashedToken
from audit.services import audit_record
from core.hot_queries import hot_insert, hot_instances, hot_update
from core.errors import (
    InvalidInput,
    PermissionDenied,
)
from trading.models import (
    ConfirmationToken,
    Order,
)
from trading.services.common import (
    _CommitThenRaise,
    CONFIRMATION_MISMATCH,
    CONFIRMATION_TTL_SECONDS,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    TOKEN_OTHER_ACTOR,
    TOKEN_USED,
    TOKEN_WRONG_ACTION,
)


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
    # What the order will do, in the user's terms (trading.services.order_summary): legs, net,
    # commission, margin, max_loss, session. Empty for a modification's or cancellation's preview.
    preview: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _issue_token(*, actor, account, action, payload: dict, payload_hash: str, decision: dict,
                 order: Order | None = None, broker_preview: dict | None = None,
                 preview: dict | None = None) -> OrderPreview:
    plain = "tmc_" + secrets.token_urlsafe(24)
    now = timezone.now()
    expires = now + timedelta(seconds=CONFIRMATION_TTL_SECONDS)
    with transaction.atomic():
        token = ConfirmationToken(
            token_hash=HashedToken.hash(plain), action=action, account=account, order=order, payload=payload,
            payload_hash=payload_hash, risk_decision=decision, actor_label=actor.label,
            actor_identity=actor.identity, created_at=now, expires_at=expires,
        )
        hot_insert(token)
        audit_record(actor=actor, event_type="confirmation.issued", account=account,
                     payload={"action": action, "token_id": token.pk, "order_hash": payload_hash,
                              "order": payload, "order_id": order.pk if order else None,
                              "expires_at": expires.isoformat(), "policy_version": decision.get("policy_version")})
    return OrderPreview(action=action, account_number=account.account_number, environment=account.environment,
                        confirmation_token=plain,
                        expires_at=expires.isoformat(), order=payload, order_hash=payload_hash, risk=decision,
                        broker_preview=broker_preview or {}, order_id=order.pk if order else None,
                        preview=preview or {})


def _find_token(*, actor, account, plain: str | None, action: str, idempotency_key: str | None = None) -> ConfirmationToken:
    """The token `plain` names, checked against the account, the actor and the action. With an
    idempotency key (a place), the same statement reads the id of the account's order under that key
    into the token's `key_order_id` (None: no such order). Compiled once (core.hot_queries)."""
    if not plain:
        _refuse_confirmation(actor, account, action, "missing")
        raise InvalidInput(TOKEN_MISSING, code="confirmation_missing")

    def build(token_hash, *key):
        rows = ConfirmationToken.objects.filter(token_hash=token_hash)
        if key:
            rows = rows.annotate(key_order_id=Subquery(Order.objects.filter(
                account_id=account.pk, idempotency_key=key[0]).order_by().values("pk")[:1]))
        return rows

    key = () if idempotency_key is None else (idempotency_key,)
    rows = hot_instances(("confirmation_token", account.pk if key else None), build, HashedToken.hash(plain), *key)
    token = rows[0] if rows else None
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


def _check_expected(*, actor, account, token: ConfirmationToken, previewed: dict, expected: dict | None,
                    both_ways: tuple = ()) -> None:
    """A door that repeats the order beside its token (MCP does: the model restates what it is
    confirming) gets a refusal, audited, when the two differ: no confirming one order and sending
    another. Keys in `both_ways` must match when either side has them (a bracket's legs: a
    restatement without them is another order)."""
    if expected is None:
        return
    keys = list(expected) + [k for k in both_ways if k in previewed and k not in expected]
    diffs = [f"{key} previewed {previewed.get(key)!r}, given {expected.get(key)!r}"
             for key in keys if previewed.get(key) != expected.get(key)]
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
    won = hot_update(("confirmation_token_use",), lambda pk, used_at, expires_after: (ConfirmationToken.objects.filter(
        pk=pk, used_at__isnull=True, expires_at__gt=expires_after), {"used_at": used_at}), token.pk, now, now)
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


def token_idempotency_key(confirmation_token: str | None) -> str:
    """One order per confirmation token, for doors whose callers give no key of their own: a retried
    place (lost reply, client retry) with the same token returns the same order."""
    if not confirmation_token:
        return "token:none"
    return "token:" + hashlib.sha256(confirmation_token.encode()).hexdigest()[:40]
