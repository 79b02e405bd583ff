"""Market data: quotes, bars, ticks, contracts, option chains, market status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from mcp_bridge.adapter import call, iso
from mcp_bridge.context import current_actor
from mcp_bridge.params import AccountParam, SymbolParam, SymbolsParam
from mcp_bridge.shapes import quote_out
from mcp_bridge.schemas import (
    BarOut,
    BarsResult,
    ContractOut,
    MarketStatusOut,
    MarketStatusResult,
    OptionChainResult,
    QuotesResult,
    TickOut,
    TicksResult,
    dstr,
    untrusted,
)


async def get_quote(symbols: SymbolsParam, account: AccountParam = None) -> QuotesResult:
    """Real-time quotes: last, bid/ask with sizes, open/high/low, previous close, volume."""
    from marketdata.services import quotes_get

    from broker.types import symbol_hint

    quotes = await call(quotes_get, actor=current_actor(), symbols=symbols, account_number=account)
    found = {q.symbol.upper() for q in quotes}
    missing = dict.fromkeys(s.strip().upper() for s in symbols if s.strip().upper() not in found)
    return QuotesResult(quotes=[quote_out(q) for q in quotes], hints=[symbol_hint(s) for s in missing])


async def get_bars(
    symbols: SymbolsParam,
    period: Annotated[str, Field(description="day, week, month, year, 1min, 5min, 15min, 30min, 60min ….")] = "day",
    limit: Annotated[int, Field(description="Bars per symbol, 1 to 1200.", ge=1, le=1200)] = 30,
    begin_time: Annotated[datetime | None, Field(description="ISO 8601; oldest bar wanted.")] = None,
    end_time: Annotated[datetime | None, Field(description="ISO 8601; newest bar wanted.")] = None,
    page_token: Annotated[str | None, Field(description="next_page_token from a previous call, for older bars.")] = None,
    account: AccountParam = None,
) -> BarsResult:
    """OHLCV bars (oldest first) per symbol; page back in time with next_page_token."""
    from marketdata.services import bars_get

    res = await call(bars_get, actor=current_actor(), symbols=symbols, period=period, limit=limit,
                     begin_time=begin_time, end_time=end_time, page_token=page_token, account_number=account)
    return BarsResult(
        period=res.period, next_page_token=res.next_page_token,
        bars={s: [BarOut(time=iso(b.time), open=dstr(b.open), high=dstr(b.high), low=dstr(b.low), close=dstr(b.close),
                         volume=dstr(b.volume), amount=dstr(b.amount)) for b in rows] for s, rows in res.bars.items()},
    )


async def get_trade_ticks(
    symbols: SymbolsParam,
    limit: Annotated[int, Field(description="Ticks per symbol, 1 to 1000.", ge=1, le=1000)] = 100,
    account: AccountParam = None,
) -> TicksResult:
    """Recent trades (time, price, volume, direction) per symbol."""
    from marketdata.services import trade_ticks_get

    ticks = await call(trade_ticks_get, actor=current_actor(), symbols=symbols, limit=limit, account_number=account)
    return TicksResult(ticks={s: [TickOut(time=iso(t.time), price=dstr(t.price), volume=dstr(t.volume),
                                          direction=t.direction) for t in rows] for s, rows in ticks.items()})


async def get_contract(
    symbol: SymbolParam,
    sec_type: Annotated[Literal["STK", "OPT", "FUT", "WAR", "IOPT"], Field(description="Security type.")] = "STK",
    account: AccountParam = None,
) -> ContractOut:
    """Contract details: exchange, currency, lot size, multiplier, whether shortable and tradeable."""
    from marketdata.services import contract_get

    c = await call(contract_get, actor=current_actor(), symbol=symbol, sec_type=sec_type, account_number=account)
    return ContractOut(symbol=c.symbol, sec_type=c.sec_type, currency=c.currency, exchange=c.exchange, market=c.market,
                       name=untrusted(c.name), multiplier=dstr(c.multiplier), lot_size=dstr(c.lot_size),
                       shortable=c.shortable, tradeable=c.tradeable)


async def get_option_chain(
    symbol: SymbolParam,
    expiry: Annotated[date | None, Field(description="YYYY-MM-DD. Omit to get the list of expiries only.")] = None,
    account: AccountParam = None,
) -> OptionChainResult:
    """Option expiries of an underlying, and with `expiry` the chain: strike, put/call, bid/ask, last, volume, OI."""
    from marketdata.services import option_chain_get, option_expirations_get

    actor = current_actor()
    expirations = await call(option_expirations_get, actor=actor, symbol=symbol, account_number=account)
    options = []
    if expiry is not None:
        chain = await call(option_chain_get, actor=actor, symbol=symbol, expiry=expiry, account_number=account)
        options = [{"identifier": o.identifier, "put_call": o.put_call, "strike": dstr(o.strike), "bid": dstr(o.bid),
                    "ask": dstr(o.ask), "latest_price": dstr(o.latest_price), "volume": dstr(o.volume),
                    "open_interest": dstr(o.open_interest)} for o in chain]
    return OptionChainResult(symbol=symbol.upper(), expiry=iso(expiry), expirations=[iso(d) for d in expirations],
                             options=options)


async def get_market_status(
    market: Annotated[Literal["US", "HK", "CN", "SG", "ALL"], Field(description="Market.")] = "US",
    account: AccountParam = None,
) -> MarketStatusResult:
    """Whether a market is open, pre/post market or closed, and its next open time."""
    from marketdata.services import market_status_get

    rows = await call(market_status_get, actor=current_actor(), market=market, account_number=account)
    return MarketStatusResult(markets=[MarketStatusOut(market=m.market, status=m.status, open_time=iso(m.open_time))
                                       for m in rows])
