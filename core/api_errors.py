import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import InvalidInput, ApplicationError, internal_error

BAD_QUERY = "Fix the query parameters: {problems}."
BAD_BODY = "Fix the request body: {problems}."
THROTTLED = "Too many requests for this API token: retry in {wait} s (limit {rate})."

logger = logging.getLogger(__name__)

# DRF's own refusals, in the project's one error shape: {"error": {"code", "message"[, "details"]}}.
DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated", exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied", exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed", exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type", exceptions.ParseError: "bad_request_body",
    exceptions.Throttled: "throttled", exceptions.ValidationError: "invalid_input",
}


def _problems(detail) -> str:
    """DRF's nested validation detail as 'field: message; other.sub: message'."""
    parts: list[str] = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            if node and all(not isinstance(v, (dict, list)) for v in node):
                parts.append(f"{path or 'body'}: {' '.join(str(v) for v in node)}")
            else:
                for i, value in enumerate(node):
                    walk(value, f"{path}[{i}]")
        else:
            parts.append(f"{path or 'body'}: {node}")

    walk(detail, "")
    return "; ".join(parts)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, **({"details": details} if details else {})}}


def exception_handler(exc, context):
    """Every refusal in one shape, {"error": {"code", "message"}}: service errors with their stable
    code and a message that says how to fix it, DRF's own (authentication, validation, throttling,
    method) translated the same way; an unexpected exception becomes an internal_error with a
    reference to the logged cause."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.extra or None), status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is None:
        err = internal_error(exc, logger)
        return Response(error_body(err.code, err.message, err.extra or None), status=err.http_status)
    # DRF answers Django's Http404 and PermissionDenied too (as its NotFound and PermissionDenied).
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        message = BAD_BODY.format(problems=_problems(exc.detail))
    elif isinstance(exc, exceptions.Throttled):
        from core.api_throttling import throttle_rate

        message = THROTTLED.format(wait=math.ceil(exc.wait or 1), rate=throttle_rate() or "per token")
    else:
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else _problems(exc.detail)
    response.data = error_body(code, message)
    return response


def validated_query(request, serializer_class) -> dict:
    """A request's query parameters through a DRF serializer. An invalid one is an InvalidInput that
    names each parameter and what it needs, in the same error shape as every other refusal."""
    serializer = serializer_class(data=request.query_params)
    if not serializer.is_valid():
        problems = "; ".join(f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in serializer.errors.items())
        raise InvalidInput(BAD_QUERY.format(problems=problems), code="bad_query")
    return serializer.validated_data


API_NOT_FOUND = "No API endpoint at {path}. The endpoints and their parameters are listed at /api/schema/."
API_SERVER_ERROR = "Unexpected error; the details are in the server log."


def api_not_found(request, exception=None):
    """Django's 404 (no URL matched, e.g. /api/orders/abc/) in the API's error shape under /api/,
    its HTML page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", API_NOT_FOUND.format(path=request.path[:200])), status=404)
    return page_not_found(request, exception)


def api_server_error(request):
    """Django's 500 (an error outside a DRF view) in the API's error shape under /api/."""
    from django.http import JsonResponse
    from django.views.defaults import server_error

    if request.path.startswith("/api/"):
        return JsonResponse(error_body("internal_error", API_SERVER_ERROR), status=500)
    return server_error(request)
