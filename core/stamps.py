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
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings

KEY = "tm:stamp:{name}"


def stamp(name: str):
    """The current stamp of `name`: compare with ==. Raises if the shared cache cannot be reached
    (callers then read the data itself)."""
    if settings.REDIS_URL:
        from django.core.cache import cache

        key = KEY.format(name=name)
        value = cache.get(key)
        if value is None:  # never bumped, or the cache was emptied: a new stamp, so no old copy matches
            value = uuid.uuid4().hex
            if not cache.add(key, value, timeout=None):
                value = cache.get(key) or value
        return value
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
