"""Trading calendars for the simulated markets, in each exchange's own time zone."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc

# A small, explicit holiday list: enough for tests to find closed weekdays; not authoritative.
US_HOLIDAYS = {
    "2025-01-01", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19", "2025-07-04",
    "2025-09-01", "2025-11-27", "2025-12-25",
    "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19", "2026-07-03",
    "2026-09-07", "2026-11-26", "2026-12-25",
    "2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05",
    "2027-09-06", "2027-11-25", "2027-12-24",
}
HK_HOLIDAYS = {
    "2025-01-01", "2025-01-29", "2025-01-30", "2025-01-31", "2025-04-04", "2025-04-18", "2025-04-21",
    "2025-05-01", "2025-05-05", "2025-05-31", "2025-07-01", "2025-10-01", "2025-10-07", "2025-10-29",
    "2025-12-25", "2025-12-26",
    "2026-01-01", "2026-02-17", "2026-02-18", "2026-02-19", "2026-04-03", "2026-04-06", "2026-04-07",
    "2026-05-01", "2026-05-25", "2026-06-19", "2026-07-01", "2026-10-01", "2026-10-19", "2026-12-25",
    "2026-12-26",
    "2027-01-01", "2027-02-08", "2027-02-09", "2027-02-10", "2027-03-26", "2027-03-29", "2027-05-13",
    "2027-06-09", "2027-07-01", "2027-10-01", "2027-10-08", "2027-12-25", "2027-12-27",
}
CN_HOLIDAYS = {
    "2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04",
    "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08",
    "2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
    "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
}

# Session phases, named as Tiger's market_state reports them.
NOT_YET_OPEN = "NOT_YET_OPEN"
PRE_HOUR_TRADING = "PRE_HOUR_TRADING"
TRADING = "TRADING"
MIDDLE_CLOSE = "MIDDLE_CLOSE"
POST_HOUR_TRADING = "POST_HOUR_TRADING"
CLOSING = "CLOSING"
MARKET_CLOSED = "MARKET_CLOSED"

STATUS_TEXT = {
    NOT_YET_OPEN: "Not Yet Opened",
    PRE_HOUR_TRADING: "Pre-Market Trading",
    TRADING: "Trading",
    MIDDLE_CLOSE: "Lunch Break",
    POST_HOUR_TRADING: "Post-Market Trading",
    CLOSING: "Closed",
    MARKET_CLOSED: "Market Closed",
}


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@dataclass(frozen=True)
class MarketCalendar:
    market: str
    tz: ZoneInfo
    # Regular sessions, as (start, end) local times; more than one means a lunch break.
    sessions: tuple[tuple[dt.time, dt.time], ...]
    pre_open: dt.time | None
    post_close: dt.time | None
    holidays: frozenset[str]

    @property
    def regular_open(self) -> dt.time:
        return self.sessions[0][0]

    @property
    def regular_close(self) -> dt.time:
        return self.sessions[-1][1]

    @property
    def active_start(self) -> dt.time:
        """Earliest time prices move (pre-market where there is one)."""
        return self.pre_open or self.regular_open

    @property
    def active_end(self) -> dt.time:
        return self.post_close or self.regular_close

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.tz)

    def is_trading_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day.isoformat() not in self.holidays

    def at(self, day: dt.date, time_: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time_, tzinfo=self.tz)

    def phase(self, instant: dt.datetime) -> str:
        local = self.local(instant)
        day, now = local.date(), local.time()
        if not self.is_trading_day(day):
            return MARKET_CLOSED
        for start, end in self.sessions:
            if start <= now < end:
                return TRADING
        if self.pre_open and self.pre_open <= now < self.regular_open:
            return PRE_HOUR_TRADING
        if self.post_close and self.regular_close <= now < self.post_close:
            return POST_HOUR_TRADING
        if now < self.regular_open:
            return NOT_YET_OPEN
        if self.regular_open <= now < self.regular_close:
            return MIDDLE_CLOSE
        return CLOSING

    def is_regular(self, instant: dt.datetime) -> bool:
        return self.phase(instant) == TRADING

    def is_extended(self, instant: dt.datetime) -> bool:
        return self.phase(instant) in (PRE_HOUR_TRADING, POST_HOUR_TRADING)

    def trading_day_on_or_before(self, day: dt.date) -> dt.date:
        while not self.is_trading_day(day):
            day -= dt.timedelta(days=1)
        return day

    def previous_trading_day(self, day: dt.date) -> dt.date:
        return self.trading_day_on_or_before(day - dt.timedelta(days=1))

    def next_trading_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not self.is_trading_day(day):
            day += dt.timedelta(days=1)
        return day

    def next_open(self, instant: dt.datetime) -> dt.datetime:
        """The next regular-session open strictly after ``instant`` (or today's, if still ahead)."""
        local = self.local(instant)
        day = local.date()
        if self.is_trading_day(day) and local.time() < self.regular_open:
            return self.at(day, self.regular_open)
        return self.at(self.next_trading_day(day), self.regular_open)

    def session_date(self, instant: dt.datetime) -> dt.date:
        """The trading day whose data a quote at ``instant`` shows (last one that has started)."""
        local = self.local(instant)
        day = local.date()
        if self.is_trading_day(day) and local.time() >= self.active_start:
            return day
        return self.previous_trading_day(day)

    def regular_minutes(self, day: dt.date) -> list[dt.datetime]:
        """Start instants (UTC) of every regular-session minute of ``day``."""
        out = []
        for start, end in self.sessions:
            cursor = self.at(day, start)
            stop = self.at(day, end)
            while cursor < stop:
                out.append(cursor.astimezone(UTC))
                cursor += dt.timedelta(minutes=1)
        return out


CALENDARS = {
    "US": MarketCalendar("US", ZoneInfo("America/New_York"), ((_t("09:30"), _t("16:00")),),
                         _t("04:00"), _t("20:00"), frozenset(US_HOLIDAYS)),
    "HK": MarketCalendar("HK", ZoneInfo("Asia/Hong_Kong"), ((_t("09:30"), _t("12:00")), (_t("13:00"), _t("16:00"))),
                         None, None, frozenset(HK_HOLIDAYS)),
    "CN": MarketCalendar("CN", ZoneInfo("Asia/Shanghai"), ((_t("09:30"), _t("11:30")), (_t("13:00"), _t("15:00"))),
                         None, None, frozenset(CN_HOLIDAYS)),
}


# The US overnight session (Tiger's trading_session_type OVERNIGHT): 20:00 to 04:00 New York time, on
# the nights before a US trading day (Sunday to Thursday nights, less the eves of holidays).
OVERNIGHT_START, OVERNIGHT_END = _t("20:00"), _t("04:00")


def overnight_day(instant: dt.datetime) -> dt.date | None:
    """The US trading day whose overnight session is on at ``instant``, or None outside one."""
    cal = CALENDARS["US"]
    local = cal.local(instant)
    day, now = local.date(), local.time()
    if now >= OVERNIGHT_START and cal.is_trading_day(day + dt.timedelta(days=1)):
        return day + dt.timedelta(days=1)
    if now < OVERNIGHT_END and cal.is_trading_day(day):
        return day
    return None


def overnight_order_day(instant: dt.datetime) -> dt.date:
    """The trading day whose overnight session an overnight order placed at ``instant`` works in: the
    one on now, else the next one."""
    on = overnight_day(instant)
    if on is not None:
        return on
    return CALENDARS["US"].next_trading_day(CALENDARS["US"].local(instant).date())


def calendar_for(market: str) -> MarketCalendar:
    return CALENDARS[market]


def open_time_text(cal: MarketCalendar, instant: dt.datetime) -> str:
    """Next open as Tiger prints it: ``MM-dd HH:mm:ss`` plus ``EDT``/``EST`` for the US."""
    nxt = cal.next_open(instant)
    text = nxt.strftime("%m-%d %H:%M:%S")
    if cal.market == "US":
        text += " " + nxt.tzname()
    return text
