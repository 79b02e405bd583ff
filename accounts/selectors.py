"""Which accounts may an actor read or trade. The only way services pick accounts."""

import copy
import re

from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.actors import Actor
from accounts.models import AccessGrant, AccountStatus, Scope, TigerAccount
from core.errors import InvalidInput, NotFound, PermissionDenied
from accounts.grant_copies import granted_rows
from core.hot_queries import hot_statement, remember

NO_SUCH_ACCOUNT = "No account '{account}' is available to you. Accounts you can {verb}: {usable}. Call list_accounts to see them."
NO_ACCOUNTS = "You have no accounts you can {verb}. Ask an admin for an access grant."
BAD_ACCOUNT_NUMBER = ("'{account}' is not an account number (letters, digits, '-' and '_', at most 64). "
                      "Accounts you can {verb}: {usable}.")
_ACCOUNT_NUMBER = re.compile(r"[A-Za-z0-9_-]{1,64}")
NOT_TRADEABLE = "Account '{account}' is read-only for you: {why}. Accounts you can trade: {usable}."


def _grants_for(actor: Actor):
    if actor.kind == "user":
        return AccessGrant.objects.filter(user=actor.user)
    if actor.kind == "api_token":
        return AccessGrant.objects.filter(api_token=actor.api_token)
    if actor.kind == "mcp_client":
        # stdio acts as one client for the life of the process: its grants end the moment the client
        # is deactivated (HTTP also refuses the client's tokens then), with no extra query per call.
        return AccessGrant.objects.filter(mcp_client=actor.mcp_client, mcp_client__is_active=True)
    return AccessGrant.objects.none()


def accounts_for_actor(actor: Actor, *, scope: str = Scope.READ) -> QuerySet[TigerAccount]:
    if scope == Scope.TRADE:
        if settings.TIGERMCP_READ_ONLY:
            return TigerAccount.objects.none()
        result = [a for a in _granted_accounts(actor, scope) if _tradeable(a)]
        return TigerAccount.objects.filter(pk__in=[a.pk for a in result])
    return _granted_accounts(actor, scope)


def _granted_accounts(actor: Actor, scope: str) -> QuerySet[TigerAccount]:
    """The active accounts the actor's grants (or kind) allow with `scope`, before the settings and the
    live-trading flags, which are read at call time (accounts_for_actor, account_for_actor)."""
    accounts = TigerAccount.objects.filter(status=AccountStatus.ACTIVE)
    if scope == Scope.TRADE:
        accounts = accounts.filter(permission=Scope.TRADE)
    # The system (scheduled tasks, operators' commands) acts on every account; a superuser may read
    # every account, but trades only where explicitly granted.
    if actor.kind == "system" or (scope == Scope.READ and actor.kind == "user" and actor.user.is_superuser):
        return accounts
    grants = _grants_for(actor)
    if scope == Scope.TRADE:
        grants = grants.filter(scope=Scope.TRADE)
    return accounts.filter(pk__in=grants.values("account_id"))


def _tradeable(account: TigerAccount) -> bool:
    return not account.is_live or account.can_trade_live()


def _listing(accounts) -> str:
    # Numbers only: labels are free text written by admins, and an error message reaches the model as
    # our own words. list_accounts shows labels, marked as untrusted data.
    numbers = [a.account_number for a in accounts]
    return ", ".join(numbers) if numbers else "none"


def account_for_actor(actor: Actor, account_number: str, *, scope: str = Scope.READ) -> TigerAccount:
    """The named account if the actor may use it with that scope; otherwise an error that lists
    the accounts they can use (so a caller can correct the call)."""
    verb = "trade" if scope == Scope.TRADE else "read"
    if not _ACCOUNT_NUMBER.fullmatch(account_number or ""):
        # Checked before it reaches a query: a NUL byte, for one, is an error in PostgreSQL.
        shown = (account_number or "")[:64].encode("unicode_escape").decode()
        usable = _listing(accounts_for_actor(actor, scope=scope))
        raise InvalidInput(BAD_ACCOUNT_NUMBER.format(account=shown, verb=verb, usable=usable), code="bad_account_number")
    if scope == Scope.READ or not settings.TIGERMCP_READ_ONLY:
        account = _granted_account(actor, account_number, scope)
        if account is not None and (scope == Scope.READ or _tradeable(account)):
            return account
    allowed = accounts_for_actor(actor, scope=scope)
    if scope == Scope.TRADE:
        readable = accounts_for_actor(actor, scope=Scope.READ).filter(account_number=account_number).first()
        if readable is not None:
            raise PermissionDenied(
                NOT_TRADEABLE.format(account=account_number, why=why_not_tradeable(actor, readable), usable=_listing(allowed)),
                code="account_read_only",
            )
    raise NotFound(
        NO_SUCH_ACCOUNT.format(account=account_number, verb=verb, usable=_listing(allowed)),
        code="unknown_account",
    )


# --- the access check on every call -----------------------------------------------------------------
# account_for_actor runs on every tool and API call (scope TRADE on every order preview and place).
# Building and compiling its query through the ORM costs about 1 ms of Python on this project's
# hardware; running it, about 0.1 ms. The query's shape and parameters depend only on who asks and the
# scope (_granted_accounts reads no setting; the read-only deployment and live-trading settings are
# checked in Python at call time), so it is compiled once per caller and scope (core.hot_queries).
#
# Its rows are kept per process too, under the "permissions" stamp (core.stamps) read before they were
# loaded: every committed change to an account, a grant or an MCP client bumps the stamp
# (accounts.grant_copies), so a revoked grant or a disabled account counts at the next call, in every
# process. A call on a warm copy costs the stamp check (a stat() of a file in the embedded default, a
# GET with Redis) instead of a database round trip: under 50 concurrent callers, each round trip gives
# the interpreter lock away and waits behind every other thread for it.
# The copy is bypassed (the database is asked) while the caller's own connection holds an uncommitted
# permission change, which it can see and a rollback would undo; it is only filled outside a
# transaction, whose snapshot could be older than the stamp. Account rows are kept per (pk, updated_at)
# version and handed out as copies.

_account_versions: dict[tuple, TigerAccount] = {}


def _granted_account(actor: Actor, account_number: str, scope: str) -> TigerAccount | None:
    """The account if the actor's grants allow `scope` on it now, else None (the caller then explains
    why). For TRADE the caller still checks the settings and the live-trading flags."""
    holder = actor.user or actor.api_token or actor.mcp_client
    key = ("granted_accounts", actor.kind, getattr(holder, "pk", None), bool(getattr(actor.user, "is_superuser", False)),
           scope)
    alias, sql, params = hot_statement(
        key, lambda: _granted_accounts(actor, scope).order_by().values_list("account_number", "pk", "updated_at"))
    rows = granted_rows(key, alias, sql, params)
    row = next((r for r in rows if r[0] == account_number), None)
    if row is None:
        return None
    key = (alias, row[1], row[2])
    account = _account_versions.get(key)
    if account is None:
        account = TigerAccount.objects.using(alias).filter(pk=row[1], status=AccountStatus.ACTIVE).first()
        if account is None:  # disabled between the two queries
            return None
        remember(_account_versions, key, account)
    return copy.copy(account)


def why_not_tradeable(actor: Actor, account: TigerAccount) -> str:
    if settings.TIGERMCP_READ_ONLY:
        return "this deployment is read-only (TIGERMCP_READ_ONLY=true)"
    if account.permission != Scope.TRADE:
        return "the account is configured read-only"
    if account.is_live and not account.can_trade_live():
        return ("it is a live account and live trading needs both the account's live flag and "
                "TIGER_LIVE_TRADING_ENABLED=true")
    return "your access grant is read-only"


# --- routing: which account a call goes to --------------------------------------------------------
# 1. an account the caller names explicitly;
# 2. else the caller's context default (e.g. the account an MCP session switched to);
# 3. else the configured default account (TigerAccount.is_default);
# 4. else, when the caller can use exactly one account, that one.
# An account the caller may not use, or none at all, is an error that lists the accounts they can use.
# Every service resolves its account here, once, so every door has the same default account.

NO_ACCOUNT_CHOSEN = (
    "No account given and no default account is set. Pass one of the accounts you can {verb}: "
    "{usable}."
)
NO_USABLE_ACCOUNTS = "You have no accounts you can {verb}. Ask an admin for an access grant."


def account_route(
    actor: Actor,
    account_number: str | None = None,
    context_default: str | None = None,
    *,
    scope: str = Scope.READ,
) -> TigerAccount:
    verb = "trade" if scope == Scope.TRADE else "read"
    explicit = (account_number or "").strip()
    if explicit:
        return account_for_actor(actor, explicit, scope=scope)
    context = (context_default or "").strip()
    if context:
        # A stale context default (grant revoked, account disabled) is an error, not a silent switch
        # to another account: the caller believes they are talking to this one.
        return account_for_actor(actor, context, scope=scope)
    usable = accounts_for_actor(actor, scope=scope)
    # At most one account is the default (a unique constraint), so no full listing is needed to find
    # it; every usable account is loaded only for the error that lists them.
    default = usable.filter(is_default=True).first()
    if default is not None:
        return default
    first_two = list(usable[:2])
    if not first_two:
        raise NotFound(NO_USABLE_ACCOUNTS.format(verb=verb), code="no_accounts")
    if len(first_two) == 1:
        return first_two[0]
    raise InvalidInput(NO_ACCOUNT_CHOSEN.format(verb=verb, usable=_listing(usable)), code="account_required")


# --- audit events, for staff over REST ------------------------------------------------------------

AUDIT_STAFF_ONLY = ("Audit events are for staff: use an API token owned by a staff user who may view audit "
                    "events (Admin → Users: 'Can view audit event'), or a superuser's.")
BAD_AUDIT_LIMIT = "limit must be between 1 and {max} (got {limit})."
MAX_AUDIT_EVENTS = 500


def _audit_reader(actor: Actor):
    """The staff user behind the caller (a session user, or an API token's owner), or None."""
    if actor.kind == "user":
        return actor.user
    if actor.kind == "api_token":
        return actor.api_token.owner
    return None


def audit_events_for(*, actor: Actor, account_number: str | None = None, event_type: str | None = None,
                     limit: int = 50) -> QuerySet:
    """Recent audit events, newest first. A superuser reads every event; other staff with the view
    permission read the events of the accounts the caller may read (a token: its own grants)."""
    from audit.models import AuditEvent

    if not 1 <= int(limit) <= MAX_AUDIT_EVENTS:
        raise InvalidInput(BAD_AUDIT_LIMIT.format(max=MAX_AUDIT_EVENTS, limit=limit), code="bad_limit")
    user = _audit_reader(actor)
    if user is None or not user.is_active or not user.is_staff or not user.has_perm("audit.view_auditevent"):
        raise PermissionDenied(AUDIT_STAFF_ONLY, code="audit_staff_only")
    rows = AuditEvent.objects.all()
    if not user.is_superuser:
        readable = accounts_for_actor(actor, scope=Scope.READ).values_list("account_number", flat=True)
        rows = rows.filter(account_number__in=readable)
    if account_number:
        if not user.is_superuser:
            account_for_actor(actor, account_number, scope=Scope.READ)  # says which accounts they may use
        rows = rows.filter(account_number=account_number)
    if event_type:
        # "order" matches order.placed, order.cancelled …; "order.placed" matches only itself.
        rows = rows.filter(Q(event_type=event_type) | Q(event_type__startswith=f"{event_type}."))
    return rows.order_by("-seq")[: int(limit)]
