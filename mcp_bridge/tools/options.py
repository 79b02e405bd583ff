"""The "options" toolset: expirations, the chain with Greeks and IV, IV/HV analysis, option bars, trades
and depth, and Hong Kong's option symbols."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from broker.types import currency_for
from mcp_bridge.adapter import call, iso
from mcp_bridge.context import current_actor
from mcp_bridge.params import AccountParam, SymbolParam, SymbolsParam
from mcp_bridge.schemas import dstr
from mcp_bridge.schemas_data import (
    OptionAnalysisOut,
    OptionAnalysisResult,
    OptionBarOut,
    OptionBarsResult,
    OptionDepthLevelOut,
    OptionDepthOut,
    OptionDepthResult,
    OptionExpirationsResult,
    OptionGreeksOut,
    OptionGreeksResult,
    OptionSymbolOut,
    OptionSymbolsResult,
    OptionTickOut,
    OptionTicksResult,
    VolPointOut,
)

IdentifiersParam = Annotated[list[str], Field(
    description="Option identifiers from get_option_greeks, e.g. [\"AAPL  261218C00190000\"]; at most 10.",
    min_length=1, max_length=10)]
OPTION_MULTIPLIER = "100"


async def get_option_expirations(symbol: SymbolParam, account: AccountParam = None) -> OptionExpirationsResult:
    """Expiry dates of a stock's listed options. Call it first, then get_option_greeks with one date."""
    from marketdata.services import option_expirations_get

    dates = await call(option_expirations_get, actor=current_actor(), symbol=symbol, account_number=account)
    return OptionExpirationsResult(symbol=symbol.strip().upper(), expirations=[iso(d) for d in dates])


async def get_option_greeks(
    symbol: SymbolParam,
    expiry: Annotated[date, Field(description="YYYY-MM-DD, from get_option_expirations.")],
    account: AccountParam = None,
) -> OptionGreeksResult:
    """One expiry's chain with implied volatility, delta, gamma, theta, vega, rho, volume and open
    interest. Use it to pick strikes or judge risk; get_option_chain gives prices only."""
    from marketdata.services import option_greeks_get

    rows = await call(option_greeks_get, actor=current_actor(), symbol=symbol, expiry=expiry, account_number=account)
    multiplier = next((dstr(o.multiplier) for o in rows if o.multiplier is not None), OPTION_MULTIPLIER)
    symbol = symbol.strip().upper()
    return OptionGreeksResult(symbol=symbol, expiry=iso(expiry), currency=currency_for(symbol),
                              multiplier=multiplier, options=[OptionGreeksOut(
        identifier=o.identifier, put_call=o.put_call, strike=dstr(o.strike), bid=dstr(o.bid), ask=dstr(o.ask),
        latest_price=dstr(o.latest_price), volume=dstr(o.volume), open_interest=dstr(o.open_interest),
        implied_vol=dstr(o.implied_vol), delta=dstr(o.delta), gamma=dstr(o.gamma), theta=dstr(o.theta),
        vega=dstr(o.vega), rho=dstr(o.rho)) for o in rows])


async def get_option_analysis(
    symbols: SymbolsParam,
    period: Annotated[Literal["13week", "26week", "52week", "3year"],
                      Field(description="Window for IV rank and percentile.")] = "52week",
    account: AccountParam = None,
) -> OptionAnalysisResult:
    """Implied against historical volatility (IV/HV), IV rank and percentile, call/put ratio. Use it
    to judge whether options are cheap or dear before choosing a strategy."""
    from marketdata.services import option_analysis_get

    rows = await call(option_analysis_get, actor=current_actor(), symbols=symbols, period=period, account_number=account)
    return OptionAnalysisResult(analyses=[OptionAnalysisOut(
        symbol=a.symbol, implied_vol_30d=dstr(a.implied_vol_30d), historical_vol=dstr(a.historical_vol),
        iv_hv_ratio=dstr(a.iv_hv_ratio), call_put_ratio=dstr(a.call_put_ratio), iv_rank=dstr(a.iv_rank),
        iv_percentile=dstr(a.iv_percentile), period=a.iv_period,
        history=[VolPointOut(time=iso(t), implied_vol=dstr(iv), historical_vol=dstr(hv)) for t, iv, hv in a.history],
    ) for a in rows])


async def get_option_bars(
    identifiers: IdentifiersParam,
    period: Annotated[Literal["day", "1min", "5min", "30min", "60min"], Field(description="Bar size.")] = "day",
    limit: Annotated[int, Field(description="Bars per option, 1 to 1000.", ge=1, le=1000)] = 30,
    account: AccountParam = None,
) -> OptionBarsResult:
    """OHLC bars of option contracts with volume and open interest (oldest first). Use it for an
    option's own price history; get_bars is for stocks."""
    from marketdata.services import option_bars_get

    bars = await call(option_bars_get, actor=current_actor(), identifiers=identifiers, period=period, limit=limit,
                      account_number=account)
    return OptionBarsResult(period=period, currency=currency_for(identifiers[0].upper()), bars={i: [OptionBarOut(
        time=iso(b.time), open=dstr(b.open), high=dstr(b.high), low=dstr(b.low), close=dstr(b.close),
        volume=dstr(b.volume), open_interest=dstr(b.open_interest)) for b in rows] for i, rows in bars.items()})


async def get_option_ticks(identifiers: IdentifiersParam, account: AccountParam = None) -> OptionTicksResult:
    """Today's trades of option contracts (time, price, contracts), oldest first."""
    from marketdata.services import option_ticks_get

    ticks = await call(option_ticks_get, actor=current_actor(), identifiers=identifiers, account_number=account)
    return OptionTicksResult(currency=currency_for(identifiers[0].upper()), ticks={i: [OptionTickOut(time=iso(t.time), price=dstr(t.price),
                                                                      volume=dstr(t.volume)) for t in rows]
                                                    for i, rows in ticks.items()})


async def get_option_symbols(
    market: Annotated[Literal["HK"], Field(description="Market; Tiger lists option symbols for HK.")] = "HK",
    account: AccountParam = None,
) -> OptionSymbolsResult:
    """Hong Kong's option symbols (e.g. TCH.HK) and their stocks (00700). Use it to find which HK
    stocks have options before get_option_expirations."""
    from marketdata.services import option_symbols_get

    rows = await call(option_symbols_get, actor=current_actor(), market=market, account_number=account)
    return OptionSymbolsResult(market=market, symbols=[OptionSymbolOut(symbol=s.symbol, name=s.name,
                                                                       underlying=s.underlying) for s in rows])


async def get_option_depth(identifiers: IdentifiersParam, account: AccountParam = None) -> OptionDepthResult:
    """Order book of option contracts: bids and asks by price and venue, best first. Use it to judge
    liquidity before a limit price; get_option_greeks shows only the best bid and ask."""
    from marketdata.services import option_depth_get

    books = await call(option_depth_get, actor=current_actor(), identifiers=identifiers, account_number=account)

    def levels(rows):
        return [OptionDepthLevelOut(price=dstr(lv.price), volume=dstr(lv.volume), time=iso(lv.time),
                                    exchange=lv.exchange) for lv in rows]

    return OptionDepthResult(books=[OptionDepthOut(identifier=b.identifier, currency=b.currency, asks=levels(b.asks),
                                                   bids=levels(b.bids)) for b in books])
