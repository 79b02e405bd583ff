"""Fundamentals: daily valuation figures, financial report figures, corporate actions (splits,
dividends, earnings calendar) and industry lists. Routed and cached as every market-data read."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from accounts.actors import Actor
from accounts.selectors import account_route
from broker.cache import cache_key, cached_fetch, ttl_for
from broker.client import broker_for
from broker.quotes import clean_symbols, gateway_tag
from broker.types import market_for
from core.errors import InvalidInput

DAILY_FIELDS = ("shares_outstanding", "market_capitalization", "p_to_ltm_diluted_eps_before_extra")
REPORT_FIELDS = ("total_revenue", "gross_profit", "operating_income", "net_income", "diluted_eps_excl_extra_items",
                 "basic_eps")
REPORT_PERIODS = {"annual": "Annual", "quarterly": "Quarterly", "ltm": "LTM"}
ACTION_KINDS = ("split", "dividend", "earnings")
INDUSTRY_LEVELS = ("GSECTOR", "GGROUP", "GIND", "GSUBIND")
MAX_DAILY_DAYS = 366
MAX_SYMBOLS = 10
BAD_CHOICE = "Unknown {what} '{value}'. Use one of: {choices}."
BAD_RANGE = "start {start} is after end {end}; give start <= end."
TOO_LONG = "Ask for at most {max} days at once (asked for {days}); split the range."
ONE_MARKET = "Give symbols of one market at a time (US or HK): {symbols}."
TOO_MANY = "Ask for at most {max} symbols at once (got {count})."


def _choices(values, allowed, what: str) -> list[str]:
    values = [values] if isinstance(values, str) else list(values or [])
    out = []
    for v in values:
        v = str(v).strip().lower() if what != "industry level" else str(v).strip().upper()
        if v not in allowed:
            raise InvalidInput(BAD_CHOICE.format(what=what, value=v[:40], choices=", ".join(allowed)), code="bad_field")
        if v not in out:
            out.append(v)
    if not out:
        raise InvalidInput(BAD_CHOICE.format(what=what, value="", choices=", ".join(allowed)), code="bad_field")
    return out


def _range(start: date | None, end: date | None, default_days: int) -> tuple[date, date]:
    end = end or timezone.now().date()
    start = start or end - timedelta(days=default_days)
    if start > end:
        raise InvalidInput(BAD_RANGE.format(start=start, end=end), code="bad_date_range")
    return start, end


def _one_market(symbols) -> list[str]:
    wanted = clean_symbols(symbols)
    if len(wanted) > MAX_SYMBOLS:
        raise InvalidInput(TOO_MANY.format(max=MAX_SYMBOLS, count=len(wanted)), code="too_many_symbols")
    if len({market_for(s) for s in wanted}) > 1:
        raise InvalidInput(ONE_MARKET.format(symbols=", ".join(wanted)), code="mixed_markets")
    return wanted


def financial_daily_get(*, actor: Actor, symbols, fields, start: date | None = None, end: date | None = None,
                        account_number: str | None = None, context_default: str | None = None) -> list:
    """Per trading day: shares outstanding, market capitalisation, P/E on the last four quarters' EPS."""
    wanted = _one_market(symbols)
    fields = _choices(fields, DAILY_FIELDS, "field")
    start, end = _range(start, end, 30)
    if (end - start).days + 1 > MAX_DAILY_DAYS:
        raise InvalidInput(TOO_LONG.format(max=MAX_DAILY_DAYS, days=(end - start).days + 1), code="bad_date_range")
    account = account_route(actor, account_number, context_default)
    key = cache_key("fundamentals", gateway_tag(account), "daily", start, end, *fields, *wanted)
    return cached_fetch(key, ttl_for("fundamentals"),
                        lambda: broker_for(account).financial_daily(wanted, fields, start, end))


def financial_report_get(*, actor: Actor, symbols, fields, period: str = "quarterly", start: date | None = None,
                         end: date | None = None, account_number: str | None = None,
                         context_default: str | None = None) -> list:
    """Income-statement figures per reporting period (annual, quarterly or last twelve months)."""
    wanted = _one_market(symbols)
    fields = _choices(fields, REPORT_FIELDS, "field")
    [period] = _choices(period, tuple(REPORT_PERIODS), "period")
    start, end = _range(start, end, 730)
    account = account_route(actor, account_number, context_default)
    key = cache_key("fundamentals", gateway_tag(account), "report", period, start, end, *fields, *wanted)
    return cached_fetch(key, ttl_for("fundamentals"), lambda: broker_for(account).financial_report(
        wanted, fields, REPORT_PERIODS[period], start, end))


def corporate_actions_get(*, actor: Actor, kind: str, symbols=None, market: str = "US", start: date | None = None,
                          end: date | None = None, account_number: str | None = None,
                          context_default: str | None = None) -> list:
    """Splits or dividends of some stocks, or the earnings calendar of a market (optionally some stocks)."""
    account = account_route(actor, account_number, context_default)
    [kind] = _choices(kind, ACTION_KINDS, "kind")
    wanted = _one_market(symbols) if symbols or kind != "earnings" else []
    market = market_for(wanted[0]) if wanted else (market or "US").strip().upper()
    if market not in ("US", "HK"):
        raise InvalidInput(BAD_CHOICE.format(what="market", value=market[:10], choices="US, HK"), code="bad_market")
    start, end = _range(start, end, 365)
    key = cache_key("fundamentals", gateway_tag(account), "action", kind, market, start, end, *wanted)
    return cached_fetch(key, ttl_for("fundamentals"),
                        lambda: broker_for(account).corporate_actions(kind, wanted, market, start, end))


def industries_get(*, actor: Actor, level: str = "GSECTOR", account_number: str | None = None,
                   context_default: str | None = None) -> list:
    """The GICS industries of one level (sector, group, industry, sub-industry)."""
    [level] = _choices(level, INDUSTRY_LEVELS, "industry level")
    account = account_route(actor, account_number, context_default)
    key = cache_key("fundamentals", gateway_tag(account), "industries", level)
    return cached_fetch(key, ttl_for("fundamentals"), lambda: broker_for(account).industries(level))
