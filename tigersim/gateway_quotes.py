"""Quote methods beyond the brief: depth, timelines, delayed briefs, capital flow and distribution,
HK broker seats. Each is derived from the price model, so it agrees with the quotes, bars and fills
the simulator serves (level 1 of the depth is the quote's bid/ask, a capital distribution sums to
the day's traded amount, the timeline's last point is the latest price)."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from . import protocol as p
from .instruments import get_instrument, tick_size
from .market_calendar import CALENDARS
from .prices import _seed_int

UTC = dt.timezone.utc
DEPTH_LEVELS = 10
DELAY_MINUTES = 15
BROKER_SEATS_LIMIT = 40
CAPITAL_PERIODS = ("intraday", "day", "week", "month", "year", "quarter", "6month")
# A few of the Hong Kong exchange participants' seat ids and names, as Tiger lists them.
HK_BROKERS = (("5999", "China Innovation"), ("4374", "Barclays Asia"), ("1438", "Susquehanna"),
              ("4821", "Huasheng"), ("9056", "UBS"), ("2027", "BEA"), ("6998", "China Investment"),
              ("8126", "HSBC Securities"), ("3440", "Goldman Sachs"), ("7388", "Futu Securities"),
              ("6387", "Morgan Stanley"), ("1799", "Tiger Brokers"))


def _d(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class QuoteMethods:
    """Mixed into Gateway (``self.ex`` is the exchange, ``self._symbols`` the symbol check)."""

    def quote_handlers(self) -> dict:
        return {"quote_depth": self.quote_depth, "timeline": self.timeline, "history_timeline": self.history_timeline,
                "quote_delay": self.quote_delay, "capital_flow": self.capital_flow,
                "capital_distribution": self.capital_distribution, "stock_broker": self.stock_broker}

    def _instrument(self, biz: dict):
        symbol = biz.get("symbol")
        if not symbol:
            raise p.field_empty("symbol")
        inst = get_instrument(symbol)
        if inst is None:
            raise p.GatewayError(p.CODE_COMMON_PARAM, f"invalid symbol: {symbol}")
        return inst

    # --- level 2 ----------------------------------------------------------------------------

    def _book(self, symbol: str, now: dt.datetime) -> tuple[list[dict], list[dict]]:
        """Ten price levels a side; level 1 is the quote's bid and ask with their sizes."""
        inst = get_instrument(symbol)
        q = self.ex.quote(symbol, now)
        rng = random.Random(_seed_int(self.ex.prices.seed, symbol, "depth", int(now.timestamp() // 10)))
        unit = 100 if inst.market == "US" else inst.lot_size
        asks, bids = [], []
        ask, bid = q.ask, q.bid
        for level in range(DEPTH_LEVELS):
            if level == 0:
                ask_volume, bid_volume = q.ask_size, q.bid_size
            else:
                ask = ask + tick_size(inst, ask)
                bid = bid - tick_size(inst, bid)
                ask_volume, bid_volume = unit * rng.randint(1, 30), unit * rng.randint(1, 30)
            asks.append({"price": ask, "volume": ask_volume, "count": rng.randint(1, 12)})
            if bid > 0:
                bids.append({"price": bid, "volume": bid_volume, "count": rng.randint(1, 12)})
        return asks, bids

    def quote_depth(self, tiger_id, biz, fault):
        if not biz.get("market"):
            raise p.field_empty("market")
        now = self._now()
        out = []
        for symbol in self._symbols(biz):
            if get_instrument(symbol).market != str(biz["market"]).upper():
                raise p.biz_error(f"symbol {symbol} is not in market {biz['market']}")
            asks, bids = self._book(symbol, now)
            out.append({"symbol": symbol, "asks": asks, "bids": bids})
        return out

    # --- timelines --------------------------------------------------------------------------

    @staticmethod
    def _timeline_items(minutes) -> list[dict]:
        items, value, volume = [], Decimal(0), 0
        for bar in minutes:
            volume += bar.volume
            value += bar.amount
            avg = (value / volume) if volume else bar.close
            items.append({"time": bar.time_ms, "volume": bar.volume, "price": bar.close,
                          "avgPrice": avg.quantize(Decimal("0.0001"))})
        return items

    def timeline(self, tiger_id, biz, fault):
        now = self._now()
        begin = biz.get("begin_time")
        out = []
        for symbol in self._symbols(biz):
            inst = get_instrument(symbol)
            cal = CALENDARS[inst.market]
            day = cal.session_date(now)
            items = self._timeline_items(self.ex.prices.minute_bars(inst, day, now))
            if begin not in (None, -1, "-1", ""):
                items = [i for i in items if i["time"] >= int(begin)]
            first = cal.regular_minutes(day)
            out.append({"symbol": symbol, "preClose": self.ex.quote(symbol, now).pre_close,
                        "intraday": {"items": items, "beginTime": int(first[0].timestamp() * 1000),
                                     "endTime": int(first[-1].timestamp() * 1000) + 60_000}})
        return out

    def history_timeline(self, tiger_id, biz, fault):
        text = biz.get("date")
        if not text:
            raise p.field_empty("date")
        try:
            day = dt.date.fromisoformat(str(text)[:10])
        except ValueError:
            raise p.biz_error(f"date {text!r} must be yyyy-MM-dd")
        now = self._now()
        out = []
        for symbol in self._symbols(biz):
            inst = get_instrument(symbol)
            cal = CALENDARS[inst.market]
            if not cal.is_trading_day(day) or day > cal.local(now).date():
                out.append({"symbol": symbol, "items": []})
                continue
            out.append({"symbol": symbol, "items": self._timeline_items(self.ex.prices.minute_bars(inst, day, now))})
        return out

    # --- delayed briefs ---------------------------------------------------------------------

    def quote_delay(self, tiger_id, biz, fault):
        then = self._now() - dt.timedelta(minutes=DELAY_MINUTES)
        out = []
        for symbol in self._symbols(biz):
            q = self.ex.quote(symbol, then)
            out.append({"symbol": symbol, "preClose": q.pre_close, "halted": 0.0,
                        "time": int(then.timestamp() * 1000), "open": q.open, "high": q.high, "low": q.low,
                        "close": q.regular_latest, "volume": q.volume})
        return out

    # --- capital ----------------------------------------------------------------------------

    def _inflow_share(self, symbol: str, key) -> Decimal:
        """The part of a period's traded amount that was net buying: between -12 % and +12 %."""
        rng = random.Random(_seed_int(self.ex.prices.seed, symbol, "flow", str(key)))
        return Decimal(rng.randint(-1200, 1200)) / Decimal(10000)

    def _day_amount(self, inst, day: dt.date, until: dt.datetime) -> tuple[Decimal, Decimal]:
        """(traded amount, net inflow) of one session, as far as ``until``."""
        minutes = self.ex.prices.minute_bars(inst, day, until)
        amount = sum((b.amount for b in minutes), Decimal(0))
        net = (amount * self._inflow_share(inst.symbol, day)).quantize(Decimal("0.01"))
        if (amount + net) * 100 % 2:  # whole cents on both sides: money in + out = amount, in - out = net
            net -= Decimal("0.01")
        return amount, net

    def capital_flow(self, tiger_id, biz, fault):
        inst = self._instrument(biz)
        period = (biz.get("period") or "").lower()
        if period not in CAPITAL_PERIODS:
            raise p.biz_error(f"period {period!r} is not supported")
        now = self._now()
        cal = CALENDARS[inst.market]
        limit = min(int(biz.get("limit") or 200), 1200)
        items = []
        if period == "intraday":
            day = cal.session_date(now)
            total, share = Decimal(0), self._inflow_share(inst.symbol, day)
            for bar in self.ex.prices.minute_bars(inst, day, now):
                # Cumulative net inflow through the session: the last point is the day's net inflow.
                total += bar.amount
                local = dt.datetime.fromtimestamp(bar.time_ms / 1000, cal.tz)
                items.append({"time": local.strftime("%Y-%m-%d %H:%M"), "timestamp": bar.time_ms,
                              "netInflow": (total * share).quantize(Decimal("0.01"))})
            if items:
                items[-1]["netInflow"] = self._day_amount(inst, day, now)[1]
        else:
            days, cursor = [], cal.session_date(now)
            span = {"day": 1, "week": 5, "month": 22, "quarter": 66, "6month": 130, "year": 252}[period]
            while len(days) < min(limit * span, 800):
                days.append(cursor)
                cursor = cal.previous_trading_day(cursor)
            days.reverse()
            groups: dict = {}
            for day in days:
                key = {"day": day, "week": day.isocalendar()[:2], "month": (day.year, day.month),
                       "quarter": (day.year, (day.month - 1) // 3), "6month": (day.year, (day.month - 1) // 6),
                       "year": day.year}[period]
                groups.setdefault(key, []).append(day)
            for group in groups.values():
                net = sum((self._day_amount(inst, d, now)[1] for d in group), Decimal(0))
                midnight = dt.datetime.combine(group[0], dt.time(0), tzinfo=cal.tz)
                items.append({"time": group[0].isoformat(), "timestamp": int(midnight.timestamp() * 1000),
                              "netInflow": net})
        begin, end = biz.get("begin_time"), biz.get("end_time")
        if begin not in (None, -1, "-1", ""):
            items = [i for i in items if i["timestamp"] >= int(begin)]
        if end not in (None, -1, "-1", ""):
            items = [i for i in items if i["timestamp"] <= int(end)]
        return {"symbol": inst.symbol, "period": period, "items": items[-limit:]}

    def capital_distribution(self, tiger_id, biz, fault):
        inst = self._instrument(biz)
        now = self._now()
        day = CALENDARS[inst.market].session_date(now)
        amount, net = self._day_amount(inst, day, now)
        # Buying and selling each make up half the amount, shifted by the net inflow; split by order size.
        in_all = (amount + net) / 2
        out_all = amount - in_all
        rng = random.Random(_seed_int(self.ex.prices.seed, inst.symbol, "dist", day))
        out = {"symbol": inst.symbol, "netInflow": net, "inAll": in_all, "outAll": out_all}
        for side, total in (("in", in_all), ("out", out_all)):
            big = (total * Decimal(rng.randint(15, 35)) / 100).quantize(Decimal("0.01"))
            mid = (total * Decimal(rng.randint(15, 30)) / 100).quantize(Decimal("0.01"))
            out[f"{side}Big"], out[f"{side}Mid"], out[f"{side}Small"] = big, mid, total - big - mid
        return out

    # --- HK broker queue --------------------------------------------------------------------

    def stock_broker(self, tiger_id, biz, fault):
        inst = self._instrument(biz)
        if inst.market != "HK":
            raise p.biz_error(f"stock_broker supports HK stocks only (got {inst.symbol})")
        limit = max(1, min(int(biz.get("limit") or BROKER_SEATS_LIMIT), BROKER_SEATS_LIMIT))
        now = self._now()
        asks, bids = self._book(inst.symbol, now)
        rng = random.Random(_seed_int(self.ex.prices.seed, inst.symbol, "seats", int(now.timestamp() // 10)))

        def side(levels):
            out = []
            for number, level in enumerate(levels[:5], start=1):
                seats = [{"id": b, "name": n} for b, n in
                         (rng.choice(HK_BROKERS) for _ in range(min(limit, 1 + level["count"] % 6)))]
                out.append({"level": number, "price": level["price"], "brokerCount": len(seats), "broker": seats})
            return out

        return {"symbol": inst.symbol, "bidBroker": side(bids), "askBroker": side(asks)}
