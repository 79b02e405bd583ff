"""Sessions of the handshake-era MCP protocol (2024-11-05 … 2025-11-25) over streamable HTTP, kept
where every web process can read them.

The SDK keeps a session (its transport and server task) in the memory of the process that answered
`initialize`; behind a load balancer the next request of the session reaches another process,
which answers 404. Here nothing of a session lives in a process: `initialize` opens a record
(id → the MCP client that opened it, the negotiated protocol version) in Redis, each request is
served on its own by whichever process receives it (the SDK's per-request, "stateless" handling),
after the record is found and its owner matched. A process that dies takes no session with it.

Server-initiated messages for a session (the GET stream) go through a Redis channel per session,
so `session_publish` from any process reaches the process holding that client's GET stream.

Without REDIS_URL (the embedded single-process default) the same records live in this process.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.conf import settings

# A session no request has touched for this long is forgotten (the SDK's own default idle timeout).
SESSION_IDLE_SECONDS = 30 * 60
KEY_PREFIX = "tigermcp:mcp:session:"
# Where a handshake-era HTTP request carries its McpSession in the ASGI scope (set by mcp_bridge.asgi).
SESSION_SCOPE_KEY = "tigermcp.mcp_session"
CHANNEL_PREFIX = "tigermcp:mcp:session-events:"


@dataclass(frozen=True)
class McpSession:
    id: str
    owner: int  # the McpClient whose token opened it
    protocol_version: str


def _encode(session: McpSession) -> str:
    return json.dumps({"owner": session.owner, "protocol_version": session.protocol_version})


def _decode(session_id: str, raw: bytes | str | None) -> McpSession | None:
    if raw is None:
        return None
    data = json.loads(raw)
    return McpSession(id=session_id, owner=data["owner"], protocol_version=data["protocol_version"])


class RedisSessionStore:
    def __init__(self, url: str, idle_seconds: int = SESSION_IDLE_SECONDS):
        self.url = url
        self.idle_seconds = idle_seconds
        self._clients: dict[asyncio.AbstractEventLoop, object] = {}

    def _redis(self):
        import redis.asyncio as redis

        # A client's connections belong to the event loop that opened them.
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            self._clients[loop] = redis.from_url(self.url)
        return self._clients[loop]

    async def open(self, *, owner: int, protocol_version: str) -> McpSession:
        session = McpSession(id=secrets.token_hex(16), owner=owner, protocol_version=protocol_version)
        await self._redis().set(KEY_PREFIX + session.id, _encode(session), ex=self.idle_seconds)
        return session

    async def get(self, session_id: str) -> McpSession | None:
        """The session, its idle time restarted; None when it never was, ended or expired."""
        return _decode(session_id, await self._redis().getex(KEY_PREFIX + session_id, ex=self.idle_seconds))

    async def close(self, session_id: str) -> None:
        await self._redis().delete(KEY_PREFIX + session_id)
        await self.publish(session_id, None)

    async def publish(self, session_id: str, message: dict | None) -> None:
        """Sends a JSON-RPC message to the session's GET stream, wherever it is held; None ends it."""
        await self._redis().publish(CHANNEL_PREFIX + session_id, json.dumps(message))

    async def listen(self, session_id: str, *, keepalive: float) -> AsyncIterator[dict | None]:
        """The messages published to the session, in order; None every `keepalive` seconds of quiet.
        Ends when the session is closed."""
        pubsub = self._redis().pubsub()
        await pubsub.subscribe(CHANNEL_PREFIX + session_id)
        try:
            while True:
                received = await pubsub.get_message(ignore_subscribe_messages=True, timeout=keepalive)
                if received is None:
                    yield None
                    continue
                message = json.loads(received["data"])
                if message is None:
                    return
                yield message
        finally:
            await pubsub.aclose()


class MemorySessionStore:
    """One process's sessions: the embedded default, where there is no Redis and one process."""

    def __init__(self, idle_seconds: int = SESSION_IDLE_SECONDS):
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, tuple[McpSession, float]] = {}
        self._listeners: dict[str, set[asyncio.Queue]] = {}

    async def open(self, *, owner: int, protocol_version: str) -> McpSession:
        session = McpSession(id=secrets.token_hex(16), owner=owner, protocol_version=protocol_version)
        self._sessions[session.id] = (session, asyncio.get_running_loop().time())
        return session

    async def get(self, session_id: str) -> McpSession | None:
        now = asyncio.get_running_loop().time()
        found = self._sessions.get(session_id)
        if found is None or now - found[1] > self.idle_seconds:
            self._sessions.pop(session_id, None)
            return None
        self._sessions[session_id] = (found[0], now)
        return found[0]

    async def close(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)
        await self.publish(session_id, None)

    async def publish(self, session_id: str, message: dict | None) -> None:
        for queue in self._listeners.get(session_id, ()):
            queue.put_nowait(message)

    async def listen(self, session_id: str, *, keepalive: float) -> AsyncIterator[dict | None]:
        queue: asyncio.Queue = asyncio.Queue()
        self._listeners.setdefault(session_id, set()).add(queue)
        try:
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=keepalive)
                except asyncio.TimeoutError:
                    yield None
                    continue
                if message is None:
                    return
                yield message
        finally:
            self._listeners[session_id].discard(queue)


_store: RedisSessionStore | MemorySessionStore | None = None


def session_store() -> RedisSessionStore | MemorySessionStore:
    """This process's view of the MCP sessions: Redis when REDIS_URL is set (several processes)."""
    global _store
    if _store is None:
        _store = RedisSessionStore(settings.REDIS_URL) if settings.REDIS_URL else MemorySessionStore()
    return _store


async def session_publish(session_id: str, message: dict) -> None:
    """Sends a server-initiated JSON-RPC notification to an open session's GET stream, from any process."""
    await session_store().publish(session_id, message)

