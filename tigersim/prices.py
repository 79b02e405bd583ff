"""Deterministic, seeded price model: quotes, bars, ticks and option prices that agree.

The model is a pure function of (seed, symbol, instant), so the same seed gives the same day on
every run and every machine, whatever order calls arrive in:

* each trading day has a daily log-return drawn from a hash of (seed, symbol, day), pulled back
  towards the instrument's base level so prices stay plausible over years;
* inside the day, prices follow a Brownian bridge over the day's active minutes (US pre-market
  to post-market, HK regular sessions) that ends exactly on the next day's level;
* quotes interpolate within the current minute, so a quote always lies inside the minute bar
  that contains it, and bars of every period are aggregates of the same minute path.
"""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
import hashlib
import math
import random
import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .futures import FutureContract, future_from_code, future_price
from .instruments import (OPTION_LISTINGS, Instrument, OptionContract, get_instrument, option_from_identifier,
                          option_multiplier, option_root, tick_size)
from .market_calendar import CALENDARS, MarketCalendar

UTC = dt.timezone.utc
EPOCH = dt.date(2020, 1, 2)
MEAN_REVERSION = Decimal("0.02")
QUOTE_BUCKET_SECONDS = 10  # displayed bid/ask sizes are refreshed this often
EXTENDED_VOL_FACTOR = 0.35
RISK_FREE = 0.04
HK_OPTION_MONTHS = 4
STRIKES_EACH_SIDE = 8


def _seed_int(*parts) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _seeded_gauss(*parts) -> float:
    """A standard normal draw fixed by ``parts``: Box-Muller over a hash, without building a seeded
    ``random.Random`` (whose Mersenne Twister set-up was most of a cold symbol's cost: years of days)."""
    digest = hashlib.blake2b("|".join(str(p) for p in parts).encode("utf-8"), digest_size=16).digest()
    u1 = (int.from_bytes(digest[:8], "big") + 1) / 18446744073709551617.0  # in (0, 1)
    u2 = int.from_bytes(digest[8:], "big") / 18446744073709551616.0
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def quantize(inst: Instrument, value: float) -> Decimal:
    raw = Decimal(repr(value))
    tick = tick_size(inst, raw)
    return (raw / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * tick


@dataclass
class DayPath:
    """One trading day's minute path; ``logp`` has one more point than there are minutes."""
    day: dt.date
    starts: list[float]       # minute start instants, epoch seconds
    logp: list[float]
    hi: list[float]
    lo: list[float]
    volume: list[int]
    regular: list[bool]       # whether each minute is in the regular session
    open_index: int           # first regular minute
    close_index: int          # point index of the regular close


@dataclass(frozen=True)
class Quote:
    symbol: str
    time: dt.datetime
    latest: Decimal          # last trade, extended hours included
    regular_latest: Decimal  # last regular-session trade, what Tiger shows as latestPrice
    bid: Decimal
    ask: Decimal
    bid_size: int
    ask_size: int
    open: Decimal
    high: Decimal
    low: Decimal
    pre_close: Decimal
    volume: int
    session_day: dt.date
    phase: str

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True)
class Bar:
    time_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int

    @property
    def amount(self) -> Decimal:
        return ((self.open + self.close + self.high + self.low) / 4 * self.volume).quantize(Decimal("0.01"))


class PriceModel:
    def __init__(self, seed: int = 42):
        self.seed = seed
        self._lock = threading.Lock()
        self._levels: dict[str, tuple[list[dt.date], list[Decimal], list[Decimal]]] = {}
        self._paths: dict[tuple[str, dt.date], DayPath] = {}
        # A finished day's bar never changes: weekly and monthly bars read months of them per request.
        self._day_bars: dict[tuple[str, dt.date], Bar | None] = {}

    # --- daily levels ---------------------------------------------------------------------

    def _daily_shock(self, inst: Instrument, day: dt.date) -> float:
        return _seeded_gauss(self.seed, inst.symbol, "day", day.isoformat()) * inst.daily_vol

    def _extend_levels(self, inst: Instrument, day: dt.date):
        cal = CALENDARS[inst.market]
        days, starts, deltas = self._levels.setdefault(inst.symbol, ([], [], []))
        base = Decimal(repr(math.log(float(inst.base_price))))
        cursor = days[-1] + dt.timedelta(days=1) if days else EPOCH
        level = starts[-1] + deltas[-1] if days else base
        while cursor <= day:
            if cal.is_trading_day(cursor):
                delta = Decimal(repr(self._daily_shock(inst, cursor))) - MEAN_REVERSION * (level - base)
                delta = Decimal(repr(round(float(delta), 12)))
                days.append(cursor)
                starts.append(level)
                deltas.append(delta)
                level = level + delta
            cursor += dt.timedelta(days=1)

    def _level(self, inst: Instrument, day: dt.date) -> tuple[float, float]:
        """(log level at the day's start, log return over the day) for a trading day."""
        with self._lock:
            if day < EPOCH:
                day = EPOCH
            self._extend_levels(inst, day)
            days, starts, deltas = self._levels[inst.symbol]
            i = bisect.bisect_right(days, day) - 1
            if i < 0:
                return float(starts[0]), 0.0
            if days[i] != day:
                return float(starts[i] + deltas[i]), 0.0
            return float(starts[i]), float(deltas[i])

    # --- intraday paths -------------------------------------------------------------------

    def day_path(self, inst: Instrument, day: dt.date) -> DayPath:
        key = (inst.symbol, day)
        with self._lock:
            path = self._paths.get(key)
        if path is not None:
            return path
        path = self._build_path(inst, day)
        with self._lock:
            if len(self._paths) > 20000:
                self._paths.clear()
            self._paths[key] = path
        return path

    def _build_path(self, inst: Instrument, day: dt.date) -> DayPath:
        import numpy as np  # here, not at import: run_mcp and the gateway start without it

        cal = CALENDARS[inst.market]
        start_level, delta = self._level(inst, day)
        regular_set = {m.timestamp() for m in cal.regular_minutes(day)}
        if cal.pre_open:
            first = cal.at(day, cal.active_start).timestamp()
            stop = cal.at(day, cal.active_end).timestamp()
            starts = [first + 60.0 * k for k in range(int((stop - first) // 60))]
        else:
            starts = sorted(regular_set)
        regular = np.array([s in regular_set for s in starts])
        n_regular = max(1, int(regular.sum()))
        sigma = inst.daily_vol / math.sqrt(n_regular)
        rng = np.random.default_rng(_seed_int(self.seed, inst.symbol, "path", day.isoformat()))
        weights = np.where(regular, 1.0, EXTENDED_VOL_FACTOR)
        walk = np.concatenate(([0.0], np.cumsum(rng.normal(0.0, sigma * weights))))
        # Brownian bridge: spread the gap to the target return over minutes in proportion to
        # their variance, so the path ends exactly on the next day's level.
        acc = np.cumsum(weights * weights)
        logp = np.concatenate(([start_level], start_level + walk[1:] + (delta - walk[-1]) * acc / acc[-1]))
        wiggle = sigma * weights * 0.4
        hi = np.maximum(logp[:-1], logp[1:]) + np.abs(rng.normal(0.0, wiggle))
        lo = np.minimum(logp[:-1], logp[1:]) - np.abs(rng.normal(0.0, wiggle))
        per_minute = inst.avg_daily_volume / n_regular
        frac = (np.cumsum(regular) - 0.5) / n_regular
        shape = 1.0 + 2.0 * (2 * frac - 1) ** 2  # busier at the open and the close
        vol = np.where(regular, per_minute * shape * 0.6 * np.exp(rng.normal(0.0, 0.4, len(starts))),
                       per_minute * 0.03 * np.exp(rng.normal(0.0, 0.6, len(starts))))
        lot = inst.lot_size
        volume = np.maximum(lot, (vol // lot).astype(np.int64) * lot)
        regular_list = regular.tolist()
        open_index = regular_list.index(True)
        close_index = len(regular_list) - regular_list[::-1].index(True)
        return DayPath(day, starts, logp.tolist(), hi.tolist(), lo.tolist(), volume.tolist(), regular_list,
                       open_index, close_index)

    # --- prices at instants ---------------------------------------------------------------

    @staticmethod
    def _point_at(path: DayPath, ts: float) -> float:
        """Log price at epoch second ``ts``; flat outside the active minutes and over lunch."""
        if ts <= path.starts[0]:
            return path.logp[0]
        i = bisect.bisect_right(path.starts, ts) - 1
        frac = (ts - path.starts[i]) / 60.0
        if frac >= 1.0:
            return path.logp[i + 1]
        return path.logp[i] + (path.logp[i + 1] - path.logp[i]) * frac

    def _close_log(self, inst: Instrument, day: dt.date) -> float:
        path = self.day_path(inst, day)
        return path.logp[path.close_index]

    def close_price(self, inst: Instrument, day: dt.date) -> Decimal:
        return quantize(inst, math.exp(self._close_log(inst, day)))

    def price_at(self, symbol: str, instant: dt.datetime) -> Decimal:
        inst = _require(symbol)
        cal = CALENDARS[inst.market]
        day = cal.session_date(instant)
        return quantize(inst, math.exp(self._point_at(self.day_path(inst, day), instant.timestamp())))

    def quote(self, symbol: str, instant: dt.datetime) -> Quote:
        option = None if get_instrument(symbol) else option_from_identifier(symbol)
        if option is not None:
            return self.option_book(option, instant)
        future = None if get_instrument(symbol) else future_from_code(symbol)
        if future is not None:
            return self.future_book(future, instant)
        inst = _require(symbol)
        cal: MarketCalendar = CALENDARS[inst.market]
        day = cal.session_date(instant)
        path = self.day_path(inst, day)
        ts = instant.timestamp()
        prev_day = cal.previous_trading_day(day)
        pre_close = self.close_price(inst, prev_day)
        latest = quantize(inst, math.exp(self._point_at(path, ts)))
        open_ts = path.starts[path.open_index]
        close_ts = path.starts[path.close_index - 1] + 60
        if ts < open_ts:
            regular_latest = pre_close
            o = h = l = pre_close
            volume = 0
        else:
            regular_latest = quantize(inst, math.exp(self._point_at(path, min(ts, close_ts))))
            o = quantize(inst, math.exp(path.logp[path.open_index]))
            h, l, volume = o, o, 0
            for i in range(path.open_index, path.close_index):
                if not path.regular[i]:
                    continue
                if path.starts[i] + 60 <= ts:
                    h = max(h, quantize(inst, math.exp(path.hi[i])))
                    l = min(l, quantize(inst, math.exp(path.lo[i])))
                    volume += path.volume[i]
                elif path.starts[i] <= ts:
                    frac = (ts - path.starts[i]) / 60.0
                    volume += int(path.volume[i] * frac)
            h, l = max(h, regular_latest), min(l, regular_latest)
        phase = cal.phase(instant)
        bucket = int(ts // QUOTE_BUCKET_SECONDS)
        rng = random.Random(_seed_int(self.seed, inst.symbol, "book", bucket))
        tick = tick_size(inst, latest)
        wide = 1 if phase == "TRADING" else 3
        below, above = rng.randint(0, 1) * wide, rng.randint(0, 1) * wide
        if below + above == 0:
            above = wide
        bid, ask = latest - tick * below, latest + tick * above
        if inst.market == "US":
            bid_size, ask_size = 100 * rng.randint(1, 9), 100 * rng.randint(1, 9)
        else:
            bid_size, ask_size = inst.lot_size * rng.randint(1, 20), inst.lot_size * rng.randint(1, 20)
        return Quote(inst.symbol, instant, latest, regular_latest, bid, ask, bid_size, ask_size, o, h, l,
                     pre_close, volume, day, phase)

    # --- bars -----------------------------------------------------------------------------

    def minute_bars(self, inst: Instrument, day: dt.date, until: dt.datetime | None = None) -> list[Bar]:
        """Regular-session 1-minute bars of ``day``, the last one partial when ``until`` cuts it."""
        path = self.day_path(inst, day)
        limit_ts = until.timestamp() if until else None
        bars = []
        for i, start in enumerate(path.starts):
            if not path.regular[i]:
                continue
            if limit_ts is not None and start > limit_ts:
                break
            o = quantize(inst, math.exp(path.logp[i]))
            if limit_ts is not None and start + 60 > limit_ts:
                c = quantize(inst, math.exp(self._point_at(path, limit_ts)))
                frac = (limit_ts - start) / 60.0
                bars.append(Bar(int(start * 1000), o, max(o, c), min(o, c), c, int(path.volume[i] * frac)))
                break
            c = quantize(inst, math.exp(path.logp[i + 1]))
            h = max(o, c, quantize(inst, math.exp(path.hi[i])))
            lo = min(o, c, quantize(inst, math.exp(path.lo[i])))
            bars.append(Bar(int(start * 1000), o, h, lo, c, path.volume[i]))
        return bars

    def day_bar(self, inst: Instrument, day: dt.date, until: dt.datetime | None = None) -> Bar | None:
        cal = CALENDARS[inst.market]
        finished = until is None or cal.local(until).date() > day
        if finished and (inst.symbol, day) in self._day_bars:
            return self._day_bars[(inst.symbol, day)]
        midnight = int(dt.datetime.combine(day, dt.time(0), tzinfo=cal.tz).timestamp() * 1000)
        if finished:
            bar = self._finished_day_bar(inst, day, midnight)
        else:
            minutes = self.minute_bars(inst, day, until)
            if not minutes:
                return None
            bar = aggregate(minutes, midnight)
        if finished:
            with self._lock:
                if len(self._day_bars) > 100_000:
                    self._day_bars.clear()
                self._day_bars[(inst.symbol, day)] = bar
        return bar

    def _finished_day_bar(self, inst: Instrument, day: dt.date, time_ms: int) -> Bar:
        """The aggregate of ``minute_bars(inst, day)``, read off the path without building each minute's
        bar: rounding to the tick never reverses an order, so the highest minute high is the rounded
        highest ``hi``, and likewise for the low (a month's bars read about a hundred days of them)."""
        path = self.day_path(inst, day)
        regular = [i for i in range(len(path.starts)) if path.regular[i]]
        o = quantize(inst, math.exp(path.logp[regular[0]]))
        c = quantize(inst, math.exp(path.logp[regular[-1] + 1]))
        h = max(o, c, quantize(inst, math.exp(max(path.hi[i] for i in regular))))
        lo = min(o, c, quantize(inst, math.exp(min(path.lo[i] for i in regular))))
        return Bar(time_ms, o, h, lo, c, sum(path.volume[i] for i in regular))

    # --- options --------------------------------------------------------------------------

    def option_expiries(self, symbol: str, instant: dt.datetime) -> list[tuple[dt.date, str]]:
        """US: eight weeklies and four monthlies (third Friday). Hong Kong: the next four monthlies,
        each expiring on the business day before the month's last business day (HKEX's rule)."""
        cal = CALENDARS[_require(symbol).market]
        today = cal.local(instant).date()
        out: dict[dt.date, str] = {}
        if cal is CALENDARS["HK"]:
            month = dt.date(today.year, today.month, 1)
            while len(out) < HK_OPTION_MONTHS:
                last = cal.trading_day_on_or_before(dt.date(month.year, month.month,
                                                            calendar.monthrange(month.year, month.month)[1]))
                day = cal.previous_trading_day(last)
                if day >= today:
                    out[day] = "m"
                month = (month + dt.timedelta(days=32)).replace(day=1)
            return sorted(out.items())
        friday = today + dt.timedelta(days=(4 - today.weekday()) % 7)
        for k in range(8):
            out[_expiry_day(cal, friday + dt.timedelta(weeks=k))] = "w"
        month = dt.date(today.year, today.month, 1)
        for _ in range(4):
            third = _third_friday(month)
            out[_expiry_day(cal, third)] = "m"
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return sorted((d, tag) for d, tag in out.items() if d >= today)

    def option_strikes(self, symbol: str, instant: dt.datetime) -> list[Decimal]:
        inst = _require(symbol)
        cal = CALENDARS[inst.market]
        anchor = self.close_price(inst, cal.previous_trading_day(cal.session_date(instant)))
        step = OPTION_LISTINGS[inst.symbol].strike_step
        center = (anchor / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
        return [center + step * k for k in range(-STRIKES_EACH_SIDE, STRIKES_EACH_SIDE + 1) if center + step * k > 0]

    def option_quote(self, symbol: str, expiry: dt.date, strike: Decimal, right: str, instant: dt.datetime) -> dict:
        inst = _require(symbol)
        cal = CALENDARS[inst.market]
        spot = float(self.quote(symbol, instant).latest)
        expiry_at = cal.at(expiry, dt.time(16, 0))
        years = max((expiry_at - instant).total_seconds(), 60.0) / (365.0 * 86400)
        k = float(strike)
        iv = OPTION_LISTINGS[inst.symbol].iv * (1 + 0.8 * math.log(k / spot) ** 2)
        g = black_scholes(spot, k, years, RISK_FREE, iv, right)
        price = max(g["price"], 0.01)
        tick = 0.01 if price < 3 else 0.05
        half = max(tick, round(price * 0.02 / tick) * tick)
        mid = round(price / tick) * tick
        bid, ask = max(0.0, mid - half), mid + half
        prev = cal.previous_trading_day(cal.session_date(instant))
        prev_spot = float(self.close_price(inst, prev))
        prev_years = years + max(1.0, (instant.date() - prev).days) / 365.0
        pre_close = max(0.01, black_scholes(prev_spot, k, prev_years, RISK_FREE, iv, right)["price"])
        rng = random.Random(_seed_int(self.seed, "opt", symbol, expiry.isoformat(), str(strike), right,
                                      int(instant.timestamp() // QUOTE_BUCKET_SECONDS)))
        moneyness = abs(math.log(k / spot))
        liquidity = max(0.05, 1.0 - 4 * moneyness)
        return {
            "identifier": occ_identifier(option_root(inst.symbol), expiry, strike, right),
            "strike": str(float(strike)), "right": right.lower(),
            "bidPrice": round(bid, 2), "bidSize": rng.randint(1, 200), "askPrice": round(ask, 2),
            "askSize": rng.randint(1, 200), "latestPrice": round(mid, 2), "preClose": round(pre_close, 2),
            "volume": int(5000 * liquidity * rng.random()), "openInterest": int(20000 * liquidity * rng.random()),
            "multiplier": option_multiplier(inst.symbol), "lastTimestamp": int(instant.timestamp() * 1000),
            "impliedVol": round(iv, 6), "delta": round(g["delta"], 6), "gamma": round(g["gamma"], 6),
            "theta": round(g["theta"], 6), "vega": round(g["vega"], 6), "rho": round(g["rho"], 6),
        }


    def option_book(self, option: OptionContract, instant: dt.datetime) -> Quote:
        """An option's quote in the stock quote's shape (what the exchange matches against): the
        chain's own bid, ask, sizes and latest price, so fills happen at prices the chain shows."""
        cal = CALENDARS[option.market]
        row = self.option_quote(option.underlying, option.expiry, option.strike, option.right, instant)
        latest = Decimal(str(row["latestPrice"]))
        bid, ask = Decimal(str(row["bidPrice"])), Decimal(str(row["askPrice"]))
        return Quote(option.symbol, instant, latest, latest, bid, ask, int(row["bidSize"]), int(row["askSize"]),
                     latest, latest, latest, Decimal(str(row["preClose"])), int(row["volume"]),
                     cal.session_date(instant), cal.phase(instant))


    def future_book(self, contract: FutureContract, instant: dt.datetime) -> Quote:
        """A future's quote in the stock quote's shape: its tracked fund's prices in index points
        (plus the carry), one tick either side, sizes drawn per contract, day and quote bucket."""
        q = self.quote(contract.product.tracks, instant)
        day = q.session_day
        price = lambda v: future_price(contract, v, day)  # noqa: E731
        latest, tick = price(q.latest), contract.min_tick
        rng = random.Random(_seed_int(self.seed, contract.symbol, "book", int(instant.timestamp() // QUOTE_BUCKET_SECONDS)))
        return Quote(contract.symbol, instant, latest, price(q.regular_latest), latest - tick, latest + tick,
                     rng.randint(5, 60), rng.randint(5, 60), price(q.open), price(q.high), price(q.low),
                     price(q.pre_close), q.volume // 50, day, q.phase)


def aggregate(bars: list[Bar], time_ms: int | None = None) -> Bar:
    return Bar(bars[0].time_ms if time_ms is None else time_ms, bars[0].open, max(b.high for b in bars),
               min(b.low for b in bars), bars[-1].close, sum(b.volume for b in bars))


def occ_identifier(symbol: str, expiry: dt.date, strike: Decimal, right: str) -> str:
    return f"{symbol:<6}{expiry:%y%m%d}{right[0].upper()}{int(strike * 1000):08d}"


def _third_friday(month: dt.date) -> dt.date:
    first_friday = month + dt.timedelta(days=(4 - month.weekday()) % 7)
    return first_friday + dt.timedelta(weeks=2)


def _expiry_day(cal: MarketCalendar, day: dt.date) -> dt.date:
    return day if cal.is_trading_day(day) else cal.previous_trading_day(day)


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def black_scholes(spot: float, strike: float, years: float, rate: float, vol: float, right: str) -> dict:
    sqrt_t = math.sqrt(years)
    d1 = (math.log(spot / strike) + (rate + 0.5 * vol * vol) * years) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    disc = math.exp(-rate * years)
    if right.upper().startswith("C"):
        price = spot * _norm_cdf(d1) - strike * disc * _norm_cdf(d2)
        delta = _norm_cdf(d1)
        theta = (-spot * _norm_pdf(d1) * vol / (2 * sqrt_t) - rate * strike * disc * _norm_cdf(d2)) / 365
        rho = strike * years * disc * _norm_cdf(d2) / 100
    else:
        price = strike * disc * _norm_cdf(-d2) - spot * _norm_cdf(-d1)
        delta = _norm_cdf(d1) - 1
        theta = (-spot * _norm_pdf(d1) * vol / (2 * sqrt_t) + rate * strike * disc * _norm_cdf(-d2)) / 365
        rho = -strike * years * disc * _norm_cdf(-d2) / 100
    gamma = _norm_pdf(d1) / (spot * vol * sqrt_t)
    vega = spot * _norm_pdf(d1) * sqrt_t / 100
    return {"price": price, "delta": delta, "gamma": gamma, "theta": theta, "vega": vega, "rho": rho}


def _require(symbol: str) -> Instrument:
    inst = get_instrument(symbol)
    if inst is None:
        raise KeyError(symbol)
    return inst
