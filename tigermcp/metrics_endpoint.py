"""GET /metrics for Prometheus: for a caller on this machine, or one holding a staff user's API token.

Account numbers, balances and P&L are in the output, so it is not public. A scraper elsewhere sends
`Authorization: Bearer tmapi_…` (an API token whose owner is an active staff user).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET
from rest_framework import exceptions

from accounts.authentication import ApiTokenAuthentication
from core.metrics import scrape

LOOPBACK = frozenset({"127.0.0.1", "::1"})

FORBIDDEN = ("/metrics is readable from this machine (127.0.0.1 or ::1, not through a proxy), or with "
             "'Authorization: Bearer tmapi_…' carrying an API token whose owner is an active staff user. "
             "Create one in the admin (Accounts → API tokens) with a staff owner.")
NOT_STAFF = ("This API token's owner is not a staff user, so it may not read /metrics. Use a token owned by "
             "a staff user (Accounts → API tokens in the admin).")


def _from_loopback(request) -> bool:
    if request.META.get("REMOTE_ADDR") not in LOOPBACK:
        return False
    # A proxy on this machine forwards callers from elsewhere: those must authenticate.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return all(hop.strip() in LOOPBACK for hop in forwarded.split(",") if hop.strip())


def _refusal(request) -> str | None:
    """None when the caller may read the metrics, else why not (and how to fix it)."""
    try:
        found = ApiTokenAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        return str(exc.detail)
    if found is None:
        return None if _from_loopback(request) else FORBIDDEN
    owner, _token = found
    if owner is None or not owner.is_staff:
        return NOT_STAFF
    return None


@require_GET
def metrics(request):
    if (why := _refusal(request)) is not None:
        return HttpResponse(why + "\n", status=403, content_type="text/plain; charset=utf-8")
    body, content_type = scrape()
    return HttpResponse(body, content_type=content_type)
