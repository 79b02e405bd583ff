"""Accounts and health: what the caller may use, balances, positions, whether TigerMCP works."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from django.conf import settings
from pydantic import Field

from mcp_bridge.about import SERVER_NAME, SERVER_VERSION
from mcp_bridge.adapter import call
from mcp_bridge.context import current_actor
from mcp_bridge.params import AccountParam, FreshOnlyParam
from mcp_bridge.shapes import pnl_history_out, positions_out, summary_out
from mcp_bridge.schemas import (
    AccountHealth,
    AccountInfo,
    AccountSummary,
    AccountsResult,
    HealthResult,
    PnlHistoryResult,
    PositionsResult,
    ProcessUsage,
    untrusted,
)


async def list_accounts() -> AccountsResult:
    """The Tiger accounts you may use: number, label, paper or live, and whether you may trade it.
    Start here; pass `account` from this list to the other tools."""
    from mcp_bridge.selectors import accounts_listing

    actor = current_actor()
    rows = await call(accounts_listing, actor)
    return AccountsResult(
        accounts=[
            AccountInfo(
                account=a.account_number, label=untrusted(a.label), environment=a.environment, can_trade=can_trade,
                is_default=a.is_default, base_currency=a.base_currency,
            )
            for a, can_trade in rows
        ],
        read_only_deployment=settings.TIGERMCP_READ_ONLY,
    )


async def get_account_summary(account: AccountParam = None, fresh_only: FreshOnlyParam = False) -> AccountSummary:
    """Balances of one account: net liquidation, cash, buying power, P&L, cash per currency. Says how
    old they are (as_of, age_seconds: a few seconds at most; an order's change clears them)."""
    from marketdata.selectors import account_summary_get

    acct, read = await call(account_summary_get, actor=current_actor(), account_number=account, fresh_only=fresh_only)
    return summary_out(acct, read)


async def get_positions(
    account: AccountParam = None, fresh_only: FreshOnlyParam = False,
    sec_type: Annotated[Literal["STK", "OPT", "FUT"], Field(description="STK stocks (default), OPT options or FUT futures: Tiger lists them apart.")] = "STK",
) -> PositionsResult:
    """Positions held in one account: quantity, average cost, last price, market value, P&L. Says how
    old they are (as_of, age_seconds: a few seconds at most; a fill clears them)."""
    from marketdata.selectors import positions_get

    acct, read = await call(positions_get, actor=current_actor(), account_number=account, fresh_only=fresh_only,
                            sec_type=sec_type)
    return positions_out(acct, read)


def _health(actor) -> dict:
    from marketdata.selectors import health_report_for
    from mcp_bridge.selectors import actor_can_trade

    return {**health_report_for(actor), "can_trade": actor_can_trade(actor)}


async def get_health() -> HealthResult:
    """Is TigerMCP working: database, cache, workers, and the latest check of each of your accounts."""
    actor = current_actor()
    report = await call(_health, actor)
    return HealthResult(
        status=report["status"], server=SERVER_NAME, version=SERVER_VERSION, caller=actor.label,
        read_only_deployment=settings.TIGERMCP_READ_ONLY, can_trade=report["can_trade"],
        components={k: str(report[k].get("status")) for k in ("database", "redis", "celery") if isinstance(report.get(k), dict)},
        accounts=[AccountHealth(account=r["account"], label=untrusted(r["label"]), status=str(r["status"]),
                                checked_at=r.get("checked_at"), latency_ms=r.get("latency_ms"),
                                last_error=r.get("last_error") or None) for r in report["accounts"]],
        checked_at=report["checked_at"],
        process=ProcessUsage.model_validate(report["process"]) if isinstance(report.get("process"), dict) else None,
    )


async def get_pnl_history(
    account: AccountParam = None,
    start: Annotated[date | None, Field(description="First day, e.g. 2026-03-01. Default: 30 days before end.")] = None,
    end: Annotated[date | None, Field(description="Last day, e.g. 2026-03-31. Default: today.")] = None,
    currency: Annotated[Literal["USD", "HKD", "CNH"] | None, Field(description="Currency of the amounts. Default: the account's base currency.")] = None,
) -> PnlHistoryResult:
    """Daily net value and P&L of one account over a date range (at most 366 days), with the range's
    total. Use it for performance questions ("how did my account do this month?"); for the current
    balances use get_account_summary, for what traded use get_fills."""
    from marketdata.selectors import pnl_history_get

    acct, history = await call(pnl_history_get, actor=current_actor(), account_number=account, start=start, end=end,
                               currency=currency)
    return pnl_history_out(acct, history)
