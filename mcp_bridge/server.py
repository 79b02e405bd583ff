"""The MCP server: one MCPServer whose tools are thin adapters over the services.

Identity is resolved per inbound message by `identity_middleware` (see mcp_bridge.context); the
tool list is built per caller, so write tools are not listed where the deployment or the caller
is read-only. Services enforce every rule again: hiding is a courtesy to the model, not security.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import typing
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, PrivateAttr, ValidationError

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


class PublishedTool(Tool):
    """A tool listed as the contract file publishes it (CONTRACT), without generating its schemas: the
    SDK tool that validates and runs a call (argument model, output model) is built at its first call.
    Every field a call uses (fn_metadata, context_kwarg, ...) is the built tool's."""

    _options: dict = PrivateAttr(default_factory=dict)
    _output: dict | None = PrivateAttr(default=None)
    _sdk_tool: CheckedTool | None = PrivateAttr(default=None)

    @classmethod
    def listed(cls, fn: Callable, options: dict, published: dict) -> PublishedTool:
        tool = cls.model_construct(fn=fn, name=fn.__name__, title=options.get("title"),
                                   description=published["description"], parameters=published["parameters"],
                                   annotations=options.get("annotations"))
        for name in CALL_FIELDS:  # model_construct filled in defaults: the built tool's values instead
            tool.__dict__.pop(name, None)
        tool.__dict__["output_schema"] = published["output"]  # Tool.output_schema, a cached property
        tool._options, tool._output = options, published["output"]
        return tool

    def sdk_tool(self) -> CheckedTool:
        """The SDK's tool for this function, built once; its schemas are the published ones."""
        if self._sdk_tool is None:
            model = return_model(self.fn)
            if model is not None:  # as tool_generate: the return model validates the result
                tool = CheckedTool.from_function(self.fn, structured_output=False, **self._options)
                tool.fn_metadata.output_model = model
            else:
                tool = CheckedTool.from_function(self.fn, **self._options)
            tool.fn_metadata.output_schema = self._output
            tool.parameters = self.parameters
            self._sdk_tool = tool
        return self._sdk_tool

    def __getattr__(self, name):
        if name in CALL_FIELDS:
            return getattr(self.sdk_tool(), name)
        return super().__getattr__(name)

    async def run(self, arguments, context, convert_result: bool = False):
        return await self.sdk_tool().run(arguments, context, convert_result=convert_result)


# The Tool fields that only a call reads, taken from the built tool (PublishedTool).
CALL_FIELDS = ("fn_metadata", "is_async", "context_kwarg", "resolved_params", "resolver_plans")


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


CONTRACT = Path(__file__).with_name("tool_contract.json")


def registered_tools(toolsets: frozenset[str] | None = None) -> list[tuple[Callable, dict]]:
    """(function, Tool.from_function options) of each tool of `toolsets` (None: every tool), in the order
    clients list them."""
    from mcp_bridge import tools

    chosen: list[tuple[Callable, dict]] = []

    def add(fn, **options) -> None:
        if toolsets is None or tools.TOOLSET_OF.get(fn.__name__, "core") in toolsets:
            chosen.append((fn, options))

    tools.register(add)
    return chosen


def build_tools(toolsets: frozenset[str] | None = None) -> list[Tool]:
    """The tools of `toolsets` (None: every tool), listed from the contract file (CONTRACT) that
    tools_generate's output is tested to equal: generating the schemas takes a quarter of a second of
    run_mcp's start-up here. A tool the file does not have yet is generated."""
    with CONTRACT.open(encoding="utf-8") as file:
        contract = json.load(file)
    chosen = registered_tools(toolsets)
    missing = [fn for fn, _ in chosen if fn.__name__ not in contract]
    outputs = output_schemas(missing) if missing else {}
    return [PublishedTool.listed(fn, options, contract[fn.__name__]) if fn.__name__ in contract
            else tool_generate(fn, options, outputs.get(fn)) for fn, options in chosen]


def tools_generate(toolsets: frozenset[str] | None = None) -> list[CheckedTool]:
    """The tools of `toolsets` (None: every tool), their schemas generated from the code, compact
    (mcp_bridge.schemas.compact_schema)."""
    chosen = registered_tools(toolsets)
    outputs = output_schemas([fn for fn, _ in chosen])
    return [tool_generate(fn, options, outputs.get(fn)) for fn, options in chosen]


def tool_generate(fn: Callable, options: dict, output: tuple[type[BaseModel], dict] | None) -> CheckedTool:
    if output is not None:
        # The SDK would build the same schema tool by tool; output_schemas built them in one pass.
        tool = CheckedTool.from_function(fn, structured_output=False, **options)
        # FuncMetadata's fields are read on each call (its documented contract): results are
        # validated against the return type's model, the schema is what is published.
        tool.fn_metadata.output_model, tool.fn_metadata.output_schema = output
    else:
        tool = CheckedTool.from_function(fn, **options)
        if tool.fn_metadata.output_schema is not None:
            tool.fn_metadata.output_schema = compact_schema(tool.fn_metadata.output_schema)
    tool.parameters = compact_schema(tool.parameters)
    return tool


def tool_contract(tools: list[Tool]) -> dict:
    """What the tool list publishes of each tool, as the contract file holds it."""
    return json.loads(json.dumps({
        t.name: {"title": t.title, "description": t.description, "parameters": t.parameters,
                 "output": t.output_schema,
                 "annotations": t.annotations.model_dump() if t.annotations else None}
        for t in tools
    }, default=str))


def contract_text(tools: list[Tool]) -> str:
    """The contract file's text for `tools` (manage.py tool_contract writes it)."""
    return json.dumps(tool_contract(tools), indent=1, ensure_ascii=False) + "\n"


def return_model(fn: Callable) -> type[BaseModel] | None:
    """The pydantic model a tool returns, if it returns one."""
    model = typing.get_type_hints(fn).get("return")
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def output_schemas(fns: list[Callable]) -> dict[Callable, tuple[type[BaseModel], dict]]:
    """fn -> (its return model, the compact output schema) for each tool returning a pydantic model,
    all generated in one pass: pydantic's generator sorts out the shared definitions once instead of
    once per tool (about 60 ms of run_mcp's start-up here). The SDK's generator, so a return type it
    cannot describe fails here too. A self-referential model is left to the SDK (its root is written
    differently)."""
    from mcp.server.mcpserver.utilities.func_metadata import StrictJsonSchema
    from pydantic.json_schema import models_json_schema

    models = {fn: model for fn in fns if (model := return_model(fn)) is not None}
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
