"""Streamable HTTP transport: an ASGI app that authenticates every request, then hands it to the
MCP SDK's session manager.

- `Authorization: Bearer tmmcp_…` must name a usable McpToken (stored hashed; expiry, revocation and
  the client's is_active are checked on every request) → 401 otherwise.
- A browser `Origin` must be loopback or listed in TIGERMCP_MCP_ALLOWED_ORIGINS → 403 otherwise
  (DNS-rebinding and cross-site requests from web pages).
- The Host header must be loopback, the bind address, or in ALLOWED_HOSTS → 421 otherwise.

Sessions: the current protocol (2026-07-28) carries everything in each request. A session of the
handshake-era protocol (the mcp client's legacy mode, 2024-11-05 … 2025-11-25) is a record in Redis
(mcp_bridge.sessions), and each of its requests is served on its own by whichever process gets it,
so any number of web processes behind a load balancer serve both, and one may die mid-session.

Used by `run_mcp --transport http` and mountable at /mcp in the project's ASGI app:
`mcp_asgi_app()` returns the instance to route `/mcp` to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import urlsplit

import anyio
from django.conf import settings
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION, MODERN_PROTOCOL_VERSIONS

from core.metrics import LOGIN_FAILURES
from core.request_headers import request_id_from
from mcp_bridge.context import REQUEST_ID_SCOPE_KEY
from mcp_bridge.sessions import SESSION_SCOPE_KEY, McpSession, session_store

logger = logging.getLogger(__name__)

ACTOR_SCOPE_KEY = "tigermcp.actor"
TOOLSETS_SCOPE_KEY = "tigermcp.toolsets"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
MISSING_TOKEN = "Missing bearer token. Send 'Authorization: Bearer tmmcp_…' with an MCP token created in admin (Accounts › MCP tokens)."
FOREIGN_ORIGIN = "Origin {origin} is not allowed to use this MCP server. Add it to TIGERMCP_MCP_ALLOWED_ORIGINS if it should be."
BAD_HOST = "Host {host} is not served here. Add it to ALLOWED_HOSTS if it should be."
UNKNOWN_SESSION = "No such MCP session for this token. Start a new session (initialize) with your own token."
UNAVAILABLE = "The server cannot reach its database right now. Retry in a few seconds."
NO_SESSION = "Open a session first: POST an initialize request, then send its mcp-session-id header."
TOO_LARGE = "Request body over {limit} bytes. Send smaller MCP messages."
# The SDK's own limit on a request body (checked here too: the body of an initialize is read here).
MAX_BODY = 4 * 1024 * 1024
# A GET stream quiet this long gets an SSE comment, so proxies (nginx: 60 s) keep it open.
KEEPALIVE_SECONDS = 20


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _query_toolsets(scope, default: frozenset[str]) -> frozenset[str]:
    """?toolsets=core,options on the MCP URL (clients send the same URL with every message)."""
    from urllib.parse import parse_qs

    from mcp_bridge.toolsets import toolsets_parse

    values = parse_qs((scope.get("query_string") or b"").decode("latin-1")).get("toolsets")
    return toolsets_parse(",".join(values), default=default) if values else default


async def _reply(send, status: int, code: str, message: str, extra_headers=()) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra_headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class McpHttpApp:
    def __init__(self, *, path: str = "/mcp", bind_host: str = "127.0.0.1", toolsets: frozenset[str] | None = None):
        from mcp.server.transport_security import TransportSecuritySettings

        from mcp_bridge.server import build_server
        from mcp_bridge.toolsets import deployment_toolsets

        def scope_of(ctx) -> dict:
            request = getattr(ctx, "request", None)
            return getattr(request, "scope", None) or {}

        async def resolve(ctx):
            return scope_of(ctx).get(ACTOR_SCOPE_KEY)

        # What a request gets without ?toolsets=: run_mcp's --toolsets, else the deployment's.
        self.toolsets = toolsets if toolsets is not None else deployment_toolsets()

        def resolve_toolsets(ctx):
            return scope_of(ctx).get(TOOLSETS_SCOPE_KEY) or self.toolsets

        self.path = path
        self.bind_host = bind_host
        self.server = build_server(resolve, resolve_toolsets)
        # Host and Origin are checked here (with the project's settings), before authentication.
        # Stateless: the SDK keeps nothing between requests; sessions are mcp_bridge.sessions' records.
        self.app = self.server.streamable_http_app(
            streamable_http_path=path,
            stateless_http=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.sessions = session_store()
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
        except DatabaseError:
            logger.exception("MCP HTTP: could not check a token")
            return await _reply(send, 503, "unavailable", UNAVAILABLE, [(b"retry-after", b"5")])
        try:
            toolsets = _query_toolsets(scope, self.toolsets)
        except ApplicationError as exc:
            return await _reply(send, 400, exc.code, exc.message)
        await self._ensure_manager()
        # The SDK routes on the path; a mount may hand us a prefix-stripped path.
        # The caller's X-Request-ID when well-formed, else a new one: in every log line of the
        # request (mcp_bridge.server.request_id_middleware), in its audit events, and in the reply.
        request_id = request_id_from(_header(scope, b"x-request-id"))
        scope = {**scope, ACTOR_SCOPE_KEY: actor, TOOLSETS_SCOPE_KEY: toolsets, REQUEST_ID_SCOPE_KEY: request_id,
                 "path": self.path}
        send = _with_header(send, b"x-request-id", request_id)
        if _header(scope, b"mcp-protocol-version") in MODERN_PROTOCOL_VERSIONS:
            return await self.app(scope, receive, send)  # each request carries all it needs
        return await self._serve_handshake_era(scope, receive, send, owner=actor.mcp_client.pk)

    async def _serve_handshake_era(self, scope, receive, send, *, owner: int):
        method = scope["method"]
        session_id = _header(scope, b"mcp-session-id")
        if session_id is None:
            if method != "POST":
                return await _reply(send, 400, "no_session", NO_SESSION)
            return await self._serve_opening(scope, receive, send, owner=owner)
        session = await self.sessions.get(session_id)
        # A session id alone must not carry someone's session: only a token of the client that
        # opened it continues it. Someone else's session looks exactly like one that does not exist.
        if session is None or session.owner != owner:
            if session is not None:
                logger.warning("MCP HTTP: client %s tried to continue another client's session", owner)
            return await _reply(send, 404, "unknown_session", UNKNOWN_SESSION)
        if method == "DELETE":
            await self.sessions.close(session.id)
            return await _reply(send, 200, "session_closed", "Session closed.")
        if method == "GET":
            return await self._serve_event_stream(session, receive, send)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"mcp-protocol-version"]
        headers.append((b"mcp-protocol-version", session.protocol_version.encode()))
        scope = {**scope, "headers": headers, SESSION_SCOPE_KEY: session}
        await self.app(scope, receive, _with_session_header(send, session.id))

    async def _serve_opening(self, scope, receive, send, *, owner: int):
        """A POST outside any session: an initialize opens one (its id in the reply's mcp-session-id
        header); anything else is served on its own, as the SDK's stateless mode does."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                return await _reply(send, 413, "too_large", TOO_LARGE.format(limit=MAX_BODY))
            if not message.get("more_body"):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        version = _initialize_version(bytes(body))
        if version is None:
            return await self.app(scope, replay, send)
        session = await self.sessions.open(owner=owner, protocol_version=version)
        status = None

        async def send_opening(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if status < 400:
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"mcp-session-id", session.id.encode())]}
            await send(message)

        try:
            await self.app({**scope, SESSION_SCOPE_KEY: session}, replay, send_opening)
        finally:
            if status is None or status >= 400:  # nothing was opened after all
                await self.sessions.close(session.id)

    async def _serve_event_stream(self, session: McpSession, receive, send):
        """The session's GET stream: what any process publishes to the session (session_publish),
        as server-sent events, until the client goes away or the session is closed."""
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache, no-transform"),
            (b"x-accel-buffering", b"no"), (b"mcp-session-id", session.id.encode())]})
        async with anyio.create_task_group() as tg:

            async def until_disconnect():
                while (await receive())["type"] != "http.disconnect":
                    pass
                tg.cancel_scope.cancel()

            tg.start_soon(until_disconnect)
            await send({"type": "http.response.body", "body": b": stream open\n\n", "more_body": True})
            async for message in self.sessions.listen(session.id, keepalive=KEEPALIVE_SECONDS):
                if message is None:
                    chunk = b": keepalive\n\n"
                    await self.sessions.get(session.id)  # an open stream keeps its session alive
                else:
                    chunk = b"event: message\ndata: " + json.dumps(message).encode() + b"\n\n"
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            tg.cancel_scope.cancel()
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(Exception):  # the client may be gone already
                await send({"type": "http.response.body", "body": b"", "more_body": False})


def _initialize_version(body: bytes) -> str | None:
    """The protocol version an initialize request will be answered with, or None when the body is
    not one (the same rule as the SDK's: the client's version if spoken here, else the latest)."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("method") != "initialize":
        return None
    params = message.get("params")
    requested = params.get("protocolVersion") if isinstance(params, dict) else None
    return requested if requested in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION


def _with_header(send, name: bytes, value: str):
    """`send` with the response's header `name` set to `value`."""

    async def send_with_header(message):
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != name]
            message = {**message, "headers": [*headers, (name, value.encode())]}
        await send(message)

    return send_with_header


def _with_session_header(send, session_id: str):
    return _with_header(send, b"mcp-session-id", session_id)


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
