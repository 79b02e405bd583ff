"""The id of the request in progress (a REST or admin request, an MCP message), so that every log
line it causes carries it: the door's own line, the service's, the broker call's and the audit
event's (which also stores it in its `request_id` column). Kept in a context variable: concurrent
requests each see their own, and it follows a call into the worker threads that copy the context
(asgiref's sync_to_async, anyio's to_thread)."""

from __future__ import annotations

import contextvars
import logging

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("tigermcp_request_id", default=None)

NONE = "-"


def request_id_bind(request_id: str | None) -> contextvars.Token:
    return _request_id.set(request_id)


def request_id_unbind(token: contextvars.Token) -> None:
    _request_id.reset(token)


def request_id_current() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request) for the formatters to show."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or NONE
        return True
