from django.http import JsonResponse
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed

from accounts.actors import Actor
from accounts.authentication import ApiTokenAuthentication
from core.api_errors import error_body
from marketdata.selectors import health_is_ok, health_report_for, health_report_public


def _caller(request) -> Actor | None:
    """A staff session or a valid API token; None for anyone else (AuthenticationFailed for a bad token)."""
    request_id = getattr(request, "request_id", None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return Actor.for_user(user, door="api", request_id=request_id)
    found = ApiTokenAuthentication().authenticate(request)
    return Actor.for_api_token(found[1], request_id=request_id) if found else None


@require_GET
def health(request):
    """Unauthenticated by design (load balancers, monitors): then only the overall status and each
    component's state. A staff session or an API token adds the accounts that caller may read."""
    try:
        actor = _caller(request)
    except AuthenticationFailed as exc:
        return JsonResponse(error_body("not_authenticated", str(exc.detail)), status=401,
                            headers={"WWW-Authenticate": "Bearer"})
    report = health_report_for(actor) if actor is not None else health_report_public()
    strict = request.GET.get("strict") in ("1", "true")
    return JsonResponse(report, status=200 if health_is_ok(report, strict) else 503)
