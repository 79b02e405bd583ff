"""Typed results of the toolset tools beyond core (quotes, options, history, research, futures).
As in mcp_bridge.schemas: decimals are strings, each result names its currency, times are ISO 8601 UTC."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_bridge.schemas import Money, UntrustedText  # noqa: F401  (used by later families)

# --- quotes ---------------------------------------------------------------------------------------


class DepthLevelOut(BaseModel):
    price: str
    volume: str
    orders: int | None = Field(description="Number of orders at this price, when Tiger reports it.")


class DepthOut(BaseModel):
    symbol: str
    currency: str
    asks: list[DepthLevelOut] = Field(description="Best (lowest) ask first.")
    bids: list[DepthLevelOut] = Field(description="Best (highest) bid first.")


class DepthResult(BaseModel):
    books: list[DepthOut]


class TimelinePointOut(BaseModel):
    time: str = Field(description="Start of the minute, UTC.")
    price: str | None = Field(description="Last price in the minute.")
    avg_price: str | None = Field(description="Volume-weighted average price of the day so far.")
    volume: str | None
    session: str = Field(description="Regular, PreMarket, AfterHours or OverNight.")


class TimelineOut(BaseModel):
    symbol: str
    currency: str
    pre_close: str | None
    points: list[TimelinePointOut] = Field(description="One per minute, oldest first.")


class TimelineResult(BaseModel):
    day: str | None = Field(description="The past day shown; null for today's session.")
    timelines: list[TimelineOut]


class DelayedQuoteOut(BaseModel):
    symbol: str
    currency: str
    delayed: bool = Field(description="Always true: these prices are about 15 minutes old, not real-time.")
    time: str | None = Field(description="When these prices were current, UTC.")
    latest_price: str | None = Field(description="Last price as of `time`.")
    open: str | None
    high: str | None
    low: str | None
    pre_close: str | None
    volume: str | None
    halted: bool


class DelayedQuotesResult(BaseModel):
    quotes: list[DelayedQuoteOut]


class CapitalFlowPointOut(BaseModel):
    time: str = Field(description="Start of the period (intraday: the minute), UTC.")
    label: str = Field(description="The period as the market writes it (its local date or time).")
    net_inflow: str | None = Field(description="Money bought minus money sold; intraday: cumulative since the open.")


class CapitalFlowResult(BaseModel):
    symbol: str
    currency: str
    period: str
    points: list[CapitalFlowPointOut] = Field(description="Oldest first.")


class FlowSplit(BaseModel):
    all: str | None
    big: str | None = Field(description="Large orders.")
    mid: str | None
    small: str | None


class CapitalDistributionResult(BaseModel):
    symbol: str
    currency: str
    net_inflow: str | None = Field(description="inflow.all minus outflow.all, today.")
    inflow: FlowSplit = Field(description="Money that bought today, by order size.")
    outflow: FlowSplit = Field(description="Money that sold today, by order size.")


class SeatLevelOut(BaseModel):
    level: int = Field(description="1 is the best price.")
    price: str | None
    brokers: list[dict[str, str]] = Field(description="Queued brokers: {id, name}.")


class BrokerSeatsResult(BaseModel):
    symbol: str
    currency: str
    bid: list[SeatLevelOut]
    ask: list[SeatLevelOut]


# --- options --------------------------------------------------------------------------------------


class OptionExpirationsResult(BaseModel):
    symbol: str
    expirations: list[str] = Field(description="Expiry dates, YYYY-MM-DD, soonest first.")


class OptionGreeksOut(BaseModel):
    identifier: str = Field(description="Pass to get_option_bars, get_option_ticks or get_option_depth.")
    put_call: str
    strike: str
    bid: str | None
    ask: str | None
    latest_price: str | None
    volume: str | None
    open_interest: str | None
    implied_vol: str | None = Field(description="Implied volatility, 0.27 = 27 % a year.")
    delta: str | None
    gamma: str | None
    theta: str | None = Field(description="Price change per calendar day.")
    vega: str | None = Field(description="Price change per 1 point of volatility.")
    rho: str | None


class OptionGreeksResult(BaseModel):
    symbol: str
    expiry: str
    currency: str
    multiplier: str = Field(description="Shares per contract.")
    options: list[OptionGreeksOut]


class VolPointOut(BaseModel):
    time: str | None
    implied_vol: str | None
    historical_vol: str | None


class OptionAnalysisOut(BaseModel):
    symbol: str
    implied_vol_30d: str | None = Field(description="30-day implied volatility, 0.27 = 27 %.")
    historical_vol: str | None = Field(description="Realised volatility of the stock's daily closes.")
    iv_hv_ratio: str | None = Field(description="> 1: options price more movement than the stock has shown.")
    call_put_ratio: str | None
    iv_rank: str | None = Field(description="Where today's IV sits between the period's low (0) and high (1).")
    iv_percentile: str | None = Field(description="Share of the period's days with a lower IV.")
    period: str | None
    history: list[VolPointOut] = Field(description="Recent daily IV and HV, oldest first.")


class OptionAnalysisResult(BaseModel):
    analyses: list[OptionAnalysisOut] = Field(description="Symbols without listed options are left out.")


class OptionBarOut(BaseModel):
    time: str
    open: str | None
    high: str | None
    low: str | None
    close: str | None
    volume: str | None
    open_interest: str | None


class OptionBarsResult(BaseModel):
    period: str
    currency: str
    bars: dict[str, list[OptionBarOut]] = Field(description="Per option identifier, oldest first.")


class OptionTickOut(BaseModel):
    time: str
    price: str | None
    volume: str | None = Field(description="Contracts.")


class OptionTicksResult(BaseModel):
    currency: str
    ticks: dict[str, list[OptionTickOut]] = Field(description="Per option identifier, oldest first.")


class OptionSymbolOut(BaseModel):
    symbol: str = Field(description="HKEX's option symbol, e.g. TCH.HK: pass it (or the stock code) to "
                                    "get_option_expirations and get_option_greeks.")
    name: str
    underlying: str = Field(description="The stock's code, e.g. 00700.")


class OptionSymbolsResult(BaseModel):
    market: str
    symbols: list[OptionSymbolOut]


class OptionDepthLevelOut(BaseModel):
    price: str
    volume: str = Field(description="Contracts.")
    time: str | None = Field(description="When the venue last updated it, UTC.")
    exchange: str | None = Field(description="The venue quoting it, e.g. CBOE (US) or SEHK (HK).")


class OptionDepthOut(BaseModel):
    identifier: str
    currency: str
    asks: list[OptionDepthLevelOut] = Field(description="Best (lowest) ask first; several venues may share a price.")
    bids: list[OptionDepthLevelOut] = Field(description="Best (highest) bid first.")


class OptionDepthResult(BaseModel):
    books: list[OptionDepthOut]


# --- account history ------------------------------------------------------------------------------


class CashEntryOut(BaseModel):
    id: str
    kind: str = Field(description="DEPOSIT_WITHDRAW, TRADE or FEE.")
    description: UntrustedText | None = Field(default=None, description="Tiger's text for the entry.")
    amount: Money = Field(description="Positive: money in; negative: money out.")
    business_date: str | None
    time: str | None


class CashHistoryResult(BaseModel):
    account: str
    entries: list[CashEntryOut] = Field(description="Oldest first.")
    total: int = Field(description="Entries matching the filters, across all pages.")
    next_offset: int | None = Field(description="Pass as offset for the next page; null on the last page.")


class TransferOut(BaseModel):
    id: str
    kind: str = Field(description="DEPOSIT or WITHDRAW.")
    amount: Money
    business_date: str | None
    completed: bool
    time: str | None


class TransfersResult(BaseModel):
    account: str
    transfers: list[TransferOut]


class CurrencyBalanceOut(BaseModel):
    cash: Money
    available: Money = Field(description="Cash available to trade.")
    fx_rate: str | None = Field(description="Tiger's exchange rate for this currency (USD per unit).")


class SegmentOut(BaseModel):
    segment: str = Field(description="S securities, C futures.")
    capability: str | None
    net_liquidation: Money
    cash: Money
    buying_power: Money
    gross_position_value: Money
    equity_with_loan: Money
    init_margin: Money
    maint_margin: Money
    unrealized_pnl: Money
    realized_pnl: Money
    currencies: list[CurrencyBalanceOut] = Field(description="Cash in each currency held.")


class SegmentAssetsResult(BaseModel):
    account: str
    currency: str = Field(description="Currency of the segment totals.")
    segments: list[SegmentOut]


# --- discovery ------------------------------------------------------------------------------------


class SymbolMatch(BaseModel):
    symbol: str
    name: UntrustedText | None = Field(default=None, description="The company's name as Tiger lists it.")


class SymbolSearchResult(BaseModel):
    matches: list[SymbolMatch] = Field(description="Exact ticker first, then tickers, then names.")


class CalendarDayOut(BaseModel):
    date: str
    trading: bool


class TradingCalendarResult(BaseModel):
    market: str
    days: list[CalendarDayOut] = Field(description="Every day of the range, both ends included.")


class ScanRowOut(BaseModel):
    symbol: str
    market: str
    values: dict[str, str | None] = Field(description="The filtered and sorted fields' values (change_pct in %).")


class ScanResult(BaseModel):
    market: str
    total: int = Field(description="Stocks matching, across all pages.")
    page: int
    pages: int
    rows: list[ScanRowOut]


# --- fundamentals ---------------------------------------------------------------------------------


class DailyValueOut(BaseModel):
    symbol: str
    field: str
    date: str
    value: str | None


class FinancialDailyResult(BaseModel):
    values: list[DailyValueOut] = Field(description="One per symbol, field and trading day, oldest first.")


class ReportValueOut(BaseModel):
    symbol: str
    field: str
    value: Money = Field(description="EPS fields per share; the others in total.")
    period_end: str | None
    filed: str | None = Field(description="When the report was published.")


class FinancialReportResult(BaseModel):
    period: str
    values: list[ReportValueOut]


class CorporateActionOut(BaseModel):
    symbol: str
    kind: str = Field(description="split, dividend or earnings.")
    date: str | None = Field(description="Ex / execute date; for earnings the report date.")
    details: dict[str, str | None] = Field(description="split: from_factor, to_factor, ratio; dividend: amount, "
                                                       "currency, record_date, pay_date; earnings: expected_eps, "
                                                       "actual_eps (null before the report), fiscal_quarter_ending.")


class CorporateActionsResult(BaseModel):
    kind: str
    actions: list[CorporateActionOut] = Field(description="Oldest first.")


class IndustryOut(BaseModel):
    id: str
    name: str


class IndustriesResult(BaseModel):
    level: str
    industries: list[IndustryOut]


# --- futures --------------------------------------------------------------------------------------


class FutureContractOut(BaseModel):
    code: str = Field(description="Pass to get_future_quote / get_future_bars.")
    type: str
    name: str
    exchange: str
    currency: str
    multiplier: str | None = Field(description="Currency units per index point.")
    min_tick: str | None
    contract_month: str | None
    last_trading_date: str | None


class FutureContractsResult(BaseModel):
    contracts: list[FutureContractOut] = Field(description="Nearest expiry first.")


class FutureQuoteOut(BaseModel):
    code: str
    currency: str
    latest_price: str | None
    bid: str | None
    ask: str | None
    open: str | None
    high: str | None
    low: str | None
    settlement: str | None = Field(description="The previous session's settlement price.")
    volume: str | None
    open_interest: str | None
    time: str | None


class FutureQuotesResult(BaseModel):
    quotes: list[FutureQuoteOut]


class FutureBarOut(BaseModel):
    time: str
    open: str | None
    high: str | None
    low: str | None
    close: str | None
    volume: str | None


class FutureBarsResult(BaseModel):
    period: str = Field(description="Bar size: day, week, month, or 1min to 60min.")
    bars: dict[str, list[FutureBarOut]] = Field(description="Bars per contract code, oldest first; time is each "
                                                            "bar's start, UTC.")
