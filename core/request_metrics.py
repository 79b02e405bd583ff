"""Counts every HTTP request (REST, admin, the rest of the site) and times it, for Prometheus."""

from __future__ import annotations

import time

from django.utils.deprecation import MiddlewareMixin

from core.metrics import request_record

# Paths that matched no route are one series, whatever was asked for: a scanner trying a million
# URLs must not make a million series.
UNMATCHED = "unmatched"
STATIC_PREFIX = "/static/"


def door_of(path: str) -> str:
    if path.startswith("/api/"):
        return "rest"
    if path.startswith("/admin/"):
        return "admin"
    return "web"


def endpoint_of(request) -> str:
    """The URL route's name (namespaced, as reverse() takes it), else its pattern: never the path
    itself, whose ids and symbols would make a series per value."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # WhiteNoise answers static files before URL resolution.
        return "static" if request.path_info.startswith(STATIC_PREFIX) else UNMATCHED
    if match.url_name:
        return match.view_name
    return match.route or UNMATCHED


class RequestMetricsMiddleware(MiddlewareMixin):
    """First in MIDDLEWARE, so the time includes every other middleware and every refusal is counted."""

    def process_request(self, request):
        request._metrics_started = time.perf_counter()

    def process_response(self, request, response):
        started = getattr(request, "_metrics_started", None)
        if started is not None:
            request_record(door=door_of(request.path_info), endpoint=endpoint_of(request),
                           status=response.status_code, seconds=time.perf_counter() - started)
        return response
