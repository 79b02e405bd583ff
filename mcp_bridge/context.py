"""Who is calling, for the duration of one MCP message.

The identity is resolved per inbound message by the server middleware (stdio: the configured client;
HTTP: the bearer token the ASGI wrapper authenticated) and kept in a context variable, never a
global: concurrent HTTP requests from different clients each see their own actor. anyio copies the
context into worker threads, so service calls made through `run_service` see it too.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connections

from accounts.actors import Actor
from core.errors import PermissionDenied

T = TypeVar("T")

NO_IDENTITY = "This MCP connection has no identity. Connect with a bearer token (HTTP) or a configured MCP client (stdio)."

# Where the HTTP transport (mcp_bridge.asgi) leaves a request's id for the server's middleware.
REQUEST_ID_SCOPE_KEY = "tigermcp.request_id"

_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("tigermcp_mcp_actor", default=None)


def current_actor() -> Actor:
    actor = _actor.get()
    if actor is None:
        raise PermissionDenied(NO_IDENTITY, code="no_identity")
    return actor


def bind_actor(actor: Actor | None) -> contextvars.Token:
    return _actor.set(actor)


def unbind_actor(token: contextvars.Token) -> None:
    _actor.reset(token)


# Django closes connections at the end of each HTTP request; MCP tool calls run on pooled worker
# threads it knows nothing about. Reconnecting on every call costs more than many tool calls
# themselves, so a worker keeps its connection for CONNECTION_MAX_AGE seconds, like CONN_MAX_AGE
# would, and drops it at once after a database error. Idle workers exit after a few seconds and
# their connections go with them.
CONNECTION_MAX_AGE = 60.0
_opened = threading.local()
# A worker that stops (anyio stops a request task's workers with it, so under load they come and go
# by the second) does not close its connection: it stayed open until the garbage collector found it,
# and a busy process held several times TIGERMCP_MCP_THREADS connections, until PostgreSQL refused
# new ones ("too many clients"). Each call therefore closes the connections stopped workers left.
_kept: dict[threading.Thread, list] = {}
_kept_lock = threading.Lock()


def _release_connections() -> None:
    now = time.monotonic()
    kept = []
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        born = getattr(_opened, conn.alias, None)
        if born is None:
            setattr(_opened, conn.alias, now)
            born = now
        if conn.errors_occurred or conn.in_atomic_block or now - born > CONNECTION_MAX_AGE:
            conn.close()
            setattr(_opened, conn.alias, None)
        else:
            kept.append(conn)
    with _kept_lock:
        if kept:
            _kept[threading.current_thread()] = kept
        else:
            _kept.pop(threading.current_thread(), None)
        orphans = [conn for thread in [t for t in _kept if not t.is_alive()] for conn in _kept.pop(thread)]
    for conn in orphans:
        try:
            conn.inc_thread_sharing()  # its own thread is gone: nobody else uses it
            conn.close()
        except Exception:  # noqa: BLE001 - a connection the server already dropped
            pass


def _closing(loop, fn: Callable[..., T], *args, **kwargs) -> T:
    # As in Django's own sync_to_async threads: async_to_sync in a service (trading.live's publish
    # after commit) then runs its coroutine on this server's loop. The in-memory channel layer is
    # not thread-safe, so an update published from another loop would not wake its reader here.
    SyncToAsync.threadlocal.main_event_loop = loop
    SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
    try:
        return fn(*args, **kwargs)
    finally:
        _release_connections()


# Each worker thread keeps a database connection (above), so the threads of one process are its
# connections: TIGERMCP_MCP_THREADS bounds them (several web processes share the server's
# max_connections). Calls beyond it wait on the event loop for a free thread.
_limiters: dict[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = {}


def _threads() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = anyio.CapacityLimiter(settings.TIGERMCP_MCP_THREADS)
    return _limiters[loop]


async def run_service(fn: Callable[..., T], *args, **kwargs) -> T:
    """Run a synchronous service/selector (ORM, broker) off the event loop."""
    loop = asyncio.get_running_loop()
    return await anyio.to_thread.run_sync(lambda: _closing(loop, fn, *args, **kwargs), limiter=_threads())
