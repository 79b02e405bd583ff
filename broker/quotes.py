"""Quote lookup through the shared cache: every caller (market-data tools, trading's price collar)
asks here, so a burst of previews or portfolio reads never spends Tiger's quote budget twice."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from broker.cache import MARKETDATA_STAMP, cache_key, cached_fetch, ttl_for
from broker.client import broker_for
from broker.types import clean_symbol
from core import stamps
from core.errors import InvalidInput

MAX_SYMBOLS = 50
TOO_MANY_SYMBOLS = "Ask for at most {max} symbols at once (got {count}); split the request."
NO_SYMBOLS = "Give at least one symbol, e.g. ['AAPL', 'MSFT']."


def gateway_tag(account) -> str:
    """Market data is the same for every account on one gateway; keys are shared per gateway, so
    the simulator in tests never serves Tiger's data or another simulator's."""
    return hashlib.sha256((account.server_url or "tiger").encode()).hexdigest()[:10]


def clean_symbols(symbols) -> list[str]:
    """A list (or a comma/space separated string) of symbols, each by the one symbol rule, no repeats."""
    if isinstance(symbols, str):
        symbols = [s for s in symbols.replace(",", " ").split() if s]
    cleaned: list[str] = []
    for raw in symbols or []:
        symbol = clean_symbol(raw)
        if symbol not in cleaned:
            cleaned.append(symbol)
    if not cleaned:
        raise InvalidInput(NO_SYMBOLS, code="no_symbols")
    if len(cleaned) > MAX_SYMBOLS:
        raise InvalidInput(TOO_MANY_SYMBOLS.format(max=MAX_SYMBOLS, count=len(cleaned)), code="too_many_symbols")
    return cleaned


# A process-local layer in front of the shared cache: a warm quote costs one stamp check (the
# generation below: a stat() in the embedded default, one GET with Redis, shared by the callers of the
# last GENERATION_LAG seconds) and dictionary reads, instead of one shared-cache read and unpickling per
# symbol. An entry lives at most LOCAL_SECONDS beyond its shared copy, and never past
# cache_clear_marketdata (which bumps the generation): in its own process at once, in others within
# GENERATION_LAG.
LOCAL_SECONDS = 1.0
GENERATION_LAG = 0.1
LOCAL_MAX_ENTRIES = 20_000
_local: dict[str, tuple[object, float, object]] = {}


def _generation():
    return stamps.stamp(MARKETDATA_STAMP, max_age=GENERATION_LAG)


def _remember(generation, entries: dict, seconds: float) -> None:
    if len(_local) > LOCAL_MAX_ENTRIES:
        _local.clear()
    until = time.monotonic() + seconds
    for key, quote in entries.items():
        _local[key] = (generation, until, quote)


def account_quotes(*, account, symbols) -> list:
    """Real-time quotes (broker.types.Quote) in the order asked, for an account the caller has already
    been allowed. Each symbol is cached for the 'quote' time-to-live; the symbols missing from the
    cache are fetched in ONE broker call, shared by every concurrent caller asking for the same ones."""
    wanted = clean_symbols(symbols)
    gateway = gateway_tag(account)
    ttl = ttl_for("quote")
    keys = {s: cache_key("quote", gateway, s) for s in wanted}
    generation = _generation()
    now = time.monotonic()
    quotes = {}
    for s, k in keys.items():
        entry = _local.get(k)
        if entry is not None and entry[0] == generation and entry[1] > now:
            quotes[s] = entry[2]
    if len(quotes) < len(keys):
        found = cache.get_many([k for s, k in keys.items() if s not in quotes])
        _remember(generation, found, min(ttl, LOCAL_SECONDS))
        quotes.update({s: found[k] for s, k in keys.items() if k in found})
    missing = [s for s in wanted if s not in quotes]
    if missing:
        def fetch():
            fetched = {q.symbol.upper(): q for q in broker_for(account).quotes(missing)}
            cache.set_many({keys[s]: q for s, q in fetched.items() if s in keys}, timeout=ttl)
            return fetched

        batch = cached_fetch(cache_key("quotes", gateway, *sorted(missing)), ttl, fetch)
        got = {s: batch[s] for s in missing if s in batch}
        _remember(generation, {keys[s]: q for s, q in got.items()}, min(ttl, LOCAL_SECONDS))
        quotes.update(got)
    return [quotes[s] for s in wanted if s in quotes]
