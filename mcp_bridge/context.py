"""Who is calling, for the duration of one MCP message.

The identity is resolved per inbound message by the server middleware (stdio: the configured client;
HTTP: the bearer token the ASGI wrapper authenticated) and kept in a context variable, never a
global: concurrent HTTP requests from different clients each see their own actor. anyio copies the
context into worker threads, so service calls made through `run_service` see it too.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from django.db import close_old_connections

from accounts.actors import Actor
from tigermcp.errors import PermissionDenied

T = TypeVar("T")

NO_IDENTITY = "This MCP connection has no identity. Connect with a bearer token (HTTP) or a configured MCP client (stdio)."

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


def _closing(fn: Callable[..., T], *args, **kwargs) -> T:
    # Worker threads are pooled and Django never closes their connections on its own: drop stale
    # ones before (and, with CONN_MAX_AGE=0, every one after) so no connection outlives its use.
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def run_service(fn: Callable[..., T], *args, **kwargs) -> T:
    """Run a synchronous service/selector (ORM, broker) off the event loop."""
    return await anyio.to_thread.run_sync(lambda: _closing(fn, *args, **kwargs))
