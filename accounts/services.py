"""Writes on accounts, credentials, grants and tokens. Each writes its audit event in the same
transaction. Secrets never enter a payload: only which secret changed, and its fingerprint."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.encryption import is_sealed
from accounts.models import AccessGrant, ApiToken, McpClient, McpToken, Scope, TigerAccount, fingerprint
from accounts.private_keys import normalize_private_key
from audit.services import audit_record
from core.errors import InvalidInput


def _validation_message(exc: DjangoValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def account_save(*, actor: Actor, account: TigerAccount, changed: list[str] | None = None) -> TigerAccount:
    """Create or update an account (admin, import, demo set-up all come here)."""
    creating = account.pk is None
    if not is_sealed(account, "private_key") and account.private_key:
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
                # Keyed, so safe to keep; named *_fingerprint so that redaction by name keeps them.
                "credential_fingerprints": {f"{f}_fingerprint": fingerprint(getattr(account, f)) for f in secrets_changed},
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


def grant_change(*, actor: Actor, grant: AccessGrant, account: TigerAccount, scope: str, user=None, api_token=None,
                 mcp_client=None) -> AccessGrant:
    """An edited grant. Same holder and account: a new scope (grant_set). Another holder or account:
    the old grant is revoked and the new one set, in one transaction, each with its event."""
    with transaction.atomic():
        stored = AccessGrant.objects.select_for_update().select_related("account").get(pk=grant.pk)
        holder = (getattr(user, "pk", None), getattr(api_token, "pk", None), getattr(mcp_client, "pk", None))
        if (stored.account_id, (stored.user_id, stored.api_token_id, stored.mcp_client_id)) != (account.pk, holder):
            grant_revoke(actor=actor, grant=stored)
        return grant_set(actor=actor, account=account, scope=scope, user=user, api_token=api_token, mcp_client=mcp_client)


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


def _changes(before: dict, after: dict) -> dict:
    return {k: {"from": before[k], "to": after[k]} for k in after if before.get(k) != after[k]}


def _token_state(token) -> dict:
    holder = {"owner": token.owner.get_username() if getattr(token, "owner", None) else None} if isinstance(token, ApiToken) \
        else {"client": token.client.name}
    return {"name": token.name, "expires_at": token.expires_at, **holder}


def token_update(*, actor: Actor, token) -> ApiToken | McpToken:
    """Save an edited API or MCP token (name, expiry, owner or client). Re-pointing an MCP token at
    another client changes what it may do, so the event names both clients."""
    model = type(token)
    try:
        token.full_clean()
    except DjangoValidationError as exc:
        raise InvalidInput(f"Token {token.name!r} is not valid: {_validation_message(exc)}") from None
    with transaction.atomic():
        before = _token_state(model.objects.select_for_update().get(pk=token.pk))
        token.save()
        changes = _changes(before, _token_state(token))
        audit_record(actor=actor, event_type=f"{model._meta.model_name}.updated",
                     payload={"name": token.name, "prefix": token.prefix, "changes": changes})
    return token


def mcp_client_create(*, actor: Actor, name: str, description: str = "", is_active: bool = True) -> McpClient:
    client = McpClient(name=name, description=description, is_active=is_active)
    try:
        client.full_clean()
    except DjangoValidationError as exc:
        raise InvalidInput(f"MCP client {name!r} is not valid: {_validation_message(exc)}") from None
    with transaction.atomic():
        client.save()
        audit_record(actor=actor, event_type="mcp_client.created", payload={"name": name, "is_active": is_active})
    return client


def mcp_client_update(*, actor: Actor, client: McpClient) -> McpClient:
    """Save an edited MCP client. Deactivating it stops its tokens and its grants at once."""
    try:
        client.full_clean()
    except DjangoValidationError as exc:
        raise InvalidInput(f"MCP client {client.name!r} is not valid: {_validation_message(exc)}") from None
    fields = ("name", "description", "is_active")
    with transaction.atomic():
        stored = McpClient.objects.select_for_update().get(pk=client.pk)
        client.save()
        changes = _changes({f: getattr(stored, f) for f in fields}, {f: getattr(client, f) for f in fields})
        event_type = "mcp_client.updated"
        if "is_active" in changes:
            event_type = "mcp_client.activated" if client.is_active else "mcp_client.deactivated"
        audit_record(actor=actor, event_type=event_type, payload={"name": client.name, "changes": changes})
    return client


# --- users and groups (Django's auth models: who may use the admin, and with what permissions) ------

USER_PRIVILEGES = ("is_active", "is_staff", "is_superuser", "groups", "permissions")


def _permission_names(permissions) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions)


def _user_state(user) -> dict:
    if user.pk is None:
        return {"is_active": None, "is_staff": None, "is_superuser": None, "groups": [], "permissions": []}
    return {
        "is_active": user.is_active, "is_staff": user.is_staff, "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": _permission_names(user.user_permissions.select_related("content_type")),
    }


def user_save(*, actor: Actor, user, changed: list[str] = (), groups=None, permissions=None):
    """Create or edit a user, with their groups and permissions if given (the admin's form), in one
    transaction with one event. Flags, groups and permissions are recorded from and to; other fields
    by name only. The password never enters the event (user_set_password records that it changed)."""
    creating = user.pk is None
    try:
        user.full_clean(exclude=["password"])
    except DjangoValidationError as exc:
        raise InvalidInput(f"User {user.get_username() or '(new)'} is not valid: {_validation_message(exc)}") from None
    with transaction.atomic():
        before = _user_state(type(user).objects.select_for_update().get(pk=user.pk) if not creating else user)
        user.save()
        if groups is not None:
            user.groups.set(groups)
        if permissions is not None:
            user.user_permissions.set(permissions)
        changes = _changes(before, _user_state(user))
        other = sorted(set(changed) - set(USER_PRIVILEGES) - {"user_permissions", "password", "password1", "password2", "usable_password"})
        payload = {"user": user.get_username(), "changes": changes, "changed": other}
        if creating:
            payload["password_set"] = user.has_usable_password()
        audit_record(actor=actor, event_type="user.created" if creating else "user.updated", payload=payload)
    return user


def user_set_password(*, actor: Actor, user, password: str | None):
    """Set a user's password, or disable password login with None."""
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, event_type="user.password_changed",
                     payload={"user": user.get_username(), "password_set": password is not None})
    return user


def user_created_record(*, actor: Actor, user) -> None:
    """The event for a user that Django's own createsuperuser command created (it has no hook to
    call user_save); the command runs inside the transaction this event is written in."""
    audit_record(actor=actor, event_type="user.created",
                 payload={"user": user.get_username(), "changes": _changes(_user_state(type(user)()), _user_state(user)),
                          "changed": [], "password_set": user.has_usable_password()})


def user_password_changed_record(*, actor: Actor, user) -> None:
    """The event for Django's own changepassword command, inside its transaction (see above)."""
    audit_record(actor=actor, event_type="user.password_changed",
                 payload={"user": user.get_username(), "password_set": user.has_usable_password()})


def user_delete(*, actor: Actor, user) -> None:
    """Delete a user. Their grants and API tokens go with them (cascade): the event lists them."""
    with transaction.atomic():
        grants = [str(g) for g in AccessGrant.objects.select_related("account").filter(user=user)]
        tokens = [f"{t.name} ({t.prefix}…)" for t in ApiToken.objects.filter(owner=user)]
        audit_record(actor=actor, event_type="user.deleted",
                     payload={"user": user.get_username(), "state": _user_state(user), "grants": grants, "api_clients": tokens})
        user.delete()


def group_save(*, actor: Actor, group, changed: list[str] = (), permissions=None):
    """Create or edit a group; its permissions are every member's permissions."""
    creating = group.pk is None
    with transaction.atomic():
        stored = None if creating else type(group).objects.select_for_update().get(pk=group.pk)
        before = [] if creating else _permission_names(stored.permissions.select_related("content_type"))
        group.save()
        if permissions is not None:
            group.permissions.set(permissions)
        after = _permission_names(group.permissions.select_related("content_type"))
        audit_record(actor=actor, event_type="group.created" if creating else "group.updated",
                     payload={"group": group.name, "changed": sorted(set(changed) - {"permissions"}),
                              "changes": _changes({"permissions": before}, {"permissions": after}),
                              "members": sorted(group.user_set.values_list("username", flat=True))})
    return group


def group_delete(*, actor: Actor, group) -> None:
    with transaction.atomic():
        audit_record(actor=actor, event_type="group.deleted",
                     payload={"group": group.name, "permissions": _permission_names(group.permissions.select_related("content_type")),
                              "members": sorted(group.user_set.values_list("username", flat=True))})
        group.delete()


def encryption_keys_rotate(*, actor: Actor) -> int:
    """Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS."""
    count = 0
    with transaction.atomic():
        for account in TigerAccount.objects.select_for_update().order_by("pk"):
            for name in TigerAccount.SECRET_FIELDS:
                setattr(account, name, getattr(account, name))  # decrypted, so saved under the first key
            account.save(update_fields=list(TigerAccount.SECRET_FIELDS))
            count += 1
        audit_record(actor=actor, event_type="encryption.rotated", payload={"accounts": count})
    return count


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
