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
