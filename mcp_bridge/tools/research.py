"""The "research" toolset: symbol search by name, the trading calendar, the market scanner (and, with
the fundamentals, corporate actions and industries)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mcp_bridge.adapter import call, iso
from mcp_bridge.context import current_actor
from mcp_bridge.params import AccountParam
from mcp_bridge.schemas import dstr, untrusted
from mcp_bridge.schemas_data import (
    CalendarDayOut,
    ScanResult,
    ScanRowOut,
    SymbolMatch,
    SymbolSearchResult,
    TradingCalendarResult,
)

ScanField = Literal["price", "open", "pre_close", "high", "low", "volume", "amount", "change_pct"]


class ScanFilter(BaseModel):
    field: ScanField = Field(description="price, open, pre_close, high, low, volume, amount, or change_pct (in %).")
    min: Decimal | None = Field(default=None, description="Lowest value kept (included).")
    max: Decimal | None = Field(default=None, description="Highest value kept (included).")


async def search_symbols(
    query: Annotated[str, Field(description="Part of a company name or ticker, e.g. 'apple' or 'tencent'.",
                                min_length=1, max_length=64)],
    market: Annotated[Literal["US", "HK", "ALL"], Field(description="Market to search.")] = "ALL",
    limit: Annotated[int, Field(description="Matches, 1 to 100.", ge=1, le=100)] = 20,
    account: AccountParam = None,
) -> SymbolSearchResult:
    """Find tickers by company name (or part of a ticker). Use it when the user names a company
    rather than a ticker; then call get_quote with the symbol."""
    from marketdata.services import symbol_search

    pairs = await call(symbol_search, actor=current_actor(), query=query, market=market, limit=limit,
                       account_number=account)
    return SymbolSearchResult(matches=[SymbolMatch(symbol=s, name=untrusted(n)) for s, n in pairs])


async def get_trading_calendar(
    market: Annotated[Literal["US", "HK", "CN"], Field(description="Market.")] = "US",
    start: Annotated[date | None, Field(description="First day, YYYY-MM-DD; default today.")] = None,
    end: Annotated[date | None, Field(description="Last day, included; default 30 days after start.")] = None,
    account: AccountParam = None,
) -> TradingCalendarResult:
    """Which days a market trades (holidays and weekends are not). Use it to plan around holidays;
    get_market_status says whether it is open right now."""
    from marketdata.services import trading_calendar_get

    days = await call(trading_calendar_get, actor=current_actor(), market=market, start=start, end=end,
                      account_number=account)
    return TradingCalendarResult(market=market, days=[CalendarDayOut(date=iso(d.day), trading=d.trading) for d in days])


async def scan_market(
    market: Annotated[Literal["US", "HK"], Field(description="Market to scan.")] = "US",
    filters: Annotated[list[ScanFilter], Field(description="Each keeps stocks whose field is within [min, max].",
                                               max_length=8)] = [],  # noqa: B006 - pydantic copies defaults
    sort_by: Annotated[ScanField | None, Field(description="Field to sort by.")] = None,
    descending: Annotated[bool, Field(description="Largest first.")] = True,
    page: Annotated[int, Field(description="Page, from 0.", ge=0)] = 0,
    page_size: Annotated[int, Field(description="Stocks per page, 1 to 100.", ge=1, le=100)] = 20,
    account: AccountParam = None,
) -> ScanResult:
    """Screen a market's stocks by price, change, volume or traded amount, sorted. Use it to find
    candidates ("US stocks up more than 3 % today"); then get_quote or get_bars for detail."""
    from marketdata.services import market_scan_get

    result = await call(market_scan_get, actor=current_actor(), market=market,
                        filters=[f.model_dump() for f in filters], sort_by=sort_by, descending=descending, page=page,
                        page_size=page_size, account_number=account)
    return ScanResult(market=market, total=result.total, page=result.page, pages=result.pages, rows=[ScanRowOut(
        symbol=r.symbol, market=r.market, values={k: dstr(v) for k, v in r.values.items()}) for r in result.rows])
