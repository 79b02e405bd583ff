"""Which account a call goes to (the seed's account router, on top of accounts.selectors).

1. an account the caller names explicitly;
2. else the caller's context default (e.g. the account an MCP session switched to);
3. else the configured default account (TigerAccount.is_default);
4. else, when the caller can use exactly one account, that one.
An account the caller may not use, or none at all, is an error that lists the accounts they can use.
"""

from __future__ import annotations

from accounts.actors import Actor
from accounts.models import Scope, TigerAccount
from accounts.selectors import _listing, account_for_actor, accounts_for_actor
from core.errors import InvalidInput, NotFound

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
