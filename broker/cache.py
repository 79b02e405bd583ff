"""The market-data cache in front of Tiger: a time-to-live per kind of data, and stampede protection.

Backed by Django's cache: Redis in production (shared by every process), in-process in the embedded
default. When many callers miss the same key at once, one of them calls the broker and the others
wait for its value:
- inside a process, callers of the same key join one in-flight call (a future per key);
- across processes, the one caller per process that got this far takes a lock in the cache
  (`cache.add`, i.e. Redis SET NX with an expiry); the others poll the cache until the value lands,
  or take over if the lock holder died (the lock expires) or failed (the lock is released empty).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from concurrent.futures import Future
from typing import Callable, TypeVar

from django.conf import settings
from django.core.cache import cache

from core import stamps

T = TypeVar("T")

# Seconds each kind of data stays fresh. Override per kind with settings.MARKETDATA_CACHE_TTL.
DEFAULT_TTL = {
    "quote": 5,
    "ticks": 5,
    "bars": 30,
    "contract": 6 * 3600,
    "option_expirations": 3600,
    "option_chain": 30,
    "market_status": 60,
    "depth": 2,
    "timeline": 15,
    "timeline_history": 6 * 3600,
    "delayed_quote": 30,
    "capital_flow": 60,
    "capital_distribution": 60,
    "broker_seats": 5,
    "option_analysis": 3600,
    "symbol_names": 6 * 3600,
    "trading_calendar": 6 * 3600,
    "market_scan": 30,
    "fundamentals": 3600,
}
# A lock outlives any reasonable broker call (the SDK's own time-out is 15 s) but not a crash.
LOCK_SECONDS = 20
POLL_SECONDS = 0.02

# The generation of the process-local quote copies (broker.quotes): bumped by every clear.
MARKETDATA_STAMP = "marketdata"

_MISSING = object()
_SPACE = re.compile(r"\s")


def ttl_for(kind: str) -> int:
    overrides = getattr(settings, "MARKETDATA_CACHE_TTL", {}) or {}
    return int(overrides.get(kind, DEFAULT_TTL[kind]))


def cache_key(kind: str, *parts) -> str:
    """A bounded-length key: symbol lists can be long, and keys never carry secrets anyway."""
    raw = "|".join(str(p) for p in parts)
    # Long keys, and keys with spaces (option identifiers pad their root with them), are hashed:
    # memcached refuses both.
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32] if len(raw) > 120 or _SPACE.search(raw) else raw
    return f"tm:md:{kind}:{digest}"


class _SingleFlight:
    def __init__(self):
        self._lock = threading.Lock()
        self._calls: dict[str, Future] = {}

    def do(self, key: str, fn: Callable[[], T]) -> T:
        with self._lock:
            future = self._calls.get(key)
            leader = future is None
            if leader:
                future = self._calls[key] = Future()
        if not leader:
            return future.result()
        try:
            result = fn()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                self._calls.pop(key, None)


_flights = _SingleFlight()


def cached_fetch(key: str, ttl: int, fetch: Callable[[], T]) -> T:
    """The cached value for `key`, or `fetch()`'s result stored for `ttl` seconds; concurrent
    callers of the same key share one fetch."""
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    return _flights.do(key, lambda: _fetch_once_across_processes(key, ttl, fetch))


def _fetch_once_across_processes(key: str, ttl: int, fetch: Callable[[], T]) -> T:
    lock_key = key + ":lock"
    deadline = time.monotonic() + LOCK_SECONDS
    while True:
        value = cache.get(key, _MISSING)
        if value is not _MISSING:
            return value
        token = uuid.uuid4().hex
        if cache.add(lock_key, token, timeout=LOCK_SECONDS):
            try:
                value = fetch()
                cache.set(key, value, timeout=ttl)
                return value
            finally:
                if cache.get(lock_key) == token:
                    cache.delete(lock_key)
        # Someone else is fetching: wait for the value, or for the lock to go (they failed).
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            value = cache.get(key, _MISSING)
            if value is not _MISSING:
                return value
            if cache.get(lock_key) is None:
                break
        else:
            # The holder is stuck beyond the lock's life: fetch ourselves rather than fail.
            value = fetch()
            cache.set(key, value, timeout=ttl)
            return value


def cache_clear_marketdata() -> None:
    """Drop every cached market-data value (tests; an operator after a data correction)."""
    from broker.limits import redis_client

    client = redis_client()
    if client is not None and hasattr(cache, "make_key"):
        pattern = cache.make_key("tm:md:*")
        for raw in client.scan_iter(match=pattern, count=500):
            client.delete(raw)
    else:
        cache.clear()
    stamps.bump(MARKETDATA_STAMP)
