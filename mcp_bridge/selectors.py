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
