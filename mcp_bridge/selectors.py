"""Reads for the MCP door: identities and what a caller may see."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import AccountStatus, Environment, McpClient, McpToken, Scope, TigerAccount
from accounts.selectors import accounts_for_actor
from core.errors import NotFound, PermissionDenied

UNKNOWN_CLIENT = ("No active MCP client named '{name}'. Create it in admin (Accounts › MCP clients) and grant it "
                  "accounts, or omit --client in the embedded default to use the local client.")
BAD_TOKEN = "Invalid, expired or revoked MCP token. Create a new one in admin (Accounts › MCP tokens)."
TOKEN_PREFIX = McpToken.TOKEN_PREFIX + "_"


def mcp_client_get_active(*, name: str) -> McpClient:
    client = McpClient.objects.filter(name=name, is_active=True).first()
    if client is None:
        raise NotFound(UNKNOWN_CLIENT.format(name=name), code="unknown_mcp_client")
    return client


def mcp_token_resolve(*, plain: str) -> McpToken:
    """The usable token with this plain value, or PermissionDenied (one message for every failure,
    so a caller cannot tell a revoked token from a mistyped one)."""
    if not plain.startswith(TOKEN_PREFIX):
        raise PermissionDenied(BAD_TOKEN, code="bad_token")
    token = McpToken.objects.select_related("client").filter(token_hash=McpToken.hash(plain)).first()
    if token is None or not token.is_usable():
        raise PermissionDenied(BAD_TOKEN, code="bad_token")
    _touch(token)
    return token


LAST_USED_RESOLUTION = timedelta(minutes=1)


def _touch(token: McpToken) -> None:
    """Admins see when a token was last used; to the minute is enough, and saves a write per request."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        McpToken.objects.filter(pk=token.pk).update(last_used_at=now)


def actor_can_trade(actor: Actor) -> bool:
    """Whether write tools exist for this caller at all (they are hidden otherwise)."""
    if settings.TIGERMCP_READ_ONLY:
        return False
    return accounts_for_actor(actor, scope=Scope.TRADE).exists()


def demo_paper_accounts():
    """The embedded default's demo accounts: active paper accounts bound to a gateway other than
    Tiger's own (the simulator). Never a live account, whatever else is configured."""
    return (TigerAccount.objects.filter(environment=Environment.PAPER, status=AccountStatus.ACTIVE)
            .exclude(server_url=""))


def accounts_listing(actor: Actor) -> list[tuple[TigerAccount, bool]]:
    """The accounts the actor may read, each with whether they may trade it."""
    readable = list(accounts_for_actor(actor, scope=Scope.READ).order_by("label", "account_number"))
    tradeable = set(accounts_for_actor(actor, scope=Scope.TRADE).values_list("pk", flat=True))
    return [(account, account.pk in tradeable) for account in readable]


# --- single-account broker reads (routed like every other read: accounts.selectors) --------------


def account_summary_get(*, actor: Actor, account_number: str | None = None):
    """(account, broker.client.Assets) for one account the actor may read."""
    from broker.client import broker_for
    from accounts.selectors import account_route

    account = account_route(actor, account_number)
    return account, broker_for(account).assets()


def positions_get(*, actor: Actor, account_number: str | None = None):
    """(account, [broker.client.Position]) for one account the actor may read."""
    from broker.client import broker_for
    from accounts.selectors import account_route

    account = account_route(actor, account_number)
    return account, broker_for(account).positions()


def broker_orders_get(*, actor: Actor, account_number: str | None = None, open_only: bool = False, limit: int = 50):
    """(account, [BrokerOrder], {broker_id: TigerMCP order id}): the broker's own list, which also
    shows orders placed outside TigerMCP, tagged with ours where they match."""
    from broker.client import broker_for
    from accounts.selectors import account_route
    from core.errors import InvalidInput
    from trading.models import Order

    if not 1 <= int(limit) <= 300:
        raise InvalidInput(f"limit must be between 1 and 300 (got {limit}).", code="bad_limit")
    account = account_route(actor, account_number)
    broker = broker_for(account)
    rows = broker.open_orders() if open_only else broker.orders(limit=int(limit))
    rows = sorted(rows, key=lambda o: o.open_time.timestamp() if o.open_time else 0, reverse=True)[: int(limit)]
    refs = dict(Order.objects.filter(account=account, broker_id__in=[o.broker_id for o in rows if o.broker_id])
                .values_list("broker_id", "pk"))
    return account, rows, refs


ORDER_ID_REQUIRED = "Give order_id (TigerMCP's, from place_order or get_orders) or broker_id (Tiger's)."


def broker_order_get(*, actor: Actor, account_number: str | None = None, order_id: int | None = None,
                     broker_id: str | None = None):
    """(account, BrokerOrder, TigerMCP order or None) for one order, fresh from the broker."""
    from broker.client import broker_for
    from accounts.selectors import account_route
    from core.errors import InvalidInput
    from trading.models import Order
    from trading.selectors import order_get

    account = account_route(actor, account_number)
    ours = None
    if order_id is not None:
        ours = order_get(actor=actor, account_number=account.account_number, order_id=order_id)
        broker_id = ours.broker_id or None
        if broker_id is None:
            return account, None, ours
    elif not broker_id:
        raise InvalidInput(ORDER_ID_REQUIRED, code="order_id_required")
    else:
        ours = Order.objects.filter(account=account, broker_id=broker_id).first()
    return account, broker_for(account).order(str(broker_id)), ours
