"""Headers that end up in the database are checked at the door, before anything stores them.

- X-Request-ID is written into audit events and orders (64 characters): a caller's own id is kept
  only when it is short and plain (letters, digits, `.`, `_`, `:`, `-`); anything else is replaced
  by a fresh id, so a 5,000-character or binary header can neither fail a write (PostgreSQL refuses
  an over-long value and any NUL byte) nor fill audit rows. The id in use is echoed in the response.
- User-Agent and Accept are stored by django-axes with every login attempt: control characters
  are dropped (a NUL byte would make the login a 500 on PostgreSQL) and the length is bounded.
"""

import logging
import re
import uuid

from django.utils.deprecation import MiddlewareMixin

from core.request_context import request_id_bind, request_id_unbind

logger = logging.getLogger("tigermcp.requests")

REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# request.META key → the longest value kept (django-axes' own column sizes).
STORED_HEADERS = {"HTTP_USER_AGENT": 255, "HTTP_ACCEPT": 1025}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def request_id_from(value: str | None) -> str:
    """The caller's request id if it is safe to store as it is, else a new one."""
    if value and SAFE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestHeadersMiddleware(MiddlewareMixin):
    def process_request(self, request):
        request.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        # Every log line of this request carries its id (core.request_context); unbound on the way out.
        request._request_id_token = request_id_bind(request.request_id)
        for key, limit in STORED_HEADERS.items():
            value = request.META.get(key)
            if value is not None:
                request.META[key] = _CONTROL.sub("", value)[:limit]

    def process_response(self, request, response):
        request_id = getattr(request, "request_id", None)
        if request_id:
            response[REQUEST_ID_HEADER] = request_id
        token = getattr(request, "_request_id_token", None)
        if token is not None:
            logger.info("%s %s %s", request.method, request.path, response.status_code)
            request_id_unbind(token)
            request._request_id_token = None
        return response
