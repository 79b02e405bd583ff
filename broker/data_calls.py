"""BrokerClient's market-data calls beyond quotes and bars: one method per tigeropen call, each
through BrokerClient._call (rate limiter, circuit breaker, error translation), each returning the
value types of broker.data_types."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from broker.data_types import (
    BrokerSeats,
    CapitalDistribution,
    CapitalFlow,
    CapitalFlowPoint,
    DelayedQuote,
    Depth,
    DepthLevel,
    SeatLevel,
    Timeline,
    TimelinePoint,
)
from broker.types import currency_for, dec, from_millis, market_for


def _records(frame) -> list[dict]:
    if frame is None:
        return []
    if hasattr(frame, "to_dict"):
        return frame.to_dict("records")
    return list(frame)


def _levels(rows) -> list[DepthLevel]:
    return [DepthLevel(price=dec(price), volume=dec(volume) or Decimal(0), orders=int(count) if count is not None else None)
            for price, volume, count in rows or [] if dec(price) is not None]


class QuoteDataCalls:
    """Mixed into broker.client.BrokerClient (self._call, self._quote)."""

    def depth(self, symbols: list[str]) -> list[Depth]:
        """Level-2 order book per symbol; one market per call (Tiger's rule), so symbols are grouped."""
        books: dict[str, dict] = {}
        for market in dict.fromkeys(market_for(s) for s in symbols):
            group = [s for s in symbols if market_for(s) == market]
            book = self._call("quote_depth", self._quote.get_depth_quote, group, market) or {}
            # The SDK returns the book itself for one symbol, a dict of books for several.
            books.update({book["symbol"]: book} if "asks" in book else book)
        return [Depth(symbol=s, currency=currency_for(s), asks=_levels(books[s].get("asks")),
                      bids=_levels(books[s].get("bids"))) for s in symbols if s in books]

    def timeline(self, symbols: list[str], *, day=None, include_hour_trading: bool = False) -> list[Timeline]:
        """Minute prices of today's session (``day`` None) or of a past trading day."""
        if day is None:
            frame = self._call("timeline", self._quote.get_timeline, list(symbols),
                               include_hour_trading=include_hour_trading)
        else:
            frame = self._call("history_timeline", self._quote.get_timeline_history, list(symbols), day.isoformat())
        rows: dict[str, list[dict]] = {s: [] for s in symbols}
        for r in _records(frame):
            rows.setdefault(r["symbol"], []).append(r)
        return [
            Timeline(symbol=s, currency=currency_for(s),
                     pre_close=dec(rows[s][0].get("pre_close")) if rows[s] else None,
                     points=[TimelinePoint(time=from_millis(r["time"]), price=dec(r.get("price")),
                                           avg_price=dec(r.get("avg_price")), volume=dec(r.get("volume")),
                                           session=str(r.get("trade_session") or "Regular")) for r in rows[s]])
            for s in symbols
        ]

    def delayed_quotes(self, symbols: list[str]) -> list[DelayedQuote]:
        frame = self._call("quote_delay", self._quote.get_stock_delay_briefs, list(symbols))
        return [
            DelayedQuote(symbol=r["symbol"], currency=currency_for(r["symbol"]), time=from_millis(r.get("time")),
                         open=dec(r.get("open")), high=dec(r.get("high")), low=dec(r.get("low")),
                         close=dec(r.get("close")), pre_close=dec(r.get("pre_close")), volume=dec(r.get("volume")),
                         halted=bool(dec(r.get("halted")))) for r in _records(frame)
        ]

    def capital_flow(self, symbol: str, *, period: str, limit: int = 200, begin: datetime | None = None,
                     end: datetime | None = None) -> CapitalFlow:
        frame = self._call("capital_flow", self._quote.get_capital_flow, symbol, market_for(symbol), period,
                           begin_time=_ms(begin), end_time=_ms(end), limit=limit)
        points = [CapitalFlowPoint(time=from_millis(r["timestamp"]), label=str(r.get("time") or ""),
                                   net_inflow=dec(r.get("net_inflow"))) for r in _records(frame)]
        return CapitalFlow(symbol=symbol, currency=currency_for(symbol), period=period, points=points)

    def capital_distribution(self, symbol: str) -> CapitalDistribution:
        d = self._call("capital_distribution", self._quote.get_capital_distribution, symbol, market_for(symbol))
        get = (lambda k: dec(getattr(d, k, None))) if d is not None else (lambda k: None)
        return CapitalDistribution(
            symbol=symbol, currency=currency_for(symbol), net_inflow=get("net_inflow"),
            inflow={k: get(f"in_{k}") for k in ("all", "big", "mid", "small")},
            outflow={k: get(f"out_{k}") for k in ("all", "big", "mid", "small")},
        )

    def broker_seats(self, symbol: str, *, limit: int = 40) -> BrokerSeats:
        b = self._call("stock_broker", self._quote.get_stock_broker, symbol, limit=limit)

        def side(levels):
            return [SeatLevel(level=int(lv.level), price=dec(lv.price),
                              brokers=[(str(x.id), str(x.name)) for x in (lv.broker or [])]) for lv in levels or []]

        if b is None:
            return BrokerSeats(symbol=symbol, currency=currency_for(symbol))
        return BrokerSeats(symbol=symbol, currency=currency_for(symbol), bid=side(b.bid_broker), ask=side(b.ask_broker))


def _ms(value: datetime | None) -> int:
    return -1 if value is None else int(value.timestamp() * 1000)
