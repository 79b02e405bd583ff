"""Version stamps shared by every process: "has this kind of data changed since I last read it?"

A process may keep a copy of data that is read on every call (who may read which account; the quote
generation) as long as the stamp it read before loading the copy is still current. Whoever changes
the data bumps the stamp after committing, and every process sees the new stamp on its next call.

Where the stamp lives:
- with REDIS_URL (the shared cache of every web, MCP and Celery process, on any host): a random token
  under one cache key, read with one GET per check;
- without it (the embedded default: one host, one data folder): a file in TIGERMCP_DATA_DIR that each
  bump appends a byte to; a check is one stat() call, which costs microseconds and does not hand the
  interpreter lock to another thread, as a network round trip does. (inode, size, modification time)
  never repeats, even if the file is removed and made again.

With Redis, concurrent readers of one stamp in a process share round trips (_SharedRead): a caller
takes the answer of a read that began after it arrived, so it sees every bump that had completed by
then (as its own GET would), while a burst of 50 callers costs a couple of GETs, not 50 of them each
handing the interpreter lock to the others.
"""

from __future__ import annotations

import functools
import os
import threading
import time
import uuid

from django.conf import settings

KEY = "tm:stamp:{name}"


def stamp(name: str, *, max_age: float = 0.0):
    """The current stamp of `name`: compare with ==. Raises if the shared cache cannot be reached
    (callers then read the data itself). With Redis, `max_age` (seconds) lets a caller whose copies
    may lag anyway take a read that began up to that long before it asked; 0 means one that began
    after (every bump completed before the call is seen)."""
    if settings.REDIS_URL:
        key = (settings.REDIS_URL, name)
        reader = _readers.get(key)
        if reader is None:
            with _readers_lock:
                reader = _readers.setdefault(key, _SharedRead(functools.partial(_redis_stamp, name)))
        return reader.get(max_age)
    path = _path(name)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        bump(name)
        st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def bump(name: str) -> None:
    """Make every copy made under the current stamp of `name` stale, in every process."""
    if settings.REDIS_URL:
        from django.core.cache import cache

        cache.set(KEY.format(name=name), uuid.uuid4().hex, timeout=None)
        reader = _readers.get((settings.REDIS_URL, name))
        if reader is not None:
            reader.forget()
        return
    path = _path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, b".")
    finally:
        os.close(fd)


def _path(name: str):
    return settings.DATA_DIR / "stamps" / name


def _redis_stamp(name: str):
    from django.core.cache import cache

    key = KEY.format(name=name)
    value = cache.get(key)
    if value is None:  # never bumped, or the cache was emptied: a new stamp, so no old copy matches
        value = uuid.uuid4().hex
        if not cache.add(key, value, timeout=None):
            value = cache.get(key) or value
    return value


class _SharedRead:
    """Concurrent calls of `fetch` share its runs. Runs are numbered in the order they begin; a caller
    needs the first run to begin after it arrived (number `started + 1` then), waits while another run
    is going, starts the next one itself if none is, and returns once a run at least that new is done.
    A caller with a `max_age` takes the last run's answer if that run began at most so long before."""

    def __init__(self, fetch):
        self._fetch = fetch
        self._cond = threading.Condition()
        self._started = self._done = 0
        self._running = False
        self._value = self._error = None
        self._began = float("-inf")  # when the last finished run began (time.monotonic)
        self._floor = float("-inf")  # no run that began before this may answer a max_age caller

    def forget(self) -> None:
        """This process changed the value: a `max_age` caller must not be given an earlier read."""
        with self._cond:
            self._floor = time.monotonic()

    def get(self, max_age: float = 0.0):
        arrived = time.monotonic()
        with self._cond:
            if max_age and self._error is None and self._began >= max(arrived - max_age, self._floor):
                return self._value
            needed = self._started + 1
            while self._done < needed:
                if self._running:
                    self._cond.wait()
                    continue
                self._running = True
                self._started += 1
                number, began = self._started, time.monotonic()
                self._cond.release()
                try:
                    value, error = self._fetch(), None
                except Exception as exc:  # noqa: BLE001 - handed to every caller waiting on this read
                    value, error = None, exc
                finally:
                    self._cond.acquire()
                self._value, self._error, self._done, self._running, self._began = value, error, number, False, began
                self._cond.notify_all()
            if self._error is not None:
                raise self._error
            return self._value


_readers: dict[tuple, _SharedRead] = {}
_readers_lock = threading.Lock()
