"""The "futures" toolset: contracts, quotes and bars (daily to one-minute) of index futures."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from mcp_bridge.adapter import call, iso
from mcp_bridge.context import current_actor
from mcp_bridge.params import AccountParam
from mcp_bridge.schemas import dstr
from mcp_bridge.schemas_data import (
    FutureBarOut,
    FutureBarsResult,
    FutureContractOut,
    FutureContractsResult,
    FutureQuoteOut,
    FutureQuotesResult,
)

CodesParam = Annotated[list[str], Field(description="Contract codes from get_future_contracts, e.g. [\"ES2612\"]; "
                                                    "at most 20.", min_length=1, max_length=20)]


def _currency(code: str) -> str:
    return "HKD" if code.startswith("HSI") else "USD"


async def get_future_contracts(
    exchange: Annotated[Literal["CME", "HKEX"] | None, Field(description="List this exchange's contracts.")] = None,
    product: Annotated[str | None, Field(description="A product type, e.g. ES, NQ or HSI: its current (front) "
                                                     "contract only.", max_length=8)] = None,
    account: AccountParam = None,
) -> FutureContractsResult:
    """Futures contracts: an exchange's listed contracts, or a product's current one, with multiplier,
    tick and last trading day. Call it first to get the contract codes the other futures tools take."""
    from marketdata.services import future_contracts_get

    rows = await call(future_contracts_get, actor=current_actor(), exchange=exchange, product=product,
                      account_number=account)
    return FutureContractsResult(contracts=[FutureContractOut(
        code=c.code, type=c.type, name=c.name, exchange=c.exchange, currency=c.currency, multiplier=dstr(c.multiplier),
        min_tick=dstr(c.min_tick), contract_month=c.contract_month, last_trading_date=iso(c.last_trading_date))
        for c in rows])


async def get_future_quote(codes: CodesParam, account: AccountParam = None) -> FutureQuotesResult:
    """Real-time futures quotes: last, bid/ask, open/high/low, settlement, volume, open interest."""
    from marketdata.services import future_quotes_get

    rows = await call(future_quotes_get, actor=current_actor(), codes=codes, account_number=account)
    return FutureQuotesResult(quotes=[FutureQuoteOut(
        code=q.code, currency=_currency(q.code), latest_price=dstr(q.latest_price), bid=dstr(q.bid), ask=dstr(q.ask),
        open=dstr(q.open), high=dstr(q.high), low=dstr(q.low), settlement=dstr(q.settlement), volume=dstr(q.volume),
        open_interest=dstr(q.open_interest), time=iso(q.time)) for q in rows])


async def get_future_bars(
    codes: CodesParam,
    limit: Annotated[int, Field(description="Bars per contract, 1 to 1000.", ge=1, le=1000)] = 30,
    period: Annotated[Literal["day", "week", "month", "1min", "5min", "15min", "30min", "60min"],
                      Field(description="Bar size.")] = "day",
    account: AccountParam = None,
) -> FutureBarsResult:
    """OHLC bars of futures contracts, daily to one-minute (oldest first). Use a minute period for
    today's moves, day or longer for the trend."""
    from marketdata.services import future_bars_get

    bars = await call(future_bars_get, actor=current_actor(), codes=codes, limit=limit, period=period,
                      account_number=account)
    return FutureBarsResult(period=period, bars={c: [FutureBarOut(time=iso(b.time), open=dstr(b.open), high=dstr(b.high),
                                                   low=dstr(b.low), close=dstr(b.close), volume=dstr(b.volume))
                                      for b in rows] for c, rows in bars.items()})
