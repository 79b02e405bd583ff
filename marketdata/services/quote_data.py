"""Quotes beyond the brief: level-2 depth, intraday timelines (today's and a past day's), delayed
quotes for accounts without a real-time quote permission, capital flow and distribution, and Hong
Kong broker seats. Each read is routed to an account the caller may read (accounts.selectors.
account_route) and goes through the shared market-data cache (broker.cache)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from accounts.actors import Actor
from accounts.selectors import account_route
from broker.cache import cache_key, cached_fetch, ttl_for
from broker.client import broker_for
from broker.quotes import clean_symbols, gateway_tag
from broker.types import market_for
from core.errors import InvalidInput

CAPITAL_PERIODS = ("intraday", "day", "week", "month", "quarter", "6month", "year")
BAD_CAPITAL_PERIOD = "Unknown capital-flow period '{period}'. Use one of: {periods}."
FUTURE_DAY = "date {day} is in the future; give a past trading day, or omit it for today's timeline."
HK_ONLY = ("Broker seats exist for Hong Kong stocks only (five-digit codes such as 00700); {symbol} is not one. "
           "For a US stock's order book call get_depth.")
MAX_DEPTH_SYMBOLS = 10
TOO_MANY_DEPTH = "Ask for the order book of at most {max} symbols at once (got {count})."
BAD_LIMIT = "limit must be between 1 and {max} (got {limit})."


def _one(symbol: str) -> str:
    (symbol,) = clean_symbols([symbol])
    return symbol


def depth_get(*, actor: Actor, symbols, account_number: str | None = None, context_default: str | None = None) -> list:
    """Level-2 order book (price, volume, number of orders per level) in the order asked."""
    wanted = clean_symbols(symbols)
    if len(wanted) > MAX_DEPTH_SYMBOLS:
        raise InvalidInput(TOO_MANY_DEPTH.format(max=MAX_DEPTH_SYMBOLS, count=len(wanted)), code="too_many_symbols")
    account = account_route(actor, account_number, context_default)
    key = cache_key("depth", gateway_tag(account), *wanted)
    return cached_fetch(key, ttl_for("depth"), lambda: broker_for(account).depth(wanted))


def timeline_get(*, actor: Actor, symbols, day: date | None = None, include_hour_trading: bool = False,
                 account_number: str | None = None, context_default: str | None = None) -> list:
    """Minute-by-minute price, average price and volume: today's session, or a past day's with `day`."""
    wanted = clean_symbols(symbols)
    if day is not None and day > timezone.now().date():
        raise InvalidInput(FUTURE_DAY.format(day=day.isoformat()), code="bad_date")
    account = account_route(actor, account_number, context_default)
    kind = "timeline" if day is None else "timeline_history"
    key = cache_key(kind, gateway_tag(account), day, include_hour_trading, *wanted)
    return cached_fetch(key, ttl_for(kind), lambda: broker_for(account).timeline(
        wanted, day=day, include_hour_trading=include_hour_trading))


def delayed_quotes_get(*, actor: Actor, symbols, account_number: str | None = None,
                       context_default: str | None = None) -> list:
    """Quotes about 15 minutes old, which Tiger serves without a real-time quote permission."""
    wanted = clean_symbols(symbols)
    account = account_route(actor, account_number, context_default)
    key = cache_key("delayed_quote", gateway_tag(account), *wanted)
    return cached_fetch(key, ttl_for("delayed_quote"), lambda: broker_for(account).delayed_quotes(wanted))


def capital_flow_get(*, actor: Actor, symbol: str, period: str = "day", limit: int = 30,
                     account_number: str | None = None, context_default: str | None = None):
    """Net money flowing into a stock per period (intraday: cumulative through today's session)."""
    symbol = _one(symbol)
    period = (period or "").strip().lower()
    if period not in CAPITAL_PERIODS:
        raise InvalidInput(BAD_CAPITAL_PERIOD.format(period=period, periods=", ".join(CAPITAL_PERIODS)),
                           code="bad_period")
    if not 1 <= int(limit) <= 1200:
        raise InvalidInput(BAD_LIMIT.format(max=1200, limit=limit), code="bad_limit")
    account = account_route(actor, account_number, context_default)
    key = cache_key("capital_flow", gateway_tag(account), symbol, period, limit)
    return cached_fetch(key, ttl_for("capital_flow"),
                        lambda: broker_for(account).capital_flow(symbol, period=period, limit=int(limit)))


def capital_distribution_get(*, actor: Actor, symbol: str, account_number: str | None = None,
                             context_default: str | None = None):
    """Today's money in and out of a stock, split into big, medium and small orders."""
    symbol = _one(symbol)
    account = account_route(actor, account_number, context_default)
    key = cache_key("capital_distribution", gateway_tag(account), symbol)
    return cached_fetch(key, ttl_for("capital_distribution"), lambda: broker_for(account).capital_distribution(symbol))


def broker_seats_get(*, actor: Actor, symbol: str, limit: int = 40, account_number: str | None = None,
                     context_default: str | None = None):
    """Which Hong Kong brokers queue at each of the best bid and ask levels."""
    symbol = _one(symbol)
    account = account_route(actor, account_number, context_default)
    if market_for(symbol) != "HK":
        raise InvalidInput(HK_ONLY.format(symbol=symbol), code="hk_only")
    if not 1 <= int(limit) <= 40:
        raise InvalidInput(BAD_LIMIT.format(max=40, limit=limit), code="bad_limit")
    key = cache_key("broker_seats", gateway_tag(account), symbol, limit)
    return cached_fetch(key, ttl_for("broker_seats"), lambda: broker_for(account).broker_seats(symbol, limit=int(limit)))
