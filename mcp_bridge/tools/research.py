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
from mcp_bridge.schemas import dstr, money, price, untrusted
from mcp_bridge.schemas_data import (
    CalendarDayOut,
    CorporateActionOut,
    CorporateActionsResult,
    DailyValueOut,
    FinancialDailyResult,
    FinancialReportResult,
    IndustriesResult,
    IndustryOut,
    ReportValueOut,
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


async def get_financial_daily(
    symbols: Annotated[list[str], Field(description="Tickers of one market, e.g. [\"AAPL\", \"MSFT\"]; at most 10.",
                                        min_length=1, max_length=10)],
    fields: Annotated[list[Literal["shares_outstanding", "market_capitalization", "p_to_ltm_diluted_eps_before_extra"]],
                      Field(description="p_to_ltm_diluted_eps_before_extra is the P/E on the last four quarters.",
                            min_length=1)],
    start: Annotated[date | None, Field(description="First day, YYYY-MM-DD; default 30 days before end.")] = None,
    end: Annotated[date | None, Field(description="Last day; default today.")] = None,
    account: AccountParam = None,
) -> FinancialDailyResult:
    """Daily valuation: shares outstanding, market cap, P/E. Use it to compare valuations over time;
    get_financial_report gives the reported earnings behind the P/E."""
    from marketdata.services import financial_daily_get

    rows = await call(financial_daily_get, actor=current_actor(), symbols=symbols, fields=fields, start=start, end=end,
                      account_number=account)
    return FinancialDailyResult(values=[DailyValueOut(symbol=r.symbol, field=r.field, date=iso(r.day),
                                                      value=dstr(r.value)) for r in rows])


async def get_financial_report(
    symbols: Annotated[list[str], Field(description="Tickers of one market; at most 10.", min_length=1, max_length=10)],
    fields: Annotated[list[Literal["total_revenue", "gross_profit", "operating_income", "net_income",
                                   "diluted_eps_excl_extra_items", "basic_eps"]], Field(min_length=1,
                      description="Income-statement lines.")],
    period: Annotated[Literal["quarterly", "annual", "ltm"], Field(description="ltm: last twelve months.")] = "quarterly",
    start: Annotated[date | None, Field(description="Earliest period end, YYYY-MM-DD; default two years ago.")] = None,
    end: Annotated[date | None, Field(description="Latest period end; default today.")] = None,
    account: AccountParam = None,
) -> FinancialReportResult:
    """Reported revenue, profit and EPS per quarter, year or trailing twelve months, with filing dates.
    Use it for a company's earnings history."""
    from marketdata.services import financial_report_get

    rows = await call(financial_report_get, actor=current_actor(), symbols=symbols, fields=fields, period=period,
                      start=start, end=end, account_number=account)
    return FinancialReportResult(period=period, values=[ReportValueOut(
        symbol=r.symbol, field=r.field, value=money(r.value, r.currency) if "eps" not in r.field else price(r.value, r.currency),
        period_end=iso(r.period_end), filed=iso(r.filed)) for r in rows])


async def get_corporate_actions(
    kind: Annotated[Literal["split", "dividend", "earnings"], Field(description="Which actions.")],
    symbols: Annotated[list[str] | None, Field(description="Tickers of one market (required for split and dividend; "
                                                           "for earnings omit for the whole market).", max_length=10)] = None,
    market: Annotated[Literal["US", "HK"], Field(description="Market of the earnings calendar.")] = "US",
    start: Annotated[date | None, Field(description="First day, YYYY-MM-DD; default a year before end.")] = None,
    end: Annotated[date | None, Field(description="Last day; default today.")] = None,
    account: AccountParam = None,
) -> CorporateActionsResult:
    """Stock splits, dividends (ex, record and pay dates, amount) or the earnings calendar (expected and
    actual EPS). Use it before trading around an ex-dividend or earnings date."""
    from marketdata.services import corporate_actions_get

    rows = await call(corporate_actions_get, actor=current_actor(), kind=kind, symbols=symbols, market=market,
                      start=start, end=end, account_number=account)
    rows = sorted(rows, key=lambda a: (a.day or date.min, a.symbol))
    return CorporateActionsResult(kind=kind, actions=[CorporateActionOut(
        symbol=a.symbol, kind=a.kind, date=iso(a.day),
        details={k: (iso(v) if isinstance(v, date) else dstr(v) if isinstance(v, Decimal) else v)
                 for k, v in a.details.items()}) for a in rows])


async def get_industries(
    level: Annotated[Literal["GSECTOR", "GGROUP", "GIND", "GSUBIND"],
                     Field(description="GICS level: sector, industry group, industry, sub-industry.")] = "GSECTOR",
    account: AccountParam = None,
) -> IndustriesResult:
    """The GICS industry list of one level (ids and names). Use it to name a sector or industry."""
    from marketdata.services import industries_get

    rows = await call(industries_get, actor=current_actor(), level=level, account_number=account)
    return IndustriesResult(level=level, industries=[IndustryOut(id=i.industry_id, name=i.name) for i in rows])
