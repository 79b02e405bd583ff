"""Options beyond the plain chain: the chain with Greeks and implied volatility, IV/HV analysis, an
option's own bars, trades and depth, and Hong Kong's option symbols. US options in USD; HK options
(HKEX's symbols, e.g. TCH.HK for 00700) in HKD. Routed and cached as every market-data read."""

from __future__ import annotations

import re
from datetime import date

from accounts.actors import Actor
from accounts.selectors import account_route
from broker.cache import cache_key, cached_fetch, ttl_for
from broker.client import broker_for
from broker.quotes import clean_symbols, gateway_tag
from broker.types import market_for
from core.errors import InvalidInput

OPTION_BAR_PERIODS = ("day", "1min", "5min", "30min", "60min")
ANALYSIS_PERIODS = ("13week", "26week", "52week", "3year")
MAX_OPTIONS = 10
# Tiger's (OCC's) option identifier: root, yymmdd, C or P, strike x 1000 in 8 digits.
IDENTIFIER = re.compile(r"^([A-Z][A-Z.]{0,5})\s*(\d{6})([CP])(\d{8})$")
BAD_IDENTIFIER = ("'{identifier}' is not an option identifier. Use one from get_option_greeks or get_option_chain, "
                  "e.g. 'AAPL  261218C00190000' or 'TCH.HK260330C00380000' (root, yymmdd, C/P, strike x 1000 "
                  "in 8 digits).")
OPTION_SYMBOL_MARKETS = ("HK",)
BAD_EXPIRY = "expiry must be a date like 2026-12-18 (got {expiry!r}); call get_option_expirations for valid dates."
BAD_CHOICE = "Unknown {what} '{value}'. Use one of: {choices}."
TOO_MANY = "Ask for at most {max} options at once (got {count})."
MIXED_MARKETS = "Ask for US and Hong Kong options in separate calls: their prices are in different currencies."
BAD_LIMIT = "limit must be between 1 and {max} (got {limit})."


def option_identifiers_clean(identifiers, *, one_market: bool = False) -> list[str]:
    """Each identifier in Tiger's form (root padded to six characters), no repeats; a bad one is refused,
    and with `one_market` a mix of US and HK options (a result in one currency)."""
    if isinstance(identifiers, str):
        identifiers = [identifiers]
    out: list[str] = []
    for raw in identifiers or []:
        m = IDENTIFIER.match(" ".join(str(raw).upper().split()) if raw else "")
        if not m:
            raise InvalidInput(BAD_IDENTIFIER.format(identifier=str(raw)[:40]), code="bad_option_identifier")
        ident = f"{m.group(1):<6}{m.group(2)}{m.group(3)}{m.group(4)}"
        if ident not in out:
            out.append(ident)
    if not out:
        raise InvalidInput(BAD_IDENTIFIER.format(identifier=""), code="bad_option_identifier")
    if len(out) > MAX_OPTIONS:
        raise InvalidInput(TOO_MANY.format(max=MAX_OPTIONS, count=len(out)), code="too_many_options")
    if one_market and len({market_for(i) for i in out}) > 1:
        raise InvalidInput(MIXED_MARKETS, code="mixed_option_markets")
    return out


def _choice(value: str, choices, what: str) -> str:
    value = (value or "").strip().lower()
    if value not in choices:
        raise InvalidInput(BAD_CHOICE.format(what=what, value=value[:20], choices=", ".join(choices)), code=f"bad_{what}")
    return value


def option_greeks_get(*, actor: Actor, symbol: str, expiry, account_number: str | None = None,
                      context_default: str | None = None) -> list:
    """Every strike of one expiry, puts and calls: prices, volume, open interest, IV and the Greeks."""
    (symbol,) = clean_symbols([symbol])
    if isinstance(expiry, str):
        try:
            expiry = date.fromisoformat(expiry)
        except ValueError:
            raise InvalidInput(BAD_EXPIRY.format(expiry=expiry[:20]), code="bad_expiry") from None
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_chain", gateway_tag(account), "greeks", symbol, expiry.isoformat())
    return cached_fetch(key, ttl_for("option_chain"), lambda: broker_for(account).option_greeks(symbol, expiry))


def option_analysis_get(*, actor: Actor, symbols, period: str = "52week", account_number: str | None = None,
                        context_default: str | None = None) -> list:
    """30-day implied volatility against historical volatility, IV rank and percentile over `period`."""
    wanted = clean_symbols(symbols)
    period = _choice(period, ANALYSIS_PERIODS, "period")
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_analysis", gateway_tag(account), period, *wanted)
    return cached_fetch(key, ttl_for("option_analysis"),
                        lambda: broker_for(account).option_analysis(wanted, period=period))


def option_bars_get(*, actor: Actor, identifiers, period: str = "day", limit: int = 30,
                    account_number: str | None = None, context_default: str | None = None) -> dict:
    """OHLC bars of options (oldest first), with volume and open interest."""
    wanted = option_identifiers_clean(identifiers, one_market=True)
    period = _choice(period, OPTION_BAR_PERIODS, "period")
    if not 1 <= int(limit) <= 1000:
        raise InvalidInput(BAD_LIMIT.format(max=1000, limit=limit), code="bad_limit")
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_bars", gateway_tag(account), period, limit, *wanted)
    return cached_fetch(key, ttl_for("bars"),
                        lambda: broker_for(account).option_bars(wanted, period=period, limit=int(limit)))


def option_ticks_get(*, actor: Actor, identifiers, account_number: str | None = None,
                     context_default: str | None = None) -> dict:
    """Today's trades of options (time, price, contracts)."""
    wanted = option_identifiers_clean(identifiers, one_market=True)
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_ticks", gateway_tag(account), *wanted)
    return cached_fetch(key, ttl_for("ticks"), lambda: broker_for(account).option_ticks(wanted))


def option_symbols_get(*, actor: Actor, market: str = "HK", account_number: str | None = None,
                       context_default: str | None = None) -> list:
    """The exchange's option symbols (HKEX's, e.g. TCH.HK) with their underlying stock codes."""
    market = (market or "HK").strip().upper()
    if market not in OPTION_SYMBOL_MARKETS:
        raise InvalidInput(BAD_CHOICE.format(what="market", value=market[:20], choices=", ".join(OPTION_SYMBOL_MARKETS)),
                           code="bad_market")
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_symbols", gateway_tag(account), market)
    return cached_fetch(key, ttl_for("symbol_names"), lambda: broker_for(account).option_symbols(market))


def option_depth_get(*, actor: Actor, identifiers, account_number: str | None = None,
                     context_default: str | None = None) -> list:
    """Each option's bids and asks by price and venue, best first."""
    wanted = option_identifiers_clean(identifiers)
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_depth", gateway_tag(account), *wanted)
    return cached_fetch(key, ttl_for("depth"), lambda: broker_for(account).option_depth(wanted))
