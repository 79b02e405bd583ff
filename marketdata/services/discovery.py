"""Discovery: symbol search by name, the trading calendar, and the market scanner. Routed to an
account the caller may read and cached as every market-data read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from accounts.actors import Actor
from accounts.selectors import account_route
from broker.cache import cache_key, cached_fetch, ttl_for
from broker.client import broker_for
from broker.data_calls import SCANNER_FIELDS
from broker.quotes import gateway_tag
from core.errors import InvalidInput

SEARCH_MARKETS = ("US", "HK", "ALL")
CALENDAR_MARKETS = ("US", "HK", "CN")
SCAN_MARKETS = ("US", "HK")
SCAN_FIELDS = tuple(SCANNER_FIELDS)
MAX_CALENDAR_DAYS = 366
BAD_MARKET = "Unknown market '{market}'. Use one of: {markets}."
EMPTY_QUERY = "Give a name or ticker to search for, e.g. 'apple' or 'tencent'."
BAD_RANGE = "start {start} is after end {end}; give start <= end."
TOO_LONG = "A calendar covers at most {max} days (asked for {days}); split the range."
BAD_FIELD = "Unknown scanner field '{field}'. Use one of: {fields}."
BAD_BOUND = "Filter bounds must be numbers, e.g. {{'field': 'price', 'min': '100'}} (got {value!r} for {field})."
BAD_LIMIT = "{name} must be between 1 and {max} (got {value})."


def _market(value: str | None, allowed, default: str) -> str:
    market = (value or default).strip().upper()
    if market not in allowed:
        raise InvalidInput(BAD_MARKET.format(market=market[:10], markets=", ".join(allowed)), code="bad_market")
    return market


def symbol_search(*, actor: Actor, query: str, market: str = "ALL", limit: int = 20, account_number: str | None = None,
                  context_default: str | None = None) -> list[tuple[str, str]]:
    """(symbol, name) pairs whose ticker or name contains `query`: exact ticker first, then tickers
    starting with it, then names."""
    text = (query or "").strip().upper()
    if not text:
        raise InvalidInput(EMPTY_QUERY, code="empty_query")
    market = _market(market, SEARCH_MARKETS, "ALL")
    if not 1 <= int(limit) <= 100:
        raise InvalidInput(BAD_LIMIT.format(name="limit", max=100, value=limit), code="bad_limit")
    account = account_route(actor, account_number, context_default)
    names = cached_fetch(cache_key("symbol_names", gateway_tag(account), market), ttl_for("symbol_names"),
                         lambda: broker_for(account).symbol_names(market))

    def rank(pair):
        symbol, name = pair[0].upper(), pair[1].upper()
        if symbol == text or symbol.lstrip("0") == text.lstrip("0"):
            return 0
        if symbol.startswith(text):
            return 1
        if name.startswith(text):
            return 2
        return 3 if text in name or text in symbol else None

    hits = [(rank(p), p) for p in names]
    return [p for r, p in sorted((h for h in hits if h[0] is not None), key=lambda h: (h[0], h[1][0]))][:int(limit)]


def trading_calendar_get(*, actor: Actor, market: str = "US", start: date | None = None, end: date | None = None,
                         account_number: str | None = None, context_default: str | None = None) -> list:
    """Each day from start to end (both included) and whether the market trades on it."""
    market = _market(market, CALENDAR_MARKETS, "US")
    start = start or timezone.now().date()
    end = end or start + timedelta(days=30)
    if start > end:
        raise InvalidInput(BAD_RANGE.format(start=start, end=end), code="bad_date_range")
    if (end - start).days + 1 > MAX_CALENDAR_DAYS:
        raise InvalidInput(TOO_LONG.format(max=MAX_CALENDAR_DAYS, days=(end - start).days + 1), code="bad_date_range")
    account = account_route(actor, account_number, context_default)
    key = cache_key("trading_calendar", gateway_tag(account), market, start, end)
    # Tiger's end date is excluded; ours is included.
    return cached_fetch(key, ttl_for("trading_calendar"),
                        lambda: broker_for(account).trading_calendar(market, start, end + timedelta(days=1)))


def market_scan_get(*, actor: Actor, market: str = "US", filters=(), sort_by: str | None = None,
                    descending: bool = True, page: int = 0, page_size: int = 20, account_number: str | None = None,
                    context_default: str | None = None):
    """Stocks of a market whose fields fall within the filters' bounds, sorted by one field, a page."""
    market = _market(market, SCAN_MARKETS, "US")
    cleaned = []
    for f in filters or ():
        field = str(f.get("field") or "").strip().lower()
        if field not in SCAN_FIELDS:
            raise InvalidInput(BAD_FIELD.format(field=field[:30], fields=", ".join(SCAN_FIELDS)), code="bad_field")
        bounds = []
        for key in ("min", "max"):
            value = f.get(key)
            try:
                bounds.append(None if value in (None, "") else Decimal(str(value)))
            except InvalidOperation:
                raise InvalidInput(BAD_BOUND.format(value=str(value)[:20], field=field), code="bad_filter") from None
        cleaned.append((field, *bounds))
    if sort_by is not None and sort_by not in SCAN_FIELDS:
        raise InvalidInput(BAD_FIELD.format(field=str(sort_by)[:30], fields=", ".join(SCAN_FIELDS)), code="bad_field")
    if int(page) < 0 or not 1 <= int(page_size) <= 100:
        raise InvalidInput(BAD_LIMIT.format(name="page_size", max=100, value=page_size), code="bad_page")
    account = account_route(actor, account_number, context_default)
    key = cache_key("market_scan", gateway_tag(account), market, cleaned, sort_by, descending, page, page_size)
    return cached_fetch(key, ttl_for("market_scan"), lambda: broker_for(account).market_scan(
        market, filters=cleaned, sort_by=sort_by, descending=descending, page=int(page), page_size=int(page_size)))
