"""MCP tools: typed adapters over the services. Tool names and parameters are a public contract.

Each tool resolves the caller (mcp_bridge.context), calls one service or selector in a worker
thread, and shapes the result. ApplicationError becomes a tool error whose message says how to fix
the call; nothing else about an unexpected failure leaves the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from django.conf import settings
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from mcp_bridge.context import current_actor, run_service
from mcp_bridge.schemas import (
    AccountInfo,
    AccountsResult,
)
from core.errors import ApplicationError, internal_error

T = TypeVar("T")
logger = logging.getLogger(__name__)

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
PREVIEW = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True)

WRITE_TOOLS = frozenset({"preview_order", "place_order", "modify_order", "cancel_order"})
WRITE_UNAVAILABLE = ("{tool} is not available to you: you have no account you may trade{why}. "
                     "Use the read tools, or ask an admin for a trade grant on a paper account. (code: write_unavailable)")

# Parameter types shared by every tool that takes them (the same names and meaning everywhere).
AccountParam = Annotated[
    str | None,
    Field(description="Account number from list_accounts. Omit to use your default account (or, for reads, all of yours where the tool says so)."),
]
SymbolParam = Annotated[str, Field(description="Ticker, e.g. AAPL (US) or 00700 (HK).", min_length=1, max_length=32)]
SideParam = Annotated[Literal["BUY", "SELL"], Field(description="BUY or SELL.")]
QuantityParam = Annotated[Decimal, Field(description="Number of shares, as a decimal string or number; > 0.", gt=0)]
OrderTypeParam = Annotated[
    Literal["MKT", "LMT", "STP", "STP_LMT"],
    Field(description="MKT market, LMT limit (needs limit_price), STP stop (needs stop_price), STP_LMT stop-limit (needs both)."),
]
PriceParam = Annotated[Decimal | None, Field(description="Price in the instrument's currency, as a decimal string.", gt=0)]
TifParam = Annotated[Literal["DAY", "GTC"], Field(description="DAY (expires at the close) or GTC (good till cancelled).")]
RthParam = Annotated[bool, Field(description="Allow filling outside regular trading hours (US pre/post market).")]


async def call(fn: Callable[..., T], /, *args, **kwargs) -> T:
    """Run a service in a worker thread; its ApplicationError becomes the tool error the model sees."""
    try:
        return await run_service(fn, *args, **kwargs)
    except ApplicationError as exc:
        rule = exc.extra.get("rule") if isinstance(exc.extra, dict) else None
        raise ToolError(f"{exc.message} (code: {exc.code}{f', rule: {rule}' if rule else ''})") from exc
    except Exception as exc:  # a bug: the model gets a reference, the log gets the cause
        err = internal_error(exc, logger)
        raise ToolError(f"{err.message} (code: {err.code})") from exc


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------------------------------
# Accounts and health
# --------------------------------------------------------------------------------------------------


async def list_accounts() -> AccountsResult:
    """The Tiger accounts you may use: number, label, paper or live, and whether you may trade it.
    Start here; pass `account` from this list to the other tools."""
    from mcp_bridge.selectors import accounts_listing

    actor = current_actor()
    rows = await call(accounts_listing, actor)
    return AccountsResult(
        accounts=[
            AccountInfo(
                account=a.account_number, label=a.label, environment=a.environment, can_trade=can_trade,
                is_default=a.is_default, base_currency=a.base_currency,
            )
            for a, can_trade in rows
        ],
        read_only_deployment=settings.TIGERMCP_READ_ONLY,
    )


async def require_write(tool: str) -> None:
    from mcp_bridge.selectors import actor_can_trade

    actor = current_actor()
    if not await call(actor_can_trade, actor):
        why = " (this deployment is read-only: TIGERMCP_READ_ONLY=true)" if settings.TIGERMCP_READ_ONLY else ""
        raise ToolError(WRITE_UNAVAILABLE.format(tool=tool, why=why))


def register(add) -> None:
    """Pass every tool to `add(fn, **Tool.from_function options)` (mcp_bridge.server.build_tools)."""
    add(list_accounts, annotations=READ, title="List accounts")
    from mcp_bridge import tools_broker

    tools_broker.register(add)
