"""Writes for the MCP door: the embedded default's local identity."""

from __future__ import annotations

from django.db import transaction

from accounts.actors import Actor
from accounts.models import AccessGrant, Environment, McpClient, Scope
from accounts.services import grant_set, mcp_client_create
from audit.services import audit_record
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
    with transaction.atomic():
        client.is_active = False
        client.full_clean()
        client.save(update_fields=["is_active"])
        audit_record(actor=actor, event_type="mcp_client.deactivated", payload={"name": client.name})
    return client


CONFIRMATION_MISMATCH = (
    "This confirmation token was issued for a different order: {diffs}. Nothing was placed or changed. "
    "Call {preview} with the order you want, show it to the user, and confirm with the new token."
)


def _differences(previewed: dict, given: dict) -> list[str]:
    return [f"{key} previewed {previewed.get(key)!r}, given {value!r}"
            for key, value in given.items() if previewed.get(key) != value]


def confirmation_match_check(*, actor: Actor, account, plain: str | None, action: str, given: dict,
                             order_id: int | None = None) -> None:
    """An MCP tool repeats the order's parameters beside the token: refuse (and audit) when they
    differ from what the token confirms, so the model cannot confirm one order and send another.

    Tokens that are missing, unknown, used or expired are left to trading.services, which refuses
    them with its own messages."""
    import hashlib

    from trading.models import ConfirmationToken
    from tigermcp.errors import PermissionDenied

    if not plain:
        return
    token = ConfirmationToken.objects.filter(token_hash=hashlib.sha256(plain.encode()).hexdigest()).first()
    if token is None or token.account_id != account.pk or token.action != action:
        return
    previewed = token.payload.get("new", token.payload) if action == "modify" else token.payload
    diffs = _differences(previewed, given)
    if order_id is not None and token.order_id != order_id:
        diffs.append(f"order_id previewed {token.order_id}, given {order_id}")
    if not diffs:
        return
    with transaction.atomic():
        audit_record(actor=actor, event_type="confirmation.refused", account=account,
                     payload={"action": action, "reason": "mismatch", "token_id": token.pk, "differences": diffs})
    preview = {"place": "preview_order", "modify": "modify_order without a token", "cancel": "cancel_order without a token"}[action]
    raise PermissionDenied(CONFIRMATION_MISMATCH.format(diffs="; ".join(diffs), preview=preview),
                           code="confirmation_mismatch")
