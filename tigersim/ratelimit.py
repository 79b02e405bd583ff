"""Tiger's per-interface rate limits, per developer, over rolling windows."""
from __future__ import annotations

import threading
import time
from collections import deque

# Requests per window (60 s at Tiger), from Tiger's published limits.
HIGH = 120
MEDIUM = 60
LOW = 10
LIMITS = {
    "place_order": HIGH, "modify_order": HIGH, "cancel_order": HIGH, "orders": HIGH, "active_orders": HIGH,
    "inactive_orders": HIGH, "filled_orders": HIGH, "order_no": HIGH, "preview_order": HIGH,
    "quote_real_time": HIGH, "trade_tick": HIGH, "brief": HIGH,
    "positions": MEDIUM, "assets": MEDIUM, "prime_assets": MEDIUM, "contract": MEDIUM, "contracts": MEDIUM,
    "kline": MEDIUM, "option_chain": MEDIUM, "option_expiration": MEDIUM, "accounts": MEDIUM,
    "financial_exchange_rate": MEDIUM, "order_transactions": MEDIUM, "analytics_asset": MEDIUM,
    "estimate_tradable_quantity": MEDIUM,
    "market_state": LOW, "grab_quote_permission": LOW, "get_quote_permission": LOW, "all_symbols": LOW,
    "all_symbol_names": LOW,
}
UNLIMITED = {"user_license"}


def limit_message(method: str, limit: int) -> str:
    return f"rate limit error(current limiting interface:{method}, up to {limit} times per minute)"


class RateLimiter:
    def __init__(self, window_seconds: float = 60.0, limits: dict[str, int] | None = None):
        self.window = window_seconds
        self.limits = dict(LIMITS if limits is None else limits)
        self._hits: dict[tuple[str, str], deque] = {}
        self._lock = threading.Lock()
        self.enabled = True

    def limit_for(self, method: str) -> int | None:
        if method in UNLIMITED:
            return None
        return self.limits.get(method, MEDIUM)

    def check(self, tiger_id: str, method: str) -> int | None:
        """Record a call; return the limit it broke, or None when allowed."""
        limit = self.limit_for(method)
        if not self.enabled or limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault((tiger_id, method), deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return limit
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
