"""Streamable HTTP transport: an ASGI app that authenticates every request, then hands it to the
MCP SDK's session manager.

- `Authorization: Bearer tmmcp_…` must name a usable McpToken (stored hashed; expiry, revocation and
  the client's is_active are checked on every request) → 401 otherwise.
- A browser `Origin` must be loopback or listed in TIGERMCP_MCP_ALLOWED_ORIGINS → 403 otherwise
  (DNS-rebinding and cross-site requests from web pages).
- The Host header must be loopback, the bind address, or in ALLOWED_HOSTS → 421 otherwise.

Used by `run_mcp --transport http` and mountable at /mcp in the project's ASGI app:
`mcp_asgi_app()` returns the instance to route `/mcp` to.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from core.metrics import LOGIN_FAILURES

logger = logging.getLogger(__name__)

ACTOR_SCOPE_KEY = "tigermcp.actor"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
MISSING_TOKEN = "Missing bearer token. Send 'Authorization: Bearer tmmcp_…' with an MCP token created in admin (Accounts › MCP tokens)."
FOREIGN_ORIGIN = "Origin {origin} is not allowed to use this MCP server. Add it to TIGERMCP_MCP_ALLOWED_ORIGINS if it should be."
BAD_HOST = "Host {host} is not served here. Add it to ALLOWED_HOSTS if it should be."
UNKNOWN_SESSION = "No such MCP session for this token. Start a new session (initialize) with your own token."
# Sessions remembered per process; the oldest are forgotten first (they have long ended by then).
MAX_SESSIONS = 10_000


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _reply(send, status: int, code: str, message: str, extra_headers=()) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra_headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class McpHttpApp:
    def __init__(self, *, path: str = "/mcp", bind_host: str = "127.0.0.1"):
        from mcp.server.transport_security import TransportSecuritySettings

        from mcp_bridge.server import build_server

        async def resolve(ctx):
            request = getattr(ctx, "request", None)
            scope = getattr(request, "scope", None) or {}
            return scope.get(ACTOR_SCOPE_KEY)

        self.path = path
        self.bind_host = bind_host
        self.server = build_server(resolve)
        # Host and Origin are checked here (with the project's settings), before authentication.
        self.app = self.server.streamable_http_app(
            streamable_http_path=path,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        # mcp-session-id → the MCP client whose token opened it: a session is only ever continued
        # with a token of the same client (a session id alone must not carry someone's session).
        self._session_owner: OrderedDict[str, int] = OrderedDict()
        self._manager_task: asyncio.Task | None = None
        self._manager_ready: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None

    # -- the SDK's session manager needs a long-lived task group: start it on first use, so the
    #    app works both under a server that sends lifespan events and mounted inside another app.
    async def _ensure_manager(self) -> None:
        if self._manager_task is not None and not self._manager_task.done():
            await self._manager_ready.wait()
            return
        self._manager_ready = asyncio.Event()
        self._stop = asyncio.Event()

        async def run():
            async with self.server.session_manager.run():
                self._manager_ready.set()
                await self._stop.wait()

        self._manager_task = asyncio.ensure_future(run())
        await self._manager_ready.wait()

    async def _shutdown(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._manager_task is not None:
            try:
                await asyncio.wait_for(self._manager_task, timeout=5)
            except (asyncio.TimeoutError, Exception):  # shutting down: nothing left to report to
                self._manager_task.cancel()

    def _host_allowed(self, host: str | None) -> bool:
        if not host:
            return False
        domain, _port = split_domain_port(host)
        if domain in LOOPBACK or domain == self.bind_host:
            return True
        return validate_host(domain, settings.ALLOWED_HOSTS)

    @staticmethod
    def _origin_allowed(origin: str | None) -> bool:
        if not origin:
            return True  # not a browser: MCP clients send no Origin
        if origin in settings.TIGERMCP_MCP_ALLOWED_ORIGINS:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self._shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        host = _header(scope, b"host")
        if not self._host_allowed(host):
            return await _reply(send, 421, "bad_host", BAD_HOST.format(host=host))
        origin = _header(scope, b"origin")
        if not self._origin_allowed(origin):
            logger.warning("MCP HTTP: refused foreign Origin %r", origin)
            return await _reply(send, 403, "foreign_origin", FOREIGN_ORIGIN.format(origin=origin))
        authorization = _header(scope, b"authorization") or ""
        scheme, _, plain = authorization.partition(" ")
        if scheme.lower() != "bearer" or not plain.strip():
            return await _reply(send, 401, "missing_token", MISSING_TOKEN, [(b"www-authenticate", b'Bearer realm="tigermcp"')])
        from accounts.actors import Actor
        from mcp_bridge.context import run_service
        from mcp_bridge.selectors import mcp_token_resolve
        from core.errors import ApplicationError

        try:
            actor = Actor.for_mcp_client((await run_service(mcp_token_resolve, plain=plain.strip())).client)
        except ApplicationError as exc:
            LOGIN_FAILURES.labels(kind="mcp_token").inc()
            return await _reply(send, 401, exc.code, exc.message, [(b"www-authenticate", b'Bearer error="invalid_token"')])
        owner = actor.mcp_client.pk
        session_id = _header(scope, b"mcp-session-id")
        if session_id is not None and self._session_owner.get(session_id, owner) != owner:
            logger.warning("MCP HTTP: client %s tried to continue another client's session", owner)
            return await _reply(send, 404, "unknown_session", UNKNOWN_SESSION)

        async def send_and_record_session(message):
            if message["type"] == "http.response.start":
                for key, value in message.get("headers", []):
                    if key.lower() == b"mcp-session-id":
                        self._remember_session(value.decode("latin-1"), owner)
            await send(message)

        await self._ensure_manager()
        # The SDK routes on the path; a mount may hand us a prefix-stripped path.
        scope = {**scope, ACTOR_SCOPE_KEY: actor, "path": self.path}
        await self.app(scope, receive, send_and_record_session)

    def _remember_session(self, session_id: str, owner: int) -> None:
        self._session_owner.setdefault(session_id, owner)
        self._session_owner.move_to_end(session_id)
        while len(self._session_owner) > MAX_SESSIONS:
            self._session_owner.popitem(last=False)


_app: McpHttpApp | None = None


def mcp_asgi_app() -> McpHttpApp:
    """The one /mcp app of this process (for tigermcp/asgi.py to route to)."""
    global _app
    if _app is None:
        _app = McpHttpApp(path="/mcp")
    return _app


def mount_mcp(app, *, path: str = "/mcp"):
    """Wrap the project's HTTP ASGI app so that `path` goes to the MCP transport and everything
    else to `app`: in tigermcp/asgi.py, `"http": mount_mcp(django_asgi_app)`."""
    mcp_app = None

    async def router(scope, receive, send):
        nonlocal mcp_app
        if scope["type"] == "http" and (scope["path"] == path or scope["path"] == path + "/"):
            if mcp_app is None:
                mcp_app = mcp_asgi_app()
            return await mcp_app(scope, receive, send)
        return await app(scope, receive, send)

    return router


def with_metrics(app, *, path: str = "/metrics"):
    """`run_mcp --transport http` answers GET /metrics too, through Django's own view: the same
    rules for who may read (loopback or a staff-owned API token) and the same figures as the web
    app's, for this process (or for all of them, with PROMETHEUS_MULTIPROC_DIR)."""
    from django.core.asgi import get_asgi_application

    django_app = get_asgi_application()

    async def router(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == path:
            return await django_app(scope, receive, send)
        return await app(scope, receive, send)

    return router
