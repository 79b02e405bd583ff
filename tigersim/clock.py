"""The simulator's clock: real time by default, or a chosen instant that runs on from there."""
from __future__ import annotations

import datetime as dt
import threading
import time

UTC = dt.timezone.utc


def _aware(value: dt.datetime) -> dt.datetime:
    # A naive instant is taken as UTC so a test's clock never depends on the machine's zone.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_instant(text: str) -> dt.datetime:
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return _aware(dt.datetime.fromisoformat(text))


class SimClock:
    """``now()`` = anchor + elapsed monotonic time (times ``speed``), unless frozen.

    Tests set it inside a trading session whatever the wall-clock time is, then either let it run
    (``frozen=False``) or step it by hand (``advance``).
    """

    def __init__(self, start: dt.datetime | str | None = None, frozen: bool = False, speed: float = 1.0):
        self._lock = threading.Lock()
        self._speed = speed
        self._frozen = frozen
        if isinstance(start, str):
            start = parse_instant(start)
        self._anchor = _aware(start) if start is not None else None
        self._mono = time.monotonic()

    @property
    def follows_real_time(self) -> bool:
        return self._anchor is None

    def now(self) -> dt.datetime:
        with self._lock:
            if self._anchor is None:
                return dt.datetime.now(UTC)
            if self._frozen:
                return self._anchor
            elapsed = (time.monotonic() - self._mono) * self._speed
            return self._anchor + dt.timedelta(seconds=elapsed)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def set(self, instant: dt.datetime | str) -> None:
        if isinstance(instant, str):
            instant = parse_instant(instant)
        with self._lock:
            self._anchor = _aware(instant)
            self._mono = time.monotonic()

    def advance(self, seconds: float) -> dt.datetime:
        current = self.now()
        self.set(current + dt.timedelta(seconds=seconds))
        return self.now()

    def freeze(self) -> None:
        current = self.now()
        with self._lock:
            self._anchor, self._frozen = current, True

    def unfreeze(self) -> None:
        current = self.now()
        with self._lock:
            self._anchor, self._frozen, self._mono = current, False, time.monotonic()
