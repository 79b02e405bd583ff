"""Serve the MCP tools to an assistant: stdio (default) or streamable HTTP.

stdio: stdout carries protocol bytes only (logs go to stderr); the server acts as one configured MCP
client (`--client`, TIGERMCP_MCP_CLIENT, or in the embedded default the "local" client with trade on
the demo paper accounts). HTTP: every request authenticates with an MCP token from admin.
"""

import gc
import importlib
import importlib.util
import logging
import os
import stat
import sys
import types

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

logger = logging.getLogger("mcp_bridge.run_mcp")


def collector_resume() -> None:
    """Turn the garbage collector back on where manage.py turned it off for the start-up. What the
    start-up made is moved out of its sight first (gc.freeze): it lives as long as the process, and
    later collections then only walk what the calls make."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


class _DeferredPackage(types.ModuleType):
    """A package whose own `__init__` runs at the first use of a name it defines, not at the import of
    one of its submodules. Its submodules import as usual."""

    def __getattr__(self, name):
        state = self.__dict__.get("_deferred_init")
        if name.startswith("__") or state is None or state["running"]:
            raise AttributeError(name)
        if any(os.path.exists(os.path.join(folder, name)) or os.path.exists(os.path.join(folder, f"{name}.py"))
               for folder in self.__path__):
            return importlib.import_module(f"{self.__name__}.{name}")  # a submodule not imported yet
        state["running"] = True
        state["loader"].exec_module(self)
        del self.__dict__["_deferred_init"]
        return getattr(self, name)


def defer_package_init(name: str) -> None:
    """`import mcp.server…` runs `mcp/__init__.py` first, which imports the whole mcp client (about 25
    modules, ~40 ms of run_mcp's start-up here) that a server never uses. Here the package's `__init__`
    waits until a name of its own (`mcp.Client`, say) is asked for; nothing changes for code that asks."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return
    package = _DeferredPackage(name)
    package.__spec__, package.__loader__, package.__file__ = spec, spec.loader, spec.origin
    package.__path__, package.__package__ = list(spec.submodule_search_locations), name
    package._deferred_init = {"loader": spec.loader, "running": False}
    sys.modules[name] = package


def uvloop_usable() -> bool:
    """uvloop (where it is installed: not on Windows) takes ~0.5 ms off every tool call, but aborts the
    process (SIGABRT) on a standard stream that is a file or a device such as /dev/null: then asyncio's loop."""
    def pipe_or_socket(fd: int) -> bool:
        mode = os.fstat(fd).st_mode
        return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)

    return importlib.util.find_spec("uvloop") is not None and pipe_or_socket(0) and pipe_or_socket(1)


async def serve_stdio(server) -> None:
    from mcp_bridge.stdio import stdio_pipes

    # MCPServer.run_stdio_async does the same with the SDK's thread-based stdio transport; the
    # low-level server is what it runs, there is no public handle on it.
    lowlevel = server._lowlevel_server
    async with stdio_pipes() as (read_stream, write_stream):
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


class Command(BaseCommand):
    help = "Serve the TigerMCP tools over MCP (stdio by default, or streamable HTTP)."
    # System checks import every URLconf and admin module: seconds an assistant waits for nothing.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
        parser.add_argument("--client", default=None,
                            help="stdio: the MCP client (admin › MCP clients) to act as. Default: "
                                 "TIGERMCP_MCP_CLIENT, or the local demo client in the embedded default.")
        parser.add_argument("--host", default="127.0.0.1", help="http: address to bind (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8765, help="http: port (default 8765).")
        parser.add_argument("--toolsets", default=None,
                            help="Toolsets to list, comma-separated (core, quotes, options, history, research, "
                                 "futures, or all). Default: TIGERMCP_TOOLSETS (core). Over HTTP a client may "
                                 "still ask for others with /mcp?toolsets=….")

    def handle(self, *args, **options):
        # No pages are rendered here; with DEBUG on (TIGERMCP_DEBUG=true) Django would time and keep
        # every SQL statement of a long-lived process, a cost on every tool call for nothing.
        for connection in connections.all():
            connection.force_debug_cursor = False
        settings.DEBUG = False
        from core.errors import ApplicationError
        from mcp_bridge.toolsets import deployment_toolsets, toolsets_parse

        try:
            toolsets = toolsets_parse(options["toolsets"], default=deployment_toolsets())
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if options["transport"] == "http":
            return self._serve_http(options["host"], options["port"], toolsets)
        return self._serve_stdio(options["client"], toolsets)

    def _stdio_actor(self, client_name):
        from accounts.actors import Actor
        from mcp_bridge.selectors import mcp_client_get_active
        from mcp_bridge.services import LOCAL_CLIENT, mcp_local_client_ensure
        from core.errors import ApplicationError

        name = client_name or settings.TIGERMCP_MCP_CLIENT
        try:
            if not name:
                if settings.PRODUCTION:
                    raise CommandError("Name the MCP client to act as: --client NAME or TIGERMCP_MCP_CLIENT "
                                       "(create it and its grants in admin).")
                client = mcp_local_client_ensure(actor=Actor.system("cli", "run_mcp"))
            else:
                client = mcp_client_get_active(name=name)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if client.name == LOCAL_CLIENT and not name:
            logger.info("Acting as the local MCP client (trade on demo paper accounts only).")
        return Actor.for_mcp_client(client)

    def _serve_stdio(self, client_name, toolsets):
        defer_package_init("mcp")
        import anyio

        from django.db import close_old_connections

        actor = self._stdio_actor(client_name)
        # The set-up above ran on this thread; tools run on worker threads with their own connections.
        close_old_connections()

        from mcp_bridge.server import build_server

        async def resolve(ctx):
            return actor

        server = build_server(resolve, lambda ctx: toolsets, registered=toolsets)
        collector_resume()
        logger.info("Serving MCP over stdio as %s (toolsets: %s).", actor.label, ",".join(sorted(toolsets)))
        anyio.run(serve_stdio, server, backend_options={"use_uvloop": uvloop_usable()})

    def _serve_http(self, host, port, toolsets):
        import uvicorn

        from mcp_bridge.asgi import LOOPBACK, McpHttpApp, with_metrics

        if host not in LOOPBACK:
            logger.warning("Binding the MCP HTTP server to %s: reachable beyond this machine. "
                           "Serve it behind TLS.", host)
        app = with_metrics(McpHttpApp(path="/mcp", bind_host=host, toolsets=toolsets))
        collector_resume()
        logger.info("Serving MCP over streamable HTTP at http://%s:%s/mcp (and /metrics)", host, port)
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
        sys.stderr.flush()
