"""Futures: quarterly index futures whose prices follow the simulator's own index-tracking funds
(E-mini S&P 500 on SPY, E-mini Nasdaq-100 on QQQ, Hang Seng on the Tracker Fund), with a small
basis that shrinks to nothing at expiry. Contracts by exchange, the current (front) contract, quotes
and daily bars, in Tiger's shapes."""
from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import protocol as p
from .instruments import get_instrument
from .market_calendar import CALENDARS
from .prices import _seed_int

MONTHS = {3: "Mar", 6: "Jun", 9: "Sep", 12: "Dec"}
LISTED_QUARTERS = 4
# Tiger's future_kline periods the simulator serves; intraday bars follow the tracked fund's minutes.
FUTURE_PERIODS = ("day", "week", "month", "1min", "5min", "15min", "30min", "60min")


@dataclass(frozen=True)
class FutureProduct:
    type: str
    name: str
    exchange: str          # Tiger's exchange (get_future_contracts' argument)
    exchange_code: str
    currency: str
    multiplier: int
    min_tick: Decimal
    tracks: str            # the simulated fund whose price it follows
    scale: Decimal         # index points per fund unit
    product_type: str = "Equity Index"


PRODUCTS = {f.type: f for f in (
    FutureProduct("ES", "E-mini S&P 500", "CME", "GLOBEX", "USD", 50, Decimal("0.25"), "SPY", Decimal("10.02")),
    FutureProduct("NQ", "E-mini Nasdaq-100", "CME", "GLOBEX", "USD", 20, Decimal("0.25"), "QQQ", Decimal("41.2")),
    FutureProduct("HSI", "Hang Seng Index", "HKEX", "HKFE", "HKD", 50, Decimal("1"), "02800", Decimal("1010")),
)}


def _third_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)


def _last_trading_day(product: FutureProduct, year: int, month: int) -> dt.date:
    if product.exchange == "HKEX":  # the business day before the month's last business day
        cal = CALENDARS["HK"]
        last = cal.trading_day_on_or_before(dt.date(year, month, calendar.monthrange(year, month)[1]))
        return cal.previous_trading_day(last)
    return CALENDARS["US"].trading_day_on_or_before(_third_friday(year, month))


def listed(product: FutureProduct, today: dt.date) -> list[tuple[str, dt.date, int, int]]:
    """(contract code, last trading day, year, month) of the next LISTED_QUARTERS quarterly contracts."""
    out, year, month = [], today.year, ((today.month - 1) // 3 + 1) * 3
    while len(out) < LISTED_QUARTERS:
        last = _last_trading_day(product, year, month)
        if last >= today:
            out.append((f"{product.type}{year % 100:02d}{month:02d}", last, year, month))
        month += 3
        if month > 12:
            year, month = year + 1, 3
    return out


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

    def _contract_json(self, product: FutureProduct, code: str, last: dt.date, year: int, month: int) -> dict:
        return {"contractCode": code, "ibCode": product.type, "type": product.type,
                "name": f"{product.name} - {MONTHS[month]} {year}", "contractMonth": f"{year}{month:02d}",
                "currency": product.currency, "deliveryMode": "Cash", "displayMultiplier": 1,
                "exchange": product.exchange, "exchangeCode": product.exchange_code, "firstNoticeDate": "",
                "lastBiddingCloseTime": 0, "lastTradingDate": last.strftime("%Y%m%d"), "minTick": product.min_tick,
                "multiplier": product.multiplier, "productType": product.product_type,
                "productWorth": f"{product.currency} {product.multiplier} per index point", "trade": True,
                "continuous": False}

    def _find(self, code: str):
        code = (code or "").strip().upper()
        for product in PRODUCTS.values():
            if code.startswith(product.type) and code[len(product.type):].isdigit():
                for listed_code, last, year, month in listed(product, self._today()):
                    if listed_code == code:
                        return product, last, year, month
        raise p.GatewayError(p.CODE_COMMON_PARAM, f"invalid contract_code: {code}")

    def future_contracts_by_exchange(self, tiger_id, biz, fault):
        exchange = (biz.get("exchange_code") or "").upper()
        if not exchange:
            raise p.field_empty("exchange_code")
        return [self._contract_json(f, *c) for f in PRODUCTS.values() if f.exchange == exchange
                for c in listed(f, self._today())]

    def future_current_contract(self, tiger_id, biz, fault):
        product = PRODUCTS.get((biz.get("type") or "").upper())
        if product is None:
            raise p.GatewayError(p.CODE_COMMON_PARAM, f"invalid type: {biz.get('type')}")
        return [self._contract_json(product, *listed(product, self._today())[0])]

    def _future_price(self, product: FutureProduct, last: dt.date, fund_price: Decimal, day: dt.date) -> Decimal:
        """The fund's price in index points plus a carry that shrinks to nothing at the last trading day."""
        days = max(0, (last - day).days)
        value = fund_price * product.scale * (1 + Decimal("0.00012") * days)
        return (value / product.min_tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * product.min_tick

    def future_quote(self, tiger_id, biz, fault):
        codes = biz.get("contract_codes") or []
        if not codes:
            raise p.field_empty("contract_codes")
        now = self._now()
        out = []
        for code in codes:
            product, last, _, _ = self._find(code)
            q = self.ex.quote(product.tracks, now)
            day = q.session_day
            price = lambda v: self._future_price(product, last, v, day)  # noqa: E731
            rng = random.Random(_seed_int(self.ex.prices.seed, "fut", code, day))
            latest = price(q.regular_latest)
            out.append({"contractCode": code.upper(), "latestPrice": latest, "latestSize": rng.randint(1, 20),
                        "latestTime": int(now.timestamp() * 1000), "bidPrice": latest - product.min_tick,
                        "bidSize": rng.randint(1, 60), "askPrice": latest + product.min_tick,
                        "askSize": rng.randint(1, 60), "openInterest": rng.randint(50_000, 2_000_000),
                        "openInterestChange": rng.randint(-5000, 5000), "volume": q.volume // 50,
                        "open": price(q.open), "high": price(q.high), "low": price(q.low),
                        "settlement": price(q.pre_close), "preSettlement": price(q.pre_close),
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
            product, last, _, _ = self._find(code)
            inst = get_instrument(product.tracks)
            bars = self._bars(inst, period, now, limit, None)
            cal = CALENDARS[inst.market]
            items = []
            today = cal.session_date(now)
            for bar in bars:
                day = _carry_day(dt.datetime.fromtimestamp(bar.time_ms / 1000, cal.tz).date(), period, today)
                price = lambda v: self._future_price(product, last, v, day)  # noqa: E731
                items.append({"time": bar.time_ms, "lastTime": bar.time_ms, "open": price(bar.open),
                              "high": price(bar.high), "low": price(bar.low), "close": price(bar.close),
                              "settlement": price(bar.close), "volume": bar.volume // 50,
                              "openInterest": random.Random(_seed_int(self.ex.prices.seed, "foi", code, day)).randint(
                                  50_000, 2_000_000)})
            out.append({"contractCode": code.upper(), "nextPageToken": None, "items": items})
        return out
