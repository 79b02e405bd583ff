"""Futures: quarterly index futures whose prices follow the simulator's own index-tracking funds
(E-mini S&P 500 on SPY, E-mini Nasdaq-100 on QQQ, Hang Seng on the Tracker Fund), with a small
basis that shrinks to nothing at expiry. Contracts by exchange, the current (front) contract, quotes
and daily bars, in Tiger's shapes."""
from __future__ import annotations

import calendar
import datetime as dt
import random
from decimal import Decimal

from . import protocol as p
from .futures import MONTHS, PRODUCTS, FutureContract, future_from_code, future_price, listed
from .instruments import get_instrument
from .market_calendar import CALENDARS
from .prices import _seed_int

# Tiger's future_kline periods the simulator serves; intraday bars follow the tracked fund's minutes.
FUTURE_PERIODS = ("day", "week", "month", "1min", "5min", "15min", "30min", "60min")


def _carry_day(start: dt.date, period: str, today: dt.date) -> dt.date:
    """The day whose carry prices a bar's close: its own day, or a week's or month's last (today for
    the current one), so the last bar of any period closes at the quote's price."""
    if period == "week":
        return min(today, start + dt.timedelta(days=6 - start.weekday()))
    if period == "month":
        return min(today, start.replace(day=calendar.monthrange(start.year, start.month)[1]))
    return start


class FutureMethods:
    """Mixed into Gateway."""

    def future_handlers(self) -> dict:
        return {"future_contract_by_exchange_code": self.future_contracts_by_exchange,
                "future_current_contract": self.future_current_contract,
                "future_real_time_quote": self.future_quote, "future_kline": self.future_kline}

    def _today(self) -> dt.date:
        return CALENDARS["US"].local(self._now()).date()

    def _contract_json(self, contract: FutureContract) -> dict:
        product, code, last, year, month = (contract.product, contract.symbol, contract.last_trading_day,
                                            contract.year, contract.month)
        return {"contractCode": code, "ibCode": product.type, "type": product.type,
                "name": f"{product.name} - {MONTHS[month]} {year}", "contractMonth": f"{year}{month:02d}",
                "currency": product.currency, "deliveryMode": "Cash", "displayMultiplier": 1,
                "exchange": product.exchange, "exchangeCode": product.exchange_code, "firstNoticeDate": "",
                "lastBiddingCloseTime": 0, "lastTradingDate": last.strftime("%Y%m%d"), "minTick": product.min_tick,
                "multiplier": product.multiplier, "productType": product.product_type,
                "productWorth": f"{product.currency} {product.multiplier} per index point", "trade": True,
                "continuous": False}

    def _find(self, code: str) -> FutureContract:
        contract = future_from_code(code)
        if contract is None or contract not in listed(contract.product, self._today()):
            raise p.GatewayError(p.CODE_COMMON_PARAM, f"invalid contract_code: {(code or '').strip().upper()}")
        return contract

    def future_contracts_by_exchange(self, tiger_id, biz, fault):
        exchange = (biz.get("exchange_code") or "").upper()
        if not exchange:
            raise p.field_empty("exchange_code")
        return [self._contract_json(c) for f in PRODUCTS.values() if f.exchange == exchange
                for c in listed(f, self._today())]

    def future_current_contract(self, tiger_id, biz, fault):
        product = PRODUCTS.get((biz.get("type") or "").upper())
        if product is None:
            raise p.GatewayError(p.CODE_COMMON_PARAM, f"invalid type: {biz.get('type')}")
        return [self._contract_json(listed(product, self._today())[0])]

    def future_quote(self, tiger_id, biz, fault):
        codes = biz.get("contract_codes") or []
        if not codes:
            raise p.field_empty("contract_codes")
        now = self._now()
        out = []
        for code in codes:
            contract = self._find(code)
            q = self.ex.quote(contract.product.tracks, now)
            book = self.ex.quote(contract.symbol, now)  # what futures orders fill against
            day = q.session_day
            price = lambda v: future_price(contract, v, day)  # noqa: E731
            rng = random.Random(_seed_int(self.ex.prices.seed, "fut", contract.symbol, day))
            out.append({"contractCode": contract.symbol, "latestPrice": book.latest, "latestSize": rng.randint(1, 20),
                        "latestTime": int(now.timestamp() * 1000), "bidPrice": book.bid,
                        "bidSize": book.bid_size, "askPrice": book.ask,
                        "askSize": book.ask_size, "openInterest": rng.randint(50_000, 2_000_000),
                        "openInterestChange": rng.randint(-5000, 5000), "volume": book.volume,
                        "open": book.open, "high": book.high, "low": book.low,
                        "settlement": book.pre_close, "preSettlement": book.pre_close,
                        "limitUp": price(q.pre_close * Decimal("1.07")), "limitDown": price(q.pre_close * Decimal("0.93"))})
        return out

    def future_kline(self, tiger_id, biz, fault):
        codes = biz.get("contract_codes") or []
        if not codes:
            raise p.field_empty("contract_codes")
        period = (biz.get("period") or "day").lower()
        if period not in FUTURE_PERIODS:
            raise p.biz_error(f"period {period} is not supported")
        limit = max(1, min(int(biz.get("limit") or 200), 1000))
        now = self._now()
        out = []
        for code in codes:
            contract = self._find(code)
            inst = get_instrument(contract.product.tracks)
            bars = self._bars(inst, period, now, limit, None)
            cal = CALENDARS[inst.market]
            items = []
            today = cal.session_date(now)
            for bar in bars:
                day = _carry_day(dt.datetime.fromtimestamp(bar.time_ms / 1000, cal.tz).date(), period, today)
                price = lambda v: future_price(contract, v, day)  # noqa: E731
                items.append({"time": bar.time_ms, "lastTime": bar.time_ms, "open": price(bar.open),
                              "high": price(bar.high), "low": price(bar.low), "close": price(bar.close),
                              "settlement": price(bar.close), "volume": bar.volume // 50,
                              "openInterest": random.Random(_seed_int(self.ex.prices.seed, "foi", contract.symbol, day)).randint(
                                  50_000, 2_000_000)})
            out.append({"contractCode": contract.symbol, "nextPageToken": None, "items": items})
        return out
