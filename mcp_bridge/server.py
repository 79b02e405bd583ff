"""The MCP server: one MCPServer whose tools are thin adapters over the services.

Identity is resolved per inbound message by `identity_middleware` (see mcp_bridge.context); the
tool list is built per caller, so write tools are not listed where the deployment or the caller
is read-only. Services enforce every rule again: hiding is a courtesy to the model, not security.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import typing
import uuid
from collections.abc import Awaitable, Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, ValidationError

from accounts.actors import Actor
from core.metrics import request_record
from core.request_context import request_id_bind, request_id_current, request_id_unbind
from mcp_bridge.about import INSTRUCTIONS, SERVER_NAME, SERVER_VERSION
from mcp_bridge.adapter import call_outcome, input_error
from mcp_bridge.context import REQUEST_ID_SCOPE_KEY, bind_actor, run_service, unbind_actor
from mcp_bridge.schemas import compact_schema
from mcp_bridge.selectors import actor_can_trade

logger = logging.getLogger(__name__)
requests_logger = logging.getLogger("tigermcp.requests")


ActorResolver = Callable[[object], Awaitable[Actor | None]]
# The toolsets a message may use (mcp_bridge.toolsets); None: the deployment's.
ToolsetResolver = Callable[[object], frozenset[str]]


def identity_middleware(resolve_actor: ActorResolver, resolve_toolsets: ToolsetResolver | None = None):
    from mcp_bridge.params import WRITE_TOOLS
    from mcp_bridge.tools import TOOLSET_OF
    from mcp_bridge.toolsets import deployment_toolsets, not_enabled_message

    default_toolsets = deployment_toolsets()

    async def middleware(ctx, call_next):
        actor = await resolve_actor(ctx)
        if actor is not None:
            # One request id per message (request_id_middleware's), so the audit trail can tell
            # calls apart and the logs can follow one.
            actor = dataclasses.replace(actor, request_id=request_id_current() or uuid.uuid4().hex)
        enabled = resolve_toolsets(ctx) if resolve_toolsets is not None else default_toolsets
        if ctx.method == "tools/call":
            name = (ctx.params or {}).get("name")
            toolset = TOOLSET_OF.get(name)
            if toolset is not None and toolset not in enabled:
                return CallToolResult(content=[TextContent(type="text", text=not_enabled_message(name, toolset, enabled))],
                                      is_error=True)
        token = bind_actor(actor)
        try:
            result = await call_next(ctx)
            if ctx.method == "tools/list" and result is not None:
                hidden = {n for n, t in TOOLSET_OF.items() if t not in enabled}
                if actor is None or not await run_service(actor_can_trade, actor):
                    hidden |= WRITE_TOOLS
                if isinstance(result, dict):
                    result = {**result, "tools": [t for t in result.get("tools", []) if t.get("name") not in hidden]}
                else:
                    result = result.model_copy(update={"tools": [t for t in result.tools if t.name not in hidden]})
            return result
        finally:
            unbind_actor(token)

    return middleware


def request_id_middleware():
    """Outermost: the message's request id, bound for every log line it causes (core.request_context).
    Over HTTP it is the one the ASGI app chose (the caller's X-Request-ID when well-formed, else a
    new one; returned in the response's X-Request-ID); over stdio a new one per message."""

    async def middleware(ctx, call_next):
        scope = getattr(getattr(ctx, "request", None), "scope", None) or {}
        token = request_id_bind(scope.get(REQUEST_ID_SCOPE_KEY) or uuid.uuid4().hex)
        try:
            return await call_next(ctx)
        finally:
            request_id_unbind(token)

    return middleware


def metrics_middleware(tool_names: set[str]):
    """Counts and times every tool call (door "mcp"): status "ok", or the error code the model was
    given. A name we do not publish is counted as "unknown_tool", never as itself (unbounded)."""

    async def middleware(ctx, call_next):
        if ctx.method != "tools/call":
            return await call_next(ctx)
        name = ctx.params.get("name") if ctx.params else None
        tool = name if name in tool_names else "unknown_tool"
        holder: dict = {}
        token = call_outcome.set(holder)
        started = time.perf_counter()
        status = "internal_error"
        try:
            result = await call_next(ctx)
            match result:
                case CallToolResult(is_error=True) | {"isError": True}:
                    status = holder.get("code", "tool_error")
                case _:
                    status = "ok"
            return result
        except MCPError as exc:
            status = f"jsonrpc_{exc.error.code}"
            raise
        except ValidationError:
            status = "invalid_params"
            raise
        finally:
            call_outcome.reset(token)
            seconds = time.perf_counter() - started
            request_record(door="mcp", endpoint=tool, status=status, seconds=seconds)
            requests_logger.info("mcp tools/call %s %s %.0f ms", tool, status, seconds * 1000)

    return middleware


class CheckedTool(Tool):
    """A tool whose argument errors tell the model how to fix the call (mcp_bridge.adapter.input_error)
    instead of pydantic's text, with its type names and documentation URLs."""

    async def run(self, arguments, context, convert_result: bool = False):
        try:
            self.fn_metadata.validate_arguments(arguments)
        except ValidationError as exc:
            raise input_error(self.name, exc, self.parameters) from exc
        return await super().run(arguments, context, convert_result=convert_result)


def subscriptions_middleware(events):
    """`subscriptions/listen` with resource URIs: the caller must be able to read each one (refused
    with the read check's message otherwise); while the stream is open this process follows the
    accounts it names (mcp_bridge.events)."""
    from core.errors import ApplicationError
    from mcp_bridge.context import current_actor
    from mcp_bridge.events import refused, subscription_accounts

    async def middleware(ctx, call_next):
        if ctx.method != "subscriptions/listen":
            return await call_next(ctx)
        uris = ((ctx.params or {}).get("notifications") or {}).get("resourceSubscriptions") or []
        try:
            accounts = await run_service(subscription_accounts, actor=current_actor(), uris=uris)
        except ApplicationError as exc:
            raise refused(exc) from None
        async with events.watching(accounts):
            return await call_next(ctx)

    return middleware


def add_legacy_subscriptions(server: MCPServer, events) -> None:
    """`resources/subscribe` and `resources/unsubscribe` of the session-based protocol: the same
    read check, and updates sent on the subscribing session."""
    import mcp_types as types

    from core.errors import ApplicationError
    from mcp_bridge.context import current_actor
    from mcp_bridge.events import HttpSession, refused, subscription_accounts

    async def subscribe(ctx, params: types.SubscribeRequestParams) -> types.EmptyResult:
        uri = str(params.uri)
        try:
            accounts = await run_service(subscription_accounts, actor=current_actor(), uris=[uri])
        except ApplicationError as exc:
            raise refused(exc) from None
        await events.legacy_subscribe(subscriber(ctx), uri, accounts)
        return types.EmptyResult()

    async def unsubscribe(ctx, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        await events.legacy_unsubscribe(subscriber(ctx), str(params.uri))
        return types.EmptyResult()

    def subscriber(ctx):
        # Over HTTP each request has a session object of its own (mcp_bridge.sessions keeps the
        # session): updates go to the session's GET stream. Over stdio, the one session.
        request = getattr(ctx, "request", None)
        session_id = request.headers.get("mcp-session-id") if request is not None else None
        return HttpSession(session_id) if session_id else ctx.session

    # MCPServer has no public handle on these; its low-level server takes any request handler.
    lowlevel = server._lowlevel_server
    lowlevel.add_request_handler("resources/subscribe", types.SubscribeRequestParams, subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", types.UnsubscribeRequestParams, unsubscribe)


def build_tools(toolsets: frozenset[str] | None = None) -> list[Tool]:
    """The tools of `toolsets` (None: every tool), with compact schemas (mcp_bridge.schemas.compact_schema)."""
    from mcp_bridge import tools

    chosen: list[tuple[Callable, dict]] = []

    def add(fn, **options) -> None:
        if toolsets is not None and tools.TOOLSET_OF.get(fn.__name__, "core") not in toolsets:
            return  # each tool costs its schemas' build at start-up (run_mcp's time to first tools/list)
        chosen.append((fn, options))

    tools.register(add)
    outputs = output_schemas([fn for fn, _ in chosen])
    built = []
    for fn, options in chosen:
        if fn in outputs:
            # The SDK would build the same schema tool by tool; output_schemas built them in one pass.
            tool = CheckedTool.from_function(fn, structured_output=False, **options)
            # FuncMetadata's fields are read on each call (its documented contract): results are
            # validated against the return type's model, the schema is what is published.
            tool.fn_metadata.output_model, tool.fn_metadata.output_schema = outputs[fn]
        else:
            tool = CheckedTool.from_function(fn, **options)
            if tool.fn_metadata.output_schema is not None:
                tool.fn_metadata.output_schema = compact_schema(tool.fn_metadata.output_schema)
        tool.parameters = compact_schema(tool.parameters)
        built.append(tool)
    return built


def output_schemas(fns: list[Callable]) -> dict[Callable, tuple[type[BaseModel], dict]]:
    """fn -> (its return model, the compact output schema) for each tool returning a pydantic model,
    all generated in one pass: pydantic's generator sorts out the shared definitions once instead of
    once per tool (about 60 ms of run_mcp's start-up here). The SDK's generator, so a return type it
    cannot describe fails here too. A self-referential model is left to the SDK (its root is written
    differently)."""
    from mcp.server.mcpserver.utilities.func_metadata import StrictJsonSchema
    from pydantic.json_schema import models_json_schema

    models = {}
    for fn in fns:
        model = typing.get_type_hints(fn).get("return")
        if isinstance(model, type) and issubclass(model, BaseModel):
            models[fn] = model
    if not models:
        return {}
    refs, definitions = models_json_schema([(m, "validation") for m in set(models.values())],
                                           schema_generator=StrictJsonSchema)
    defs = definitions.get("$defs", {})
    out = {}
    for fn, model in models.items():
        schema = compact_schema({**refs[(model, "validation")], "$defs": defs})
        if "$defs" not in schema:  # not recursive
            out[fn] = (model, schema)
    return out


def build_server(resolve_actor: ActorResolver, resolve_toolsets: ToolsetResolver | None = None, *,
                 registered: frozenset[str] | None = None) -> MCPServer:
    """The server; every message's actor comes from `resolve_actor`, its toolsets from
    `resolve_toolsets` (default: the deployment's TIGERMCP_TOOLSETS). `registered`: the toolsets
    whose tools are built at all, where no message can ask for others (stdio); None: every tool."""
    from mcp_bridge import prompts, resources
    from mcp_bridge.events import OrderEvents

    tools = build_tools(registered)
    events = OrderEvents()
    server = MCPServer(
        SERVER_NAME,
        title="TigerMCP",
        instructions=INSTRUCTIONS,
        version=SERVER_VERSION,
        middleware=[request_id_middleware(), metrics_middleware({t.name for t in tools}),
                    identity_middleware(resolve_actor, resolve_toolsets),
                    subscriptions_middleware(events)],
        # Duplicate registration would be a bug in this module, not something to warn about at run time.
        warn_on_duplicate_tools=False,
        tools=tools,
        subscriptions=events,
    )
    add_legacy_subscriptions(server, events)
    prompts.register(server)
    resources.register(server)
    return server
