"""Market data: quotes, bars, ticks, contracts, options and market status, through the quote cache."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone

from django.utils import timezone

from accounts.actors import Actor
from accounts.selectors import account_route
from broker.cache import cache_key, cached_fetch, ttl_for
from broker.client import broker_for
from broker.quotes import account_quotes, clean_symbols, gateway_tag
from core.errors import InvalidInput


logger = logging.getLogger(__name__)


BAR_PERIODS = ("1min", "3min", "5min", "10min", "15min", "30min", "45min", "60min",
               "2hour", "3hour", "4hour", "6hour", "day", "week", "month", "year")


MAX_BARS = 1200


MARKETS = ("US", "HK", "CN", "SG", "ALL")


BAD_PERIOD = "Unknown bar period '{period}'. Use one of: {periods}."


BAD_LIMIT = "limit must be between 1 and {max} (got {limit})."


BAD_PAGE_TOKEN = "page_token '{token}' is not one this service returned; pass next_page_token from the previous page."


BAD_MARKET = "Unknown market '{market}'. Use one of: {markets}."


def quotes_get(*, actor: Actor, symbols, account_number: str | None = None, context_default: str | None = None) -> list:
    """Real-time quotes in the order asked, for the routed account (broker.quotes.account_quotes)."""
    account = account_route(actor, account_number, context_default)
    return account_quotes(account=account, symbols=symbols)


@dataclass(frozen=True)
class BarsResult:
    period: str
    bars: dict  # symbol -> list[broker.types.Bar], oldest first
    next_page_token: str | None


def bars_get(
    *, actor: Actor, symbols, period: str = "day", limit: int = 100, begin_time: datetime | None = None,
    end_time: datetime | None = None, page_token: str | None = None, account_number: str | None = None,
    context_default: str | None = None,
) -> BarsResult:
    """OHLC bars from 1 minute to a month. Pages go back in time: pass the result's
    next_page_token to get the `limit` bars before these."""
    wanted = clean_symbols(symbols)
    period = (period or "").strip().lower()
    if period not in BAR_PERIODS:
        raise InvalidInput(BAD_PERIOD.format(period=period, periods=", ".join(BAR_PERIODS)), code="bad_period")
    if not 1 <= int(limit) <= MAX_BARS:
        raise InvalidInput(BAD_LIMIT.format(max=MAX_BARS, limit=limit), code="bad_limit")
    begin_ms = _epoch_ms(begin_time) if begin_time else -1
    end_ms = _epoch_ms(end_time) if end_time else -1
    broker_token = None
    if page_token:
        # Our own cursor ("t:<end ms>") when the broker gave none; the broker's token otherwise.
        if page_token.startswith("t:"):
            try:
                end_ms = int(page_token[2:])
            except ValueError:
                raise InvalidInput(BAD_PAGE_TOKEN.format(token=page_token[:40]), code="bad_page_token") from None
        else:
            broker_token = page_token
    account = account_route(actor, account_number, context_default)
    key = cache_key("bars", gateway_tag(account), period, limit, begin_ms, end_ms, broker_token, *wanted)
    page = cached_fetch(key, ttl_for("bars"), lambda: broker_for(account).bars(
        wanted, period=period, limit=int(limit), begin_time=begin_ms, end_time=end_ms, page_token=broker_token))
    next_token = page.next_page_token
    if not next_token:
        full = [rows for rows in page.bars.values() if len(rows) >= int(limit)]
        if full:
            # Continue before the LATEST first bar among full symbols: a symbol with an earlier first
            # bar may see a few bars again on the next page, but none is ever skipped.
            earliest = max(rows[0].time for rows in full)
            next_token = f"t:{int(earliest.timestamp() * 1000) - 1}"
    return BarsResult(period=period, bars=page.bars, next_page_token=next_token)


def _epoch_ms(value: datetime) -> int:
    # A naive time is taken as UTC (the project's only time zone), never the server's local time.
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt_timezone.utc)
    return int(value.timestamp() * 1000)


def trade_ticks_get(*, actor: Actor, symbols, limit: int = 100, account_number: str | None = None,
                    context_default: str | None = None) -> dict:
    wanted = clean_symbols(symbols)
    if not 1 <= int(limit) <= 1000:
        raise InvalidInput(BAD_LIMIT.format(max=1000, limit=limit), code="bad_limit")
    account = account_route(actor, account_number, context_default)
    key = cache_key("ticks", gateway_tag(account), limit, *wanted)
    return cached_fetch(key, ttl_for("ticks"), lambda: broker_for(account).trade_ticks(wanted, limit=int(limit)))


def contract_get(*, actor: Actor, symbol: str, sec_type: str = "STK", account_number: str | None = None,
                 context_default: str | None = None):
    (symbol,) = clean_symbols([symbol])
    account = account_route(actor, account_number, context_default)
    key = cache_key("contract", gateway_tag(account), sec_type, symbol)
    return cached_fetch(key, ttl_for("contract"), lambda: broker_for(account).contract(symbol, sec_type=sec_type))


def option_expirations_get(*, actor: Actor, symbol: str, account_number: str | None = None,
                           context_default: str | None = None) -> list[date]:
    (symbol,) = clean_symbols([symbol])
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_expirations", gateway_tag(account), symbol)
    return cached_fetch(key, ttl_for("option_expirations"), lambda: broker_for(account).option_expirations(symbol))


def option_chain_get(*, actor: Actor, symbol: str, expiry: date, account_number: str | None = None,
                     context_default: str | None = None) -> list:
    (symbol,) = clean_symbols([symbol])
    if isinstance(expiry, str):
        try:
            expiry = date.fromisoformat(expiry)
        except ValueError:
            raise InvalidInput(f"expiry must be a date like 2026-12-18 (got {expiry[:20]!r}); call option_expirations for valid dates.",
                               code="bad_expiry") from None
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_chain", gateway_tag(account), symbol, expiry.isoformat())
    return cached_fetch(key, ttl_for("option_chain"), lambda: broker_for(account).option_chain(symbol, expiry))


def market_status_get(*, actor: Actor, market: str = "US", account_number: str | None = None,
                      context_default: str | None = None) -> list:
    market = (market or "US").strip().upper()
    if market not in MARKETS:
        raise InvalidInput(BAD_MARKET.format(market=market, markets=", ".join(MARKETS)), code="bad_market")
    return account_market_status(account_route(actor, account_number, context_default), market)


def account_market_status(account, market: str) -> list:
    """Tiger's market status through `account`'s gateway (cached), for a caller that has already
    checked the actor's access to it (an order's preview)."""
    key = cache_key("market_status", gateway_tag(account), market)
    return cached_fetch(key, ttl_for("market_status"), lambda: broker_for(account).market_status(market))
