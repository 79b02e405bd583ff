"""Writes on accounts, credentials, grants and tokens. Each writes its audit event in the same
transaction. Secrets never enter a payload: only which secret changed, and its fingerprint."""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import AccessGrant, ApiToken, McpClient, McpToken, Scope, TigerAccount, fingerprint
from audit.services import audit_record
from core.errors import InvalidInput

_PEM = re.compile(r"-----BEGIN [A-Z ]*-----|-----END [A-Z ]*-----|\s+")


def normalize_private_key(value: str) -> str:
    """The SDK takes a key body without PEM markers (PKCS#1 or PKCS#8); accept a pasted PEM too."""
    return _PEM.sub("", value or "")


def _validation_message(exc: DjangoValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def account_save(*, actor: Actor, account: TigerAccount, changed: list[str] | None = None) -> TigerAccount:
    """Create or update an account (admin, import, demo set-up all come here)."""
    creating = account.pk is None
    if account.private_key:
        account.private_key = normalize_private_key(account.private_key)
    try:
        account.full_clean()
    except DjangoValidationError as exc:
        raise InvalidInput(f"Account {account.account_number or '(new)'} is not valid: {_validation_message(exc)}") from None
    changed = sorted(changed or [])
    secrets_changed = [f for f in changed if f in TigerAccount.SECRET_FIELDS]
    with transaction.atomic():
        if account.is_default:
            TigerAccount.objects.filter(is_default=True).exclude(pk=account.pk).update(is_default=False)
        account.save()
        audit_record(
            actor=actor,
            account=account,
            event_type="account.created" if creating else "account.updated",
            payload={
                "changed": [f for f in changed if f not in TigerAccount.SECRET_FIELDS],
                "credentials_changed": secrets_changed,
                "credential_fingerprints": {f: fingerprint(getattr(account, f)) for f in secrets_changed},
                "environment": account.environment,
                "permission": account.permission,
                "status": account.status,
                "live_trading_enabled": account.live_trading_enabled,
            },
        )
    return account


def account_set_status(*, actor: Actor, accounts, status: str) -> int:
    count = 0
    with transaction.atomic():
        for account in accounts:
            if account.status != status:
                account.status = status
                account_save(actor=actor, account=account, changed=["status"])
                count += 1
    return count


def grant_set(*, actor: Actor, account: TigerAccount, scope: str, user=None, api_token=None, mcp_client=None) -> AccessGrant:
    holder = {"user": user, "api_token": api_token, "mcp_client": mcp_client}
    given = {k: v for k, v in holder.items() if v is not None}
    if len(given) != 1:
        raise InvalidInput("A grant needs exactly one holder: a user, an API token or an MCP client.")
    if scope not in Scope.values:
        raise InvalidInput(f"Scope must be one of {Scope.values}, not {scope!r}.")
    with transaction.atomic():
        grant, created = AccessGrant.objects.select_for_update().get_or_create(account=account, **given, defaults={"scope": scope})
        previous = None if created else grant.scope
        if not created and grant.scope != scope:
            grant.scope = scope
            grant.save(update_fields=["scope"])
        audit_record(
            actor=actor, account=account, event_type="grant.set",
            payload={"holder_type": next(iter(given)), "holder": str(next(iter(given.values()))), "scope": scope, "previous_scope": previous},
        )
    return grant


def grant_revoke(*, actor: Actor, grant: AccessGrant) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor, account=grant.account, event_type="grant.revoked",
            payload={"holder": str(grant.holder), "scope": grant.scope},
        )
        grant.delete()


def _token_create(model, *, actor: Actor, name: str, expires_at=None, **fields):
    plain = model.new_plain()
    token = model(name=name, expires_at=expires_at, **fields)
    token.set_plain(plain)
    with transaction.atomic():
        token.save()
        audit_record(actor=actor, event_type=f"{model._meta.model_name}.created",
                     payload={"name": name, "prefix": token.prefix, "expires_at": expires_at})
    return token, plain


def api_token_create(*, actor: Actor, name: str, owner=None, expires_at=None) -> tuple[ApiToken, str]:
    """Returns the token and its plain value, which is never stored and cannot be shown again."""
    return _token_create(ApiToken, actor=actor, name=name, owner=owner, expires_at=expires_at)


def mcp_token_create(*, actor: Actor, client: McpClient, name: str, expires_at=None) -> tuple[McpToken, str]:
    return _token_create(McpToken, actor=actor, name=name, client=client, expires_at=expires_at)


def token_revoke(*, actor: Actor, token) -> None:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, event_type=f"{token._meta.model_name}.revoked",
                     payload={"name": token.name, "prefix": token.prefix})


def mcp_client_create(*, actor: Actor, name: str, description: str = "") -> McpClient:
    with transaction.atomic():
        client = McpClient.objects.create(name=name, description=description)
        audit_record(actor=actor, event_type="mcp_client.created", payload={"name": name})
    return client


def encryption_keys_rotate(*, actor: Actor) -> int:
    """Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS."""
    count = 0
    with transaction.atomic():
        for account in TigerAccount.objects.select_for_update().order_by("pk"):
            account.save(update_fields=list(TigerAccount.SECRET_FIELDS))
            count += 1
        audit_record(actor=actor, event_type="encryption.rotated", payload={"accounts": count})
    return count


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
