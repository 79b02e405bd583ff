"""Rate limiting per Tiger developer id and a circuit breaker per account.

Every broker call passes through here (broker.client calls the hooks below), so no door can
exceed Tiger's limits or keep hammering an account that is failing.

Rate limiter: Tiger counts calls per developer id (tiger_id) and per API over a rolling 60 s window
(TIGER_PROTOCOL.md). With Redis (settings.REDIS_URL) the window is a sorted set shared by every
process, updated atomically by a Lua script on Redis' own clock; without Redis it is in-process.
When the budget is used up, a caller waits if a slot frees within MARKETDATA_RATE_LIMIT_MAX_WAIT
seconds, otherwise gets RateLimited with the number of seconds to wait, before Tiger refuses.
The key is a hash of the tiger_id, never the tiger_id itself (a secret).

Circuit breaker: after MARKETDATA_CIRCUIT_FAILURES consecutive failures of an account's broker
calls, calls for that account are refused at once with CircuitOpen for
MARKETDATA_CIRCUIT_COOLDOWN seconds; then one trial call is let through (half-open): success closes
the circuit, failure opens it again. State lives in Django's cache (Redis in production), so every
process sees it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.core.cache import cache

from core.errors import BrokerError, BrokerRejected, CircuitOpen, RateLimited
from core.fingerprints import keyed_digest
from core.metrics import CIRCUIT_OPENS, RATE_LIMITED as RATE_LIMITED_EVENTS

logger = logging.getLogger(__name__)

# --- Tiger's per-API limits (requests per rolling 60 s, per developer id) -------------------------

HIGH, MEDIUM, LOW = 120, 60, 10

# Gateway method names, as the SDK sends them in the request's "method" field.
API_LIMITS: dict[str, int] = {
    "place_order": HIGH, "modify_order": HIGH, "cancel_order": HIGH, "order_no": HIGH,
    "preview_order": HIGH, "orders": HIGH, "active_orders": HIGH, "inactive_orders": HIGH,
    "filled_orders": HIGH, "quote_real_time": HIGH, "trade_tick": HIGH, "brief": HIGH,
    "positions": MEDIUM, "assets": MEDIUM, "prime_assets": MEDIUM, "contract": MEDIUM,
    "contracts": MEDIUM, "kline": MEDIUM, "option_chain": MEDIUM, "option_expiration": MEDIUM,
    "accounts": MEDIUM, "financial_exchange_rate": MEDIUM, "order_transactions": MEDIUM,
    "analytics_asset": MEDIUM, "estimate_tradable_quantity": MEDIUM,
    "market_state": LOW, "grab_quote_permission": LOW, "get_quote_permission": LOW,
    "all_symbols": LOW, "all_symbol_names": LOW,
}
# Tiger does not limit these; nor do we.
UNLIMITED_APIS = {"user_license"}

# SDK call names and BrokerClient method names mapped to the gateway method they send, so the hook
# can be called with whichever name the caller has at hand.
API_ALIASES: dict[str, str] = {
    # tigeropen SDK calls
    "get_managed_accounts": "accounts", "get_assets": "assets", "get_prime_assets": "prime_assets",
    "get_positions": "positions", "get_orders": "orders", "get_order": "orders",
    "get_open_orders": "active_orders", "get_filled_orders": "filled_orders",
    "get_cancelled_orders": "inactive_orders", "get_contract": "contract", "get_contracts": "contracts",
    "get_market_status": "market_state", "get_stock_briefs": "quote_real_time", "get_briefs": "quote_real_time",
    "get_bars": "kline", "get_trade_ticks": "trade_tick", "get_option_expirations": "option_expiration",
    "get_option_chain": "option_chain", "create_order": "order_no", "get_transactions": "order_transactions",
    "get_analytics_asset": "analytics_asset", "get_estimate_tradable_quantity": "estimate_tradable_quantity",
    # broker.client.BrokerClient methods
    "quotes": "quote_real_time", "bars": "kline", "trade_ticks": "trade_tick",
    "option_expirations": "option_expiration", "market_status": "market_state",
    "open_orders": "active_orders", "order": "orders", "fills": "order_transactions",
    "value_history": "analytics_asset", "tradable_quantity": "estimate_tradable_quantity",
}
# Calls to an API we do not know are held to the common middle limit, as Tiger does.
DEFAULT_LIMIT = MEDIUM

# Our window is a second longer than Tiger's: N calls in any 61 s window are also at most N in any
# 60 s window however the two clocks are aligned.
DEFAULT_WINDOW_SECONDS = 61.0
DEFAULT_MAX_WAIT_SECONDS = 2.0

RATE_LIMITED = (
    "Tiger allows {limit} '{api}' calls per minute per developer id and that budget is used up. "
    "Retry in {retry_after} s."
)


def tiger_id_hash(tiger_id: str) -> str:
    """The limiter's key for a developer id: stable, short, and keyed, so a Redis key does not give
    the id away to anyone who tries every 8-digit id."""
    return keyed_digest("rate-limit", tiger_id or "")[:24]


def api_name(api: str) -> str:
    return API_ALIASES.get(api, api)


def api_limit(api: str) -> int | None:
    name = api_name(api)
    if name in UNLIMITED_APIS:
        return None
    return API_LIMITS.get(name, DEFAULT_LIMIT)


def _window() -> float:
    return float(getattr(settings, "MARKETDATA_RATE_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS))


def _max_wait() -> float:
    return float(getattr(settings, "MARKETDATA_RATE_LIMIT_MAX_WAIT", DEFAULT_MAX_WAIT_SECONDS))


# --- Redis connection (shared by the limiter) -----------------------------------------------------

_redis_lock = threading.Lock()
_redis_clients: dict[str, object] = {}


def redis_client():
    """A redis-py client for settings.REDIS_URL, or None in the embedded (in-process) default."""
    url = settings.REDIS_URL
    if not url:
        return None
    with _redis_lock:
        client = _redis_clients.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            _redis_clients[url] = client
        return client


# A sliding-window log: members are call ids scored by Redis' own clock (microseconds), so processes
# on different machines agree. Returns {1, 0} when the call is admitted, {0, wait_us} otherwise.
_ACQUIRE_LUA = """
local key = KEYS[1]
local window_us = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local member = ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_us)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(window_us / 1000) + 1000)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window_us - now}
"""
_scripts: dict[int, object] = {}


def _try_acquire_redis(client, key: str, limit: int, window: float) -> float:
    """0 when admitted, else seconds until a slot frees."""
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_ACQUIRE_LUA)
    admitted, wait_us = script(keys=[key], args=[int(window * 1_000_000), limit, uuid.uuid4().hex])
    return 0.0 if int(admitted) == 1 else max(int(wait_us), 1) / 1_000_000


class _LocalWindows:
    """The in-process equivalent of the Redis script, for the embedded default."""

    def __init__(self):
        self._lock = threading.Lock()
        self._hits: dict[str, deque] = {}

    def try_acquire(self, key: str, limit: int, window: float) -> float:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) < limit:
                hits.append(now)
                return 0.0
            return max(hits[0] + window - now, 0.001)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


_local_windows = _LocalWindows()


def rate_limit_acquire(*, tiger_id_hash: str, api: str) -> None:
    """Take one call from the developer's budget for this API, waiting briefly if a slot frees
    soon; raise RateLimited (with retry_after) rather than let Tiger refuse the call."""
    limit = api_limit(api)
    if limit is None:
        return
    name = api_name(api)
    window = _window()
    deadline = time.monotonic() + _max_wait()
    key = f"tm:rl:{tiger_id_hash}:{name}"
    client = redis_client()
    while True:
        if client is not None:
            wait = _try_acquire_redis(client, key, limit, window)
        else:
            wait = _local_windows.try_acquire(key, limit, window)
        if wait <= 0:
            return
        remaining = deadline - time.monotonic()
        if wait > remaining:
            retry_after = max(round(wait, 1), 0.1)
            RATE_LIMITED_EVENTS.labels(api=name, source="limiter").inc()
            raise RateLimited(
                RATE_LIMITED.format(limit=limit, api=name, retry_after=_seconds(retry_after)),
                retry_after=retry_after,
            )
        # Another caller may take the freed slot first; then we go round again until the deadline.
        time.sleep(wait + 0.005)


def _seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def rate_limit_reset() -> None:
    """Forget every window (tests, and an operator after changing Tiger plans)."""
    _local_windows.reset()
    client = redis_client()
    if client is not None:
        for key in client.scan_iter(match="tm:rl:*", count=500):
            client.delete(key)


# --- Circuit breaker per account ------------------------------------------------------------------

DEFAULT_FAILURE_THRESHOLD = 5
DEFAULT_COOLDOWN_SECONDS = 30.0

CIRCUIT_OPEN = (
    "Broker calls for account {account} are paused after {failures} consecutive failures "
    "(last: {last_error}). The next attempt is allowed at {retry_at} UTC (in {retry_after} s); "
    "until then use another account or check the account's health in the admin."
)

# A rejected order, a rate limit or a bad argument says nothing about the account's health, so they
# neither open nor close the circuit. Every other BrokerError (unavailable, outcome unknown, bad
# credentials, an unexpected reply) counts as a failure.
NOT_COUNTED = (BrokerRejected, RateLimited, CircuitOpen)


def _threshold() -> int:
    return int(getattr(settings, "MARKETDATA_CIRCUIT_FAILURES", DEFAULT_FAILURE_THRESHOLD))


def _cooldown() -> float:
    return float(getattr(settings, "MARKETDATA_CIRCUIT_COOLDOWN", DEFAULT_COOLDOWN_SECONDS))


def _state_key(account_id: int) -> str:
    return f"tm:circuit:{account_id}"


def _trial_key(account_id: int) -> str:
    return f"tm:circuit:{account_id}:trial"


def circuit_state(account_id: int) -> dict:
    """{"failures", "opened_until" (epoch seconds or None), "last_error"} for one account."""
    state = cache.get(_state_key(account_id))
    return state or {"failures": 0, "opened_until": None, "last_error": ""}


def circuit_is_open(account_id: int) -> bool:
    opened_until = circuit_state(account_id)["opened_until"]
    return bool(opened_until and opened_until > time.time())


def circuit_check(account_id: int, *, label: str | None = None) -> None:
    """Raise CircuitOpen while the account's circuit is open. After the cool-down exactly one caller
    (across processes) gets through as the trial; the others keep being refused until it reports."""
    state = circuit_state(account_id)
    opened_until = state["opened_until"]
    if not opened_until:
        return
    now = time.time()
    if opened_until <= now and cache.add(_trial_key(account_id), 1, timeout=max(int(_cooldown()), 1)):
        return
    retry_after = max(opened_until - now, 1.0)
    retry_at = datetime.fromtimestamp(max(opened_until, now + 1), tz=dt_timezone.utc)
    raise CircuitOpen(
        CIRCUIT_OPEN.format(
            account=label or f"#{account_id}",
            failures=state["failures"],
            last_error=state.get("last_error") or "unknown",
            retry_at=retry_at.strftime("%H:%M:%S"),
            retry_after=_seconds(retry_after),
        ),
        extra={"retry_after_seconds": round(retry_after, 1), "retry_at": retry_at.isoformat()},
    )


def circuit_record_success(account_id: int) -> None:
    """Close the circuit: forget the failure count and any trial marker (one round trip; deleting a
    missing key is harmless)."""
    cache.delete_many([_state_key(account_id), _trial_key(account_id)])


def circuit_record_failure(account_id: int, error: BaseException | str | None = None, *,
                           account_number: str | None = None) -> dict:
    """Count one failure; open (or re-open, after a failed trial) the circuit at the threshold."""
    state = circuit_state(account_id)
    state = dict(state, failures=state["failures"] + 1)
    if error is not None:
        state["last_error"] = _describe(error)
    if state["failures"] >= _threshold():
        state["opened_until"] = time.time() + _cooldown()
        CIRCUIT_OPENS.labels(account=account_number or f"#{account_id}").inc()
        if state["failures"] == _threshold():
            logger.warning("circuit opened for account id %s after %s failures", account_id, state["failures"])
    # Kept well beyond the cool-down so the failure count survives until a success resets it.
    cache.set(_state_key(account_id), state, timeout=max(int(_cooldown() * 20), 600))
    cache.delete(_trial_key(account_id))
    return state


def _describe(error: BaseException | str) -> str:
    if isinstance(error, str):
        return error[:200]
    code = getattr(error, "code", type(error).__name__)
    message = getattr(error, "message", "") or ""
    return f"{code}: {message}"[:200]


@contextmanager
def circuit_guard(account_id: int, *, label: str | None = None):
    """Wrap one broker call: refuse at once while the circuit is open, then record the outcome.

        with circuit_guard(account.pk, label=account.account_number):
            result = sdk_call()
    """
    circuit_check(account_id, label=label)
    try:
        yield
    except NOT_COUNTED:
        # Says nothing about health, but a trial call must not block the next trial forever.
        cache.delete(_trial_key(account_id))
        raise
    except BrokerError as exc:
        # Unavailable, outcome unknown, bad credentials or an unexpected reply: the account is not
        # usable right now.
        circuit_record_failure(account_id, exc, account_number=label)
        raise
    except Exception:
        cache.delete(_trial_key(account_id))
        raise
    else:
        circuit_record_success(account_id)


__all__ = [
    "rate_limit_acquire", "rate_limit_reset", "tiger_id_hash", "api_limit", "api_name",
    "circuit_guard", "circuit_check", "circuit_record_success", "circuit_record_failure",
    "circuit_state", "circuit_is_open", "RATE_LIMITED", "CIRCUIT_OPEN",
]
