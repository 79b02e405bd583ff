"""What every tool does around its service call: run it off the event loop, translate its errors,
refuse writes to a caller who may not trade."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime
from typing import TypeVar

from django.conf import settings
from mcp.server.mcpserver.exceptions import ToolError

from core.errors import ApplicationError, internal_error
from mcp_bridge.context import current_actor, run_service

T = TypeVar("T")
logger = logging.getLogger(__name__)

# The error code of the tool call in progress, for its metrics (mcp_bridge.server.metrics_middleware):
# a dict the middleware binds and the tool fills, so the middleware reads it whatever context the
# tool ran in.
call_outcome: ContextVar[dict | None] = ContextVar("tigermcp_mcp_call_outcome", default=None)


def _note_error(code: str) -> None:
    holder = call_outcome.get()
    if holder is not None:
        holder["code"] = code

INVALID_ARGUMENTS = "Invalid arguments for {tool}: {problems}. Fix them and call {tool} again. (code: invalid_arguments)"


def input_error(tool: str, exc, parameters: dict) -> ToolError:
    """A tool's argument validation failure as the model should read it: each argument, what it
    needs (the allowed values of an enum) and its description; no pydantic type names or URLs."""
    _note_error("invalid_arguments")
    props = parameters.get("properties", {})
    problems = []
    for err in exc.errors(include_url=False, include_context=False):
        loc = [str(part) for part in err["loc"]]
        field = ".".join(loc) or "arguments"
        if err["type"] == "missing":
            text = "is required"
        else:
            msg = err["msg"].removeprefix("Value error, ").removeprefix("Input ")
            text = msg[:1].lower() + msg[1:]
            given = err.get("input")
            if isinstance(given, (str, int, float, bool)) and len(repr(given)) <= 40:
                text += f" (you sent {given!r})"
        description = props.get(loc[0], {}).get("description") if loc else None
        problems.append(f"{field} {text}" + (f" ({description.rstrip('.')})" if description else ""))
    return ToolError(INVALID_ARGUMENTS.format(tool=tool, problems="; ".join(problems) or "see the tool's input schema"))


WRITE_UNAVAILABLE = ("{tool} is not available to you: you have no account you may trade{why}. "
                     "Use the read tools, or ask an admin for a trade grant on a paper account. (code: write_unavailable)")


async def call(fn: Callable[..., T], /, *args, **kwargs) -> T:
    """Run a service in a worker thread; its ApplicationError becomes the tool error the model sees."""
    try:
        return await run_service(fn, *args, **kwargs)
    except ApplicationError as exc:
        _note_error(exc.code)
        rule = exc.extra.get("rule") if isinstance(exc.extra, dict) else None
        raise ToolError(f"{exc.message} (code: {exc.code}{f', rule: {rule}' if rule else ''})") from exc
    except Exception as exc:  # a bug: the model gets a reference, the log gets the cause
        err = internal_error(exc, logger)
        _note_error(err.code)
        raise ToolError(f"{err.message} (code: {err.code})") from exc


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


async def require_write(tool: str) -> None:
    from mcp_bridge.selectors import actor_can_trade

    actor = current_actor()
    if not await call(actor_can_trade, actor):
        _note_error("write_unavailable")
        why = " (this deployment is read-only: TIGERMCP_READ_ONLY=true)" if settings.TIGERMCP_READ_ONLY else ""
        raise ToolError(WRITE_UNAVAILABLE.format(tool=tool, why=why))
