from django.http import JsonResponse
from django.views.decorators.http import require_GET

from marketdata.selectors import health_is_ok, health_report


@require_GET
def health(request):
    """Unauthenticated by design (load balancers, monitors): statuses, latencies and error codes
    only, never a secret or an account's money."""
    report = health_report()
    strict = request.GET.get("strict") in ("1", "true")
    return JsonResponse(report, status=200 if health_is_ok(report, strict) else 503)
