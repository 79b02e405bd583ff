"""Futures: contracts (by exchange, or the current one of a product), quotes, and bars (daily, weekly,
monthly, or intraday minutes). Routed and cached as every market-data read."""

from __future__ import annotations

import re

from accounts.actors import Actor
from accounts.selectors import account_route
from broker.cache import cache_key, cached_fetch, ttl_for
from broker.client import broker_for
from broker.quotes import gateway_tag
from core.errors import InvalidInput

FUTURE_EXCHANGES = ("CME", "HKEX")
FUTURE_BAR_PERIODS = ("day", "week", "month", "1min", "5min", "15min", "30min", "60min")
CONTRACT_CODE = re.compile(r"^[A-Z]{1,4}\d{4}$")
MAX_CONTRACTS = 20
BAD_CODE = ("'{code}' is not a futures contract code. Use one from get_future_contracts, e.g. 'ES2612' "
            "(product, then the year's last two digits and the month).")
BAD_EXCHANGE = "Unknown exchange '{exchange}'. Use one of: {exchanges}."
NEED_ONE = "Give an exchange (e.g. CME) to list its contracts, or a product type (e.g. ES) for its current contract."
TOO_MANY = "Ask for at most {max} contracts at once (got {count})."
BAD_LIMIT = "limit must be between 1 and {max} (got {limit})."
BAD_PERIOD = "Unknown period '{period}'. Use one of: {periods}."


def future_codes_clean(codes) -> list[str]:
    codes = [codes] if isinstance(codes, str) else list(codes or [])
    out = []
    for raw in codes:
        code = str(raw).strip().upper()
        if not CONTRACT_CODE.match(code):
            raise InvalidInput(BAD_CODE.format(code=str(raw)[:20]), code="bad_contract_code")
        if code not in out:
            out.append(code)
    if not out:
        raise InvalidInput(BAD_CODE.format(code=""), code="bad_contract_code")
    if len(out) > MAX_CONTRACTS:
        raise InvalidInput(TOO_MANY.format(max=MAX_CONTRACTS, count=len(out)), code="too_many_contracts")
    return out


def future_contracts_get(*, actor: Actor, exchange: str | None = None, product: str | None = None,
                         account_number: str | None = None, context_default: str | None = None) -> list:
    """Listed contracts of an exchange, or the current (front) contract of a product type."""
    account = account_route(actor, account_number, context_default)
    product = (product or "").strip().upper() or None
    exchange = (exchange or "").strip().upper() or None
    if product is None and exchange is None:
        raise InvalidInput(NEED_ONE, code="bad_query")
    if product is None and exchange not in FUTURE_EXCHANGES:
        raise InvalidInput(BAD_EXCHANGE.format(exchange=exchange[:10], exchanges=", ".join(FUTURE_EXCHANGES)),
                           code="bad_exchange")
    key = cache_key("future_contracts", gateway_tag(account), exchange, product)
    return cached_fetch(key, ttl_for("contract"),
                        lambda: broker_for(account).future_contracts(exchange=exchange, future_type=product))


def future_quotes_get(*, actor: Actor, codes, account_number: str | None = None,
                      context_default: str | None = None) -> list:
    account = account_route(actor, account_number, context_default)
    wanted = future_codes_clean(codes)
    key = cache_key("future_quotes", gateway_tag(account), *wanted)
    return cached_fetch(key, ttl_for("quote"), lambda: broker_for(account).future_quotes(wanted))


def future_bars_get(*, actor: Actor, codes, limit: int = 30, period: str = "day", account_number: str | None = None,
                    context_default: str | None = None) -> dict:
    """OHLC bars per contract, oldest first; intraday periods cover today's and earlier sessions."""
    account = account_route(actor, account_number, context_default)
    wanted = future_codes_clean(codes)
    if not 1 <= int(limit) <= 1000:
        raise InvalidInput(BAD_LIMIT.format(max=1000, limit=limit), code="bad_limit")
    period = str(period or "day").strip().lower()
    if period not in FUTURE_BAR_PERIODS:
        raise InvalidInput(BAD_PERIOD.format(period=period[:10], periods=", ".join(FUTURE_BAR_PERIODS)),
                           code="bad_period")
    key = cache_key("future_bars", gateway_tag(account), period, limit, *wanted)
    return cached_fetch(key, ttl_for("bars"),
                        lambda: broker_for(account).future_bars(wanted, limit=int(limit), period=period))
