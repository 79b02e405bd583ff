"""Value types of the market-data calls beyond quotes and bars (depth, timelines, capital, options
analytics, futures, fundamentals, discovery, account history). Decimal money, UTC times, never the
SDK's floats or DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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

