"""Writes for the MCP door: the embedded default's local identity."""

from __future__ import annotations

from django.db import transaction

from accounts.actors import Actor
from accounts.models import AccessGrant, Environment, McpClient, Scope
from accounts.services import grant_set, mcp_client_create, mcp_client_update
from mcp_bridge.selectors import demo_paper_accounts

LOCAL_CLIENT = "local"
LOCAL_CLIENT_DESCRIPTION = "run_mcp in the embedded default: trade on the demo paper accounts only."


def mcp_local_client_ensure(*, actor: Actor, accounts=None) -> McpClient:
    """The "local" MCP client, granted trade on the demo paper accounts, so a newcomer's assistant
    can try the whole flow on paper at once.

    Only adds grants the client does not have yet: an admin who narrowed them keeps their choice.
    Live accounts are never granted here, even if passed in.
    """
    accounts = demo_paper_accounts() if accounts is None else accounts
    with transaction.atomic():
        client = McpClient.objects.filter(name=LOCAL_CLIENT).first()
        if client is None:
            client = mcp_client_create(actor=actor, name=LOCAL_CLIENT, description=LOCAL_CLIENT_DESCRIPTION)
        granted = set(AccessGrant.objects.filter(mcp_client=client).values_list("account_id", flat=True))
        for account in accounts:
            if account.environment != Environment.PAPER or account.pk in granted:
                continue
            grant_set(actor=actor, account=account, scope=Scope.TRADE, mcp_client=client)
    return client


def mcp_client_deactivate(*, actor: Actor, client: McpClient) -> McpClient:
    """One path with the admin's: accounts.services.mcp_client_update records it."""
    client.is_active = False
    return mcp_client_update(actor=actor, client=client)
