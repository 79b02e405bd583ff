"""The "quotes" toolset: order book, timelines, delayed quotes, capital flow and distribution, HK
broker seats."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from mcp_bridge.adapter import call, iso
from mcp_bridge.context import current_actor
from mcp_bridge.params import AccountParam, SymbolParam, SymbolsParam
from mcp_bridge.schemas import dstr
from mcp_bridge.schemas_data import (
    BrokerSeatsResult,
    CapitalDistributionResult,
    CapitalFlowPointOut,
    CapitalFlowResult,
    DelayedQuoteOut,
    DelayedQuotesResult,
    DepthLevelOut,
    DepthOut,
    DepthResult,
    FlowSplit,
    SeatLevelOut,
    TimelineOut,
    TimelinePointOut,
    TimelineResult,
)


async def get_depth(
    symbols: Annotated[list[str], Field(description="Tickers, e.g. [\"AAPL\"] or [\"00700\"]; at most 10.",
                                        min_length=1, max_length=10)],
    account: AccountParam = None,
) -> DepthResult:
    """Level-2 order book: up to 10 bid and ask levels with volume and order count. Use it to judge
    liquidity or where a limit order would sit; get_quote is enough for the best bid/ask."""
    from marketdata.services import depth_get

    books = await call(depth_get, actor=current_actor(), symbols=symbols, account_number=account)
    return DepthResult(books=[DepthOut(
        symbol=b.symbol, currency=b.currency,
        asks=[DepthLevelOut(price=dstr(x.price), volume=dstr(x.volume), orders=x.orders) for x in b.asks],
        bids=[DepthLevelOut(price=dstr(x.price), volume=dstr(x.volume), orders=x.orders) for x in b.bids],
    ) for b in books])


async def get_timeline(
    symbols: SymbolsParam,
    day: Annotated[date | None, Field(description="A past trading day, YYYY-MM-DD; omit for today's session.")] = None,
    account: AccountParam = None,
) -> TimelineResult:
    """Minute-by-minute price, day's average price and volume: today's intraday chart, or a past
    day's with `date`. For OHLC candles over longer spans use get_bars."""
    from marketdata.services import timeline_get

    rows = await call(timeline_get, actor=current_actor(), symbols=symbols, day=day, account_number=account)
    return TimelineResult(day=iso(day), timelines=[TimelineOut(
        symbol=t.symbol, currency=t.currency, pre_close=dstr(t.pre_close),
        points=[TimelinePointOut(time=iso(p.time), price=dstr(p.price), avg_price=dstr(p.avg_price),
                                 volume=dstr(p.volume), session=p.session) for p in t.points],
    ) for t in rows])


async def get_delayed_quote(symbols: SymbolsParam, account: AccountParam = None) -> DelayedQuotesResult:
    """Quotes delayed about 15 minutes, each marked delayed. Use it when get_quote reports that the
    account has no real-time quote permission; otherwise prefer get_quote."""
    from marketdata.services import delayed_quotes_get

    rows = await call(delayed_quotes_get, actor=current_actor(), symbols=symbols, account_number=account)
    return DelayedQuotesResult(quotes=[DelayedQuoteOut(
        symbol=q.symbol, currency=q.currency, delayed=True, time=iso(q.time), latest_price=dstr(q.close),
        open=dstr(q.open), high=dstr(q.high), low=dstr(q.low), pre_close=dstr(q.pre_close),
        volume=dstr(q.volume), halted=q.halted,
    ) for q in rows])


async def get_capital_flow(
    symbol: SymbolParam,
    period: Annotated[Literal["intraday", "day", "week", "month", "quarter", "6month", "year"],
                      Field(description="intraday: cumulative net inflow per minute today; else one value per period.")] = "day",
    limit: Annotated[int, Field(description="Periods, newest kept, 1 to 1200.", ge=1, le=1200)] = 30,
    account: AccountParam = None,
) -> CapitalFlowResult:
    """Net money flowing into a stock (buying minus selling) over time. Use it to see whether money
    is entering or leaving; get_capital_distribution splits today's by order size."""
    from marketdata.services import capital_flow_get

    f = await call(capital_flow_get, actor=current_actor(), symbol=symbol, period=period, limit=limit,
                   account_number=account)
    return CapitalFlowResult(symbol=f.symbol, currency=f.currency, period=f.period, points=[
        CapitalFlowPointOut(time=iso(p.time), label=p.label, net_inflow=dstr(p.net_inflow)) for p in f.points])


async def get_capital_distribution(symbol: SymbolParam, account: AccountParam = None) -> CapitalDistributionResult:
    """Today's money into and out of a stock, split into big, medium and small orders, and the net.
    Use it to see who drives today's move (large orders or small); get_capital_flow shows the trend."""
    from marketdata.services import capital_distribution_get

    d = await call(capital_distribution_get, actor=current_actor(), symbol=symbol, account_number=account)
    return CapitalDistributionResult(
        symbol=d.symbol, currency=d.currency, net_inflow=dstr(d.net_inflow),
        inflow=FlowSplit(**{k: dstr(v) for k, v in d.inflow.items()}),
        outflow=FlowSplit(**{k: dstr(v) for k, v in d.outflow.items()}),
    )


async def get_broker_seats(
    symbol: Annotated[str, Field(description="Hong Kong code, e.g. 00700.", min_length=1, max_length=32)],
    limit: Annotated[int, Field(description="Brokers per price level, 1 to 40.", ge=1, le=40)] = 40,
    account: AccountParam = None,
) -> BrokerSeatsResult:
    """Hong Kong broker queue: which brokers (seat id and name) stand at each of the best bid and ask
    levels. HK stocks only; for a US order book use get_depth."""
    from marketdata.services import broker_seats_get

    s = await call(broker_seats_get, actor=current_actor(), symbol=symbol, limit=limit, account_number=account)

    def side(levels):
        return [SeatLevelOut(level=lv.level, price=dstr(lv.price),
                             brokers=[{"id": i, "name": n} for i, n in lv.brokers]) for lv in levels]

    return BrokerSeatsResult(symbol=s.symbol, currency=s.currency, bid=side(s.bid), ask=side(s.ask))
