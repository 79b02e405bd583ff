"""The "history" toolset: an account's cash ledger, its deposits and withdrawals, and its assets by
segment and currency."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from mcp_bridge.adapter import call, iso
from mcp_bridge.context import current_actor
from mcp_bridge.params import AccountParam
from mcp_bridge.schemas import dstr, money, untrusted
from mcp_bridge.schemas_data import (
    CashEntryOut,
    CashHistoryResult,
    CurrencyBalanceOut,
    SegmentAssetsResult,
    SegmentOut,
    TransferOut,
    TransfersResult,
)

SEGMENT_MONEY = ("net_liquidation", "cash", "buying_power", "gross_position_value", "equity_with_loan", "init_margin",
                 "maint_margin", "unrealized_pnl", "realized_pnl")


async def get_cash_history(
    account: AccountParam = None,
    start: Annotated[date | None, Field(description="First business day, YYYY-MM-DD.")] = None,
    end: Annotated[date | None, Field(description="Last business day, YYYY-MM-DD.")] = None,
    currency: Annotated[Literal["USD", "HKD", "CNH"] | None, Field(description="Only this currency.")] = None,
    kind: Annotated[Literal["ALL", "DEPOSIT_WITHDRAW", "TRADE", "FEE"], Field(description="Only this kind.")] = "ALL",
    offset: Annotated[int, Field(description="Entries to skip (next_offset of the previous page).", ge=0)] = 0,
    limit: Annotated[int, Field(description="Entries per page, 1 to 100.", ge=1, le=100)] = 50,
) -> CashHistoryResult:
    """An account's cash ledger: every deposit, trade settlement and fee, oldest first. Use it to
    explain a cash balance; get_fills shows the trades themselves, get_pnl_history the daily value."""
    from marketdata.services import cash_history_get

    acct, h = await call(cash_history_get, actor=current_actor(), account_number=account, start=start, end=end,
                         currency=currency, kind=kind, offset=offset, limit=limit)
    more = offset + len(h.entries)
    return CashHistoryResult(account=acct.account_number, total=h.total,
                             next_offset=more if h.entries and more < h.total else None, entries=[CashEntryOut(
        id=e.entry_id, kind=e.kind, description=untrusted(e.description), amount=money(e.amount, e.currency),
        business_date=iso(e.business_date), time=iso(e.time)) for e in h.entries])


async def get_transfers(account: AccountParam = None) -> TransfersResult:
    """Deposits into and withdrawals from an account. Use it to tell money added from money earned."""
    from marketdata.services import transfers_get

    acct, rows = await call(transfers_get, actor=current_actor(), account_number=account)
    return TransfersResult(account=acct.account_number, transfers=[TransferOut(
        id=t.transfer_id, kind=t.kind, amount=money(t.amount, t.currency), business_date=iso(t.business_date),
        completed=t.completed, time=iso(t.time)) for t in rows])


async def get_segment_assets(
    account: AccountParam = None,
    base_currency: Annotated[Literal["USD", "HKD", "CNH"] | None,
                             Field(description="Currency of the totals; default the account's.")] = None,
) -> SegmentAssetsResult:
    """An account's assets by segment (securities, futures), with margin, P&L and cash per currency.
    Use it for the margin picture or cash held in each currency; get_account_summary is the short view."""
    from marketdata.services import segment_assets_get

    acct, segments = await call(segment_assets_get, actor=current_actor(), account_number=account,
                                base_currency=base_currency)
    currency = segments[0].currency if segments else (base_currency or acct.base_currency or "USD")
    return SegmentAssetsResult(account=acct.account_number, currency=currency, segments=[SegmentOut(
        segment=s.segment, capability=s.capability, **{k: money(getattr(s, k), s.currency) for k in SEGMENT_MONEY},
        currencies=[CurrencyBalanceOut(cash=money(c.cash, c.currency), available=money(c.available, c.currency),
                                       fx_rate=dstr(c.fx_rate)) for c in s.currencies],
    ) for s in segments])
