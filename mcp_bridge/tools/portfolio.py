"""The portfolio across every account the caller may read, with progress as each account is read."""

from __future__ import annotations

from typing import Annotated

import anyio.from_thread
from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_bridge.adapter import call, iso
from mcp_bridge.context import current_actor
from mcp_bridge.shapes import position_out
from mcp_bridge.schemas import (
    AccountFailure,
    CombinedPosition,
    PortfolioAccount,
    PortfolioResult,
    dstr,
    money,
    untrusted,
)


async def get_portfolio(
    ctx: Context,
    base_currency: Annotated[str, Field(description="Currency for the totals, e.g. USD or HKD.")] = "USD",
    accounts: Annotated[list[str] | None, Field(description="Account numbers; omit for all accounts you may read.")] = None,
    fresh_only: Annotated[bool, Field(description="Read every account from Tiger now instead of its recent snapshot (slower; may hit Tiger's rate limit).")] = False,
) -> PortfolioResult:
    """All your accounts at once: per-account balances and positions, combined positions and totals
    in one currency. Each account says how old its figures are (as_of, age_seconds; at most a minute
    unless a warning says otherwise). Accounts that fail are listed in `failed`; the rest are complete.
    Sends progress notifications as each account is read."""
    from marketdata.services import portfolio_aggregate
    from marketdata.services.portfolio import account_age_seconds

    def progress(done: int, total: int, account_number: str) -> None:
        try:
            anyio.from_thread.run(ctx.report_progress, done, total, f"read {account_number}")
        except Exception:  # noqa: BLE001 - a client that dropped progress must not fail the read
            pass

    agg = await call(portfolio_aggregate, actor=current_actor(), base_currency=base_currency, progress=progress,
                     account_numbers=accounts, fresh_only=fresh_only)
    base = agg.base_currency
    return PortfolioResult(
        base_currency=base,
        totals={k: money(v, base) for k, v in agg.totals.items()},
        accounts=[
            PortfolioAccount(
                account=a.account_number, label=untrusted(a.label), environment=a.environment,
                net_liquidation=money(a.net_liquidation, a.currency), cash=money(a.cash, a.currency),
                buying_power=money(a.buying_power, a.currency), market_value=money(a.market_value, a.currency),
                unrealized_pnl=money(a.unrealized_pnl, a.currency), realized_pnl=money(a.realized_pnl, a.currency),
                net_liquidation_in_base=money(a.net_liquidation_base, base),
                positions=[position_out(p) for p in a.positions],
                as_of=iso(a.as_of), age_seconds=account_age_seconds(a, agg.as_of), source=a.source,
            )
            for a in agg.accounts
        ],
        positions=[
            CombinedPosition(symbol=r["symbol"], market=r.get("market") or None, currency=r.get("currency"),
                             quantity=dstr(r.get("quantity")), market_value=money(r.get("market_value"), r.get("currency")),
                             accounts=[x["account_number"] for x in r.get("accounts", [])])
            for r in agg.positions
        ],
        failed=[AccountFailure(account=e.account_number, error=f"{e.message} (code: {e.code})") for e in agg.errors],
        warnings=list(agg.warnings),
        as_of=iso(agg.as_of),
    )
