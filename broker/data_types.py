"""Value types of the market-data calls beyond quotes and bars (depth, timelines, capital, options
analytics, futures, fundamentals, discovery, account history). Decimal money, UTC times, never the
SDK's floats or DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class DepthLevel:
    price: Decimal
    volume: Decimal
    orders: int | None


@dataclass(frozen=True)
class Depth:
    symbol: str
    currency: str
    asks: list[DepthLevel]  # best (lowest) first
    bids: list[DepthLevel]  # best (highest) first


@dataclass(frozen=True)
class TimelinePoint:
    time: datetime
    price: Decimal
    avg_price: Decimal | None
    volume: Decimal | None
    session: str  # Regular | PreMarket | AfterHours | OverNight


@dataclass(frozen=True)
class Timeline:
    symbol: str
    currency: str
    pre_close: Decimal | None
    points: list[TimelinePoint]


@dataclass(frozen=True)
class DelayedQuote:
    symbol: str
    currency: str
    time: datetime | None
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    close: Decimal | None
    pre_close: Decimal | None
    volume: Decimal | None
    halted: bool


@dataclass(frozen=True)
class CapitalFlowPoint:
    time: datetime
    label: str  # Tiger's own date or time text, in the market's time zone
    net_inflow: Decimal


@dataclass(frozen=True)
class CapitalFlow:
    symbol: str
    currency: str
    period: str
    points: list[CapitalFlowPoint]


@dataclass(frozen=True)
class CapitalDistribution:
    symbol: str
    currency: str
    net_inflow: Decimal | None
    inflow: dict[str, Decimal | None]   # all, big, mid, small
    outflow: dict[str, Decimal | None]


@dataclass(frozen=True)
class SeatLevel:
    level: int
    price: Decimal | None
    brokers: list[tuple[str, str]]  # (seat id, name)


@dataclass(frozen=True)
class BrokerSeats:
    symbol: str
    currency: str
    bid: list[SeatLevel] = field(default_factory=list)
    ask: list[SeatLevel] = field(default_factory=list)



@dataclass(frozen=True)
class OptionGreeks:
    identifier: str
    symbol: str
    expiry: date
    strike: Decimal
    put_call: str
    bid: Decimal | None
    ask: Decimal | None
    latest_price: Decimal | None
    volume: Decimal | None
    open_interest: Decimal | None
    implied_vol: Decimal | None
    delta: Decimal | None
    gamma: Decimal | None
    theta: Decimal | None
    vega: Decimal | None
    rho: Decimal | None
    multiplier: Decimal | None = None  # shares per contract, as the chain states it


@dataclass(frozen=True)
class OptionSymbol:
    symbol: str      # HKEX's option symbol, e.g. TCH.HK: what option chains and identifiers use
    name: str
    underlying: str  # the stock's code, e.g. 00700


@dataclass(frozen=True)
class OptionDepthLevel:
    price: Decimal
    volume: Decimal
    time: datetime | None
    exchange: str | None  # the venue quoting it (CBOE, AMEX, … in the US; SEHK in Hong Kong)


@dataclass(frozen=True)
class OptionDepth:
    identifier: str
    currency: str
    asks: list[OptionDepthLevel]  # best (lowest) first; several venues may quote one price
    bids: list[OptionDepthLevel]  # best (highest) first


@dataclass(frozen=True)
class OptionAnalysis:
    symbol: str
    implied_vol_30d: Decimal | None
    historical_vol: Decimal | None
    iv_hv_ratio: Decimal | None
    call_put_ratio: Decimal | None
    iv_period: str | None
    iv_rank: Decimal | None
    iv_percentile: Decimal | None
    history: list[tuple[datetime, Decimal | None, Decimal | None]]  # (time, implied vol, historical vol)


@dataclass(frozen=True)
class OptionBar:
    time: datetime
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    close: Decimal | None
    volume: Decimal | None
    open_interest: Decimal | None


@dataclass(frozen=True)
class OptionTick:
    time: datetime
    price: Decimal | None
    volume: Decimal | None


@dataclass(frozen=True)
class CashEntry:
    entry_id: str
    kind: str  # DEPOSIT_WITHDRAW | TRADE | FEE | … as Tiger types it
    description: str
    currency: str
    amount: Decimal
    business_date: date | None
    time: datetime | None
    segment: str


@dataclass(frozen=True)
class CashHistory:
    entries: list[CashEntry]
    total: int  # entries matching, across all pages


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    kind: str  # DEPOSIT | WITHDRAW
    currency: str
    amount: Decimal
    business_date: date | None
    completed: bool
    time: datetime | None


@dataclass(frozen=True)
class CurrencyBalance:
    currency: str
    cash: Decimal | None
    available: Decimal | None
    fx_rate: Decimal | None  # base-currency units per unit of this currency


@dataclass(frozen=True)
class SegmentAssets:
    segment: str  # S securities, C commodities (futures)
    capability: str | None
    currency: str
    net_liquidation: Decimal | None
    cash: Decimal | None
    buying_power: Decimal | None
    gross_position_value: Decimal | None
    equity_with_loan: Decimal | None
    init_margin: Decimal | None
    maint_margin: Decimal | None
    unrealized_pnl: Decimal | None
    realized_pnl: Decimal | None
    currencies: list[CurrencyBalance]


@dataclass(frozen=True)
class CalendarDay:
    day: date
    trading: bool


@dataclass(frozen=True)
class ScanRow:
    symbol: str
    market: str
    values: dict[str, Decimal | None]  # our field name -> value


@dataclass(frozen=True)
class ScanPage:
    rows: list[ScanRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class DailyValue:
    symbol: str
    field: str
    day: date
    value: Decimal | None


@dataclass(frozen=True)
class ReportValue:
    symbol: str
    currency: str
    field: str
    value: Decimal | None
    period_end: date | None
    filed: date | None


@dataclass(frozen=True)
class CorporateAction:
    symbol: str
    kind: str  # split | dividend | earnings
    day: date | None  # execute (ex) date, or the earnings report date
    details: dict  # per kind: ratio, amount/currency/pay date, expected/actual EPS …


@dataclass(frozen=True)
class Industry:
    industry_id: str
    level: str
    name: str


@dataclass(frozen=True)
class FutureContract:
    code: str  # e.g. ES2612
    type: str  # e.g. ES
    name: str
    exchange: str
    currency: str
    multiplier: Decimal | None
    min_tick: Decimal | None
    contract_month: str | None
    last_trading_date: date | None


@dataclass(frozen=True)
class FutureQuote:
    code: str
    latest_price: Decimal | None
    bid: Decimal | None
    ask: Decimal | None
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    settlement: Decimal | None
    volume: Decimal | None
    open_interest: Decimal | None
    time: datetime | None
