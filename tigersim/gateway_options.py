"""Option methods beyond expirations and chains: bars, trade ticks and IV/HV analysis. Prices come
from the same Black-Scholes model as the chain (prices.option_quote), so the last bar's close is the
chain's latest price, and the historical volatility is that of the underlying's own daily returns."""
from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from . import protocol as p
from .instruments import (HK_OPTIONS, LISTED_OPTION_UNDERLYINGS, OPTION_LISTINGS, get_instrument, option_root,
                          option_underlying)
from .market_calendar import CALENDARS
from .prices import QUOTE_BUCKET_SECONDS, _seed_int

UTC = dt.timezone.utc
OPTION_PERIODS = {"day": None, "1min": 1, "5min": 5, "30min": 30, "60min": 60}
OPTION_TICK_SECONDS = 30
DEPTH_LEVELS = 5
# Venues quoting at each price level, as Tiger's option depth names them (OPRA participants; HKEX alone).
US_OPTION_VENUES = ("CBOE", "AMEX", "BOX", "PHLX", "ISE", "MIAX", "ARCA", "NSDQ", "BZX", "EMLD")
ANALYSIS_PERIODS = {"3year": 756, "52week": 252, "26week": 126, "13week": 63}
HV_DAYS = 30


class OptionMethods:
    """Mixed into Gateway (``self.ex`` is the exchange)."""

    def option_handlers(self) -> dict:
        return {"option_kline": self.option_kline, "option_trade_tick": self.option_trade_tick,
                "option_analysis": self.option_analysis, "option_depth": self.option_depth,
                "all_hk_option_symbols": self.hk_option_symbols}

    @staticmethod
    def _calendar(underlying: str):
        return CALENDARS[get_instrument(underlying).market]

    def _contract(self, item: dict) -> tuple[str, dt.date, Decimal, str]:
        """(underlying, expiry, strike, right) of a listed option; the symbol may be a US ticker, an HK
        stock code or HKEX's option symbol (TCH.HK), the expiry a midnight in any of the SDK's zones."""
        raw = str(item.get("symbol") or "").strip().upper()
        symbol = option_underlying(raw)
        if symbol is None:
            raise p.biz_error(f"no options on {raw or '(empty symbol)'}")
        right = str(item.get("right") or "").upper()
        if right not in ("CALL", "PUT"):
            raise p.biz_error(f"right {right!r} must be CALL or PUT")
        try:
            expiry = dt.datetime.fromtimestamp(int(item.get("expiry")) / 1000, self._calendar(symbol).tz).date()
            strike = Decimal(str(item.get("strike")))
        except (TypeError, ValueError, ArithmeticError, OverflowError, OSError):
            raise p.biz_error("expiry (ms) and strike are required")
        valid = {d for d, _ in self.ex.prices.option_expiries(symbol, self._now())}
        # The listed strike itself (150, not the SDK's 150.0): the chain's sizes are seeded with it.
        listed = next((s for s in self.ex.prices.option_strikes(symbol, self._now()) if s == strike), None)
        if expiry not in valid or listed is None:
            raise p.biz_error(f"no such option: {symbol} {expiry} {right} {strike}")
        return symbol, expiry, listed, right

    def _option_price(self, symbol, expiry, strike, right, instant) -> Decimal:
        return Decimal(str(self.ex.prices.option_quote(symbol, expiry, strike, right, instant)["latestPrice"]))

    def _head(self, symbol, expiry, strike, right) -> dict:
        cal = self._calendar(symbol)
        return {"symbol": option_root(symbol),
                "expiry": int(dt.datetime.combine(expiry, dt.time(0), tzinfo=cal.tz).timestamp() * 1000),
                "right": right, "strike": str(strike),
                "identifier": self.ex.prices.option_quote(symbol, expiry, strike, right, self._now())["identifier"]}

    def option_kline(self, tiger_id, biz, fault):
        now = self._now()
        out = []
        for query in biz.get("option_query") or []:
            symbol, expiry, strike, right = self._contract(query)
            cal = self._calendar(symbol)
            period = (query.get("period") or "day").lower()
            if period not in OPTION_PERIODS:
                raise p.biz_error(f"period {period} is not supported")
            limit = max(1, min(int(query.get("limit") or 200), 1000))
            day = cal.session_date(now)
            items = []
            if OPTION_PERIODS[period] is None:
                days = []
                while len(days) < limit:
                    days.append(day)
                    day = cal.previous_trading_day(day)
                for d in reversed(days):
                    minutes = cal.regular_minutes(d)
                    start, close = minutes[0], min(now, minutes[-1] + dt.timedelta(minutes=1))
                    if start > now:
                        continue
                    items.append(self._bar(symbol, expiry, strike, right, start, close, d, 6,
                                           int(dt.datetime.combine(d, dt.time(0), tzinfo=cal.tz).timestamp() * 1000)))
            else:
                size = dt.timedelta(minutes=OPTION_PERIODS[period])
                minutes = [m for m in cal.regular_minutes(day) if m <= now][::OPTION_PERIODS[period]]
                for start in minutes[-limit:]:
                    items.append(self._bar(symbol, expiry, strike, right, start, min(now, start + size), day, 2,
                                           int(start.timestamp() * 1000)))
            begin, end = query.get("begin_time"), query.get("end_time")
            if begin not in (None, -1, "-1", ""):
                items = [i for i in items if i["time"] >= int(begin)]
            if end not in (None, -1, "-1", ""):
                items = [i for i in items if i["time"] <= int(end)]
            out.append({**self._head(symbol, expiry, strike, right), "period": period, "items": items})
        return out

    def _bar(self, symbol, expiry, strike, right, start, end, day, samples, time_ms) -> dict:
        prices = [self._option_price(symbol, expiry, strike, right, start + (end - start) * k / samples)
                  for k in range(samples + 1)]
        rng = random.Random(_seed_int(self.ex.prices.seed, "optbar", symbol, expiry, str(strike), right, time_ms))
        return {"time": time_ms, "open": prices[0], "high": max(prices), "low": min(prices), "close": prices[-1],
                "volume": rng.randint(0, 2000), "openInterest": rng.randint(100, 20000)}

    def option_trade_tick(self, tiger_id, biz, fault):
        now = self._now()
        out = []
        for contract in biz.get("items") or []:
            symbol, expiry, strike, right = self._contract(contract)
            cal = self._calendar(symbol)
            minutes = cal.regular_minutes(cal.session_date(now))
            first, last = minutes[0], min(now, minutes[-1] + dt.timedelta(minutes=1))
            count = max(0, int((last - first).total_seconds() // OPTION_TICK_SECONDS))
            items = []
            for i in range(max(0, count - 100), count + 1):
                at = first + dt.timedelta(seconds=i * OPTION_TICK_SECONDS)
                rng = random.Random(_seed_int(self.ex.prices.seed, "optick", symbol, expiry, str(strike), right, i))
                items.append({"time": int(at.timestamp() * 1000), "price": self._option_price(symbol, expiry, strike,
                                                                                            right, at),
                              "volume": rng.randint(1, 20)})
            out.append({**self._head(symbol, expiry, strike, right), "items": items})
        return out

    def _closes(self, symbol: str, now: dt.datetime, count: int) -> list[float]:
        """The model's last ``count`` daily levels before today's session, newest first: each day's
        level is where its price path ends (its close, plus the after-hours drift in the US). Cheap:
        no minute path is built."""
        inst = get_instrument(symbol)
        cal = CALENDARS[inst.market]
        day = cal.previous_trading_day(cal.session_date(now))
        closes = []
        for _ in range(count):
            start, delta = self.ex.prices._level(inst, day)
            closes.append(math.exp(start + delta))
            day = cal.previous_trading_day(day)
        return closes

    @staticmethod
    def historical_volatility(closes: list[float]) -> float:
        """Annualised standard deviation of the daily log returns of ``closes`` (newest first)."""
        returns = [math.log(a / b) for a, b in zip(closes, closes[1:])]
        mean = sum(returns) / len(returns)
        return math.sqrt(sum((r - mean) ** 2 for r in returns) / (len(returns) - 1) * 252)

    def option_analysis(self, tiger_id, biz, fault):
        now = self._now()
        out = []
        for item in biz.get("symbols") or []:
            symbol = str(item.get("symbol") or "").strip().upper()
            period = item.get("period") or "52week"
            if period not in ANALYSIS_PERIODS:
                raise p.biz_error(f"period {period} is not supported")
            if symbol not in LISTED_OPTION_UNDERLYINGS:
                continue  # Tiger leaves out symbols without listed options
            iv = OPTION_LISTINGS[symbol].iv
            closes = self._closes(symbol, now, HV_DAYS + 11)
            hv = self.historical_volatility(closes[:HV_DAYS + 1])
            rng = random.Random(_seed_int(self.ex.prices.seed, "ivrank", symbol, period, now.date()))
            row = {"symbol": symbol, "impliedVol30Days": round(iv, 6), "hisVolatility": round(hv, 6),
                   "ivHisVRatio": round(iv / hv, 4), "callPutRatio": round(rng.uniform(0.5, 2.0), 4),
                   "impliedVolMetric": {"period": period, "percentile": round(rng.random(), 4),
                                        "rank": round(rng.random(), 4)}}
            if item.get("require_volatility_list"):
                cal = self._calendar(symbol)
                day, points = cal.previous_trading_day(cal.session_date(now)), []
                for back in range(10):  # the HV as it stood after each of the last ten closes
                    at = cal.at(day, dt.time(16, 0)).astimezone(UTC)
                    points.append({"timestamp": int(at.timestamp() * 1000), "impliedVol": round(iv, 6),
                                   "hisVolatility": round(self.historical_volatility(closes[back:back + HV_DAYS + 1]), 6)})
                    day = cal.previous_trading_day(day)
                row["volatilityList"] = points[::-1]
            out.append(row)
        return out

    def option_depth(self, tiger_id, biz, fault):
        """Each option's book: the chain's bid and ask are the best level (their sizes the venues'
        total there), then DEPTH_LEVELS - 1 levels a tick apart on each side."""
        now = self._now()
        out = []
        for basic in biz.get("option_basic") or []:
            symbol, expiry, strike, right = self._contract(basic)
            row = self.ex.prices.option_quote(symbol, expiry, strike, right, now)
            rng = random.Random(_seed_int(self.ex.prices.seed, "optdepth", row["identifier"],
                                          int(now.timestamp() // QUOTE_BUCKET_SECONDS)))
            venues = US_OPTION_VENUES if symbol not in HK_OPTIONS else ("SEHK",)
            now_ms = int(now.timestamp() * 1000)
            sides = {}
            for side, best, size, sign in (("ask", row["askPrice"], row["askSize"], 1),
                                           ("bid", row["bidPrice"], row["bidSize"], -1)):
                best = Decimal(str(best)).quantize(Decimal("0.01"))
                tick = Decimal("0.01") if best < 3 else Decimal("0.05")
                levels = []
                for k in range(DEPTH_LEVELS):
                    price = best + sign * tick * k
                    if price <= 0:
                        break
                    total = int(size) if k == 0 else rng.randint(5, 400)
                    count = min(len(venues), max(1, total), rng.randint(1, 3))
                    shares = _split(total, count, rng)
                    for venue, volume in zip(rng.sample(venues, count), shares):
                        levels.append({"price": price, "volume": volume,
                                       "timestamp": now_ms - rng.randint(0, 5000), "code": venue})
                sides[side] = levels
            # The expiry goes back as the request sent it: the SDK rebuilds the identifier from it.
            out.append({"symbol": str(basic.get("symbol") or "").strip().upper(), "expiry": int(basic.get("expiry")),
                        "strike": str(strike), "right": right, **sides})
        return out

    def hk_option_symbols(self, tiger_id, biz, fault):
        """HKEX's option symbols of the Hong Kong stocks the simulator lists options on."""
        market = str(biz.get("market") or "HK").upper()
        if market != "HK":
            raise p.biz_error(f"market {market} is not supported; option symbols are listed for HK")
        return [{"symbol": root, "name": root.split(".")[0], "underlyingSymbol": code}
                for code, (root, _) in HK_OPTIONS.items()]


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` in ``parts`` positive whole shares (total >= parts)."""
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    return [b - a for a, b in zip([0, *cuts], [*cuts, total])]
