"""The simulator's futures: quarterly index futures whose prices follow its own index-tracking funds
(E-mini S&P 500 on SPY, E-mini Nasdaq-100 on QQQ, Hang Seng on the Tracker Fund), with a small basis
that shrinks to nothing at the last trading day. A contract is named by its code (product and
yymm, "ES2612"), as Tiger's contract lists and futures orders name it."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .market_calendar import CALENDARS

MONTHS = {3: "Mar", 6: "Jun", 9: "Sep", 12: "Dec"}
LISTED_QUARTERS = 4
# Margin the futures segment holds per contract, as a share of its value (CME's E-mini initial
# margin is near 7% of the contract's value).
FUTURE_INITIAL_MARGIN = Decimal("0.08")
FUTURE_MAINTENANCE_MARGIN = Decimal("0.07")


@dataclass(frozen=True)
class FutureHours:
    """When a product trades: the windows of one trading day ``D`` in the exchange's local time, each
    (starts the evening before?, start, end). The evening before is the calendar day before on CME
    (Sunday 18:00 opens Monday's session) and the previous trading day on HKEX (the after-hours T+1
    session from Friday 17:15 counts towards Monday). Holidays are the market calendar's."""
    market: str
    windows: tuple[tuple[bool, dt.time, dt.time], ...]
    evening_is_calendar_day: bool

    def eve(self, day: dt.date) -> dt.date:
        return day - dt.timedelta(days=1) if self.evening_is_calendar_day else CALENDARS[self.market].previous_trading_day(day)

    def spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The windows of trading day ``day`` as aware instants, in order."""
        cal = CALENDARS[self.market]
        out = []
        for evening, start, end in self.windows:
            first = self.eve(day) if evening else day
            last = first + dt.timedelta(days=1) if end <= start else first  # past midnight
            out.append((cal.at(first, start), cal.at(last, end)))
        return out

    def trading_day(self, instant: dt.datetime) -> dt.date:
        """The trading day an instant trades in, or (between sessions) the next one to open."""
        cal = CALENDARS[self.market]
        day = cal.trading_day_on_or_before(cal.local(instant).date())
        while self.spans(day)[-1][1] <= instant:
            day = cal.next_trading_day(day)
        return day

    def is_open(self, instant: dt.datetime) -> bool:
        return any(start <= instant < end for start, end in self.spans(self.trading_day(instant)))

    def close(self, day: dt.date) -> dt.datetime:
        return self.spans(day)[-1][1]


# CME Globex equity index futures: 18:00 (New York) the evening before to 17:00, a daily hour's break.
# HKEX index futures: the after-hours (T+1) session 17:15 to 03:00, then 09:15-12:00 and 13:00-16:30.
CME_HOURS = FutureHours("US", ((True, dt.time(18, 0), dt.time(17, 0)),), evening_is_calendar_day=True)
HKFE_HOURS = FutureHours("HK", ((True, dt.time(17, 15), dt.time(3, 0)), (False, dt.time(9, 15), dt.time(12, 0)),
                                (False, dt.time(13, 0), dt.time(16, 30))), evening_is_calendar_day=False)


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
    market: str            # the market whose holidays and currency it keeps
    hours: FutureHours = CME_HOURS
    product_type: str = "Equity Index"


PRODUCTS = {f.type: f for f in (
    FutureProduct("ES", "E-mini S&P 500", "CME", "GLOBEX", "USD", 50, Decimal("0.25"), "SPY", Decimal("10.02"), "US"),
    FutureProduct("NQ", "E-mini Nasdaq-100", "CME", "GLOBEX", "USD", 20, Decimal("0.25"), "QQQ", Decimal("41.2"), "US"),
    FutureProduct("HSI", "Hang Seng Index", "HKEX", "HKFE", "HKD", 50, Decimal("1"), "02800", Decimal("1010"), "HK",
                  HKFE_HOURS),
)}


def _third_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)


def last_trading_day(product: FutureProduct, year: int, month: int) -> dt.date:
    if product.exchange == "HKEX":  # the business day before the month's last business day
        cal = CALENDARS["HK"]
        last = cal.trading_day_on_or_before(dt.date(year, month, calendar.monthrange(year, month)[1]))
        return cal.previous_trading_day(last)
    return CALENDARS["US"].trading_day_on_or_before(_third_friday(year, month))


@dataclass(frozen=True)
class FutureContract:
    """One quarterly contract of a product, keyed (as an order's or position's symbol) by its code."""
    product: FutureProduct
    year: int
    month: int
    lot_size: int = 1
    shortable: bool = True
    is_etf: bool = False

    @property
    def sec_type(self) -> str:
        return "FUT"

    @property
    def symbol(self) -> str:
        return f"{self.product.type}{self.year % 100:02d}{self.month:02d}"

    @property
    def market(self) -> str:
        return self.product.market

    @property
    def currency(self) -> str:
        return self.product.currency

    @property
    def exchange(self) -> str:
        return self.product.exchange

    @property
    def multiplier(self) -> int:
        return self.product.multiplier

    @property
    def min_tick(self) -> Decimal:
        return self.product.min_tick

    @property
    def hours(self) -> FutureHours:
        return self.product.hours

    @property
    def last_trading_day(self) -> dt.date:
        return last_trading_day(self.product, self.year, self.month)

    @property
    def name(self) -> str:
        return f"{self.product.name} - {MONTHS.get(self.month, self.month)} {self.year}"

    @property
    def contract_id(self) -> int:
        return 900_000 + (self.year % 100) * 100 + self.month

    def json(self) -> dict:
        """The contract fields Tiger's order, position and transaction items carry for a future."""
        return {"symbol": self.symbol, "secType": "FUT", "identifier": self.symbol, "localSymbol": self.symbol,
                "expiry": self.last_trading_day.strftime("%Y%m%d"), "contractMonth": f"{self.year}{self.month:02d}",
                "multiplier": float(self.multiplier), "exchange": self.exchange, "name": self.name}


_CODE = re.compile(r"^([A-Z]+)(\d{2})(\d{2})$")


def future_from_code(code: str) -> FutureContract | None:
    """The contract a code names ("ES2612"), or None when it names no product's month (whether it is
    listed today is the exchange's question)."""
    match = _CODE.match(str(code or "").strip().upper())
    if match is None or match.group(1) not in PRODUCTS:
        return None
    month = int(match.group(3))
    if not 1 <= month <= 12:
        return None
    return FutureContract(PRODUCTS[match.group(1)], 2000 + int(match.group(2)), month)


def listed(product: FutureProduct, today: dt.date) -> list[FutureContract]:
    """The next LISTED_QUARTERS quarterly contracts, front first."""
    out, year, month = [], today.year, ((today.month - 1) // 3 + 1) * 3
    while len(out) < LISTED_QUARTERS:
        contract = FutureContract(product, year, month)
        if contract.last_trading_day >= today:
            out.append(contract)
        month += 3
        if month > 12:
            year, month = year + 1, 3
    return out


def future_price(contract: FutureContract, fund_price: Decimal, day: dt.date) -> Decimal:
    """The fund's price in index points plus a carry that shrinks to nothing at the last trading day."""
    product = contract.product
    days = max(0, (contract.last_trading_day - day).days)
    value = fund_price * product.scale * (1 + Decimal("0.00012") * days)
    return (value / product.min_tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * product.min_tick
