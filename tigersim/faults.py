"""Scripted and random fault injection, per gateway method.

Kinds (``params`` in brackets):

* ``latency`` [seconds]: sleep before handling.
* ``http_error`` [status=503, body]: reply with that HTTP status; nothing is processed.
* ``drop`` : close the connection without a reply; nothing is processed.
* ``drop_after_accept`` [seconds]: process the request (the order exists), then close the
  connection without a reply; with ``seconds``, sleep that long before replying instead (set it
  above the client's timeout).
* ``rate_limit`` [status=200]: Tiger's per-interface limit reply (code 4); ``status=429`` gives
  the HTTP 429 / code 5 variant.
* ``server_error``: code 1 "server error" with HTTP 200.
* ``reject`` [code, message]: place_order refused with a trade error (no order is created).
* ``inactivate`` [message]: place_order accepted, then the order goes Inactive with the message.
* ``partial_fill`` [quantity | ratio=0.5]: the placed order stops filling at that quantity.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = {"latency", "http_error", "drop", "drop_after_accept", "rate_limit", "server_error", "reject",
         "inactivate", "partial_fill"}
ORDER_ONLY = {"reject", "inactivate", "partial_fill"}
DEFAULT_RANDOM_KINDS = ("latency", "http_error", "drop_after_accept", "rate_limit", "partial_fill")


@dataclass
class Fault:
    method: str
    kind: str
    times: int | None  # None: until cleared
    params: dict = field(default_factory=dict)
    fired: int = 0


class FaultInjector:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random: dict | None = None
        self._rng = random.Random(0)
        self.history: list[tuple[str, str]] = []

    def inject(self, method: str, kind: str, times: int | None = 1, **params) -> Fault:
        """Script a fault for the next ``times`` calls of ``method`` ("*" matches every method)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(KINDS)}")
        if kind in ORDER_ONLY and method not in ("place_order", "*"):
            raise ValueError(f"{kind} applies to place_order only")
        fault = Fault(method, kind, times, params)
        with self._lock:
            self._faults.append(fault)
        return fault

    def random_mode(self, probability: float, seed: int = 0, kinds=DEFAULT_RANDOM_KINDS, methods=None,
                    **params) -> None:
        """Fire a random fault on each matching call with ``probability``, reproducibly for a seed."""
        unknown = set(kinds) - KINDS
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        with self._lock:
            self._random = {"probability": probability, "kinds": tuple(kinds),
                            "methods": set(methods) if methods else None, "params": params}
            self._rng = random.Random(seed)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._random = None

    def pending(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for f in self._faults if method in (None, f.method))

    def take(self, method: str) -> Fault | None:
        """The fault to apply to this call, consuming one use of it."""
        with self._lock:
            for fault in self._faults:
                if fault.method in (method, "*") and (fault.kind not in ORDER_ONLY or method == "place_order"):
                    fault.fired += 1
                    if fault.times is not None and fault.fired >= fault.times:
                        self._faults.remove(fault)
                    self.history.append((method, fault.kind))
                    return fault
            cfg = self._random
            if cfg and (cfg["methods"] is None or method in cfg["methods"]):
                if self._rng.random() < cfg["probability"]:
                    kinds = [k for k in cfg["kinds"] if k not in ORDER_ONLY or method == "place_order"]
                    if kinds:
                        kind = self._rng.choice(kinds)
                        params = dict(cfg["params"])
                        if kind == "latency":
                            params.setdefault("seconds", 0.05)
                        self.history.append((method, kind))
                        return Fault(method, kind, 1, params, 1)
        return None
