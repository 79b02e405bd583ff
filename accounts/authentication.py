from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.actors import Actor
from accounts.models import ApiToken
from core.metrics import LOGIN_FAILURES

BAD_TOKEN = ("Invalid, expired or revoked API token, or its owner's user account is inactive. "
             "Create a new one in the admin (Accounts → API tokens).")


LAST_USED_PRECISION_SECONDS = 60


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer tmapi_…`. Tokens are looked up by hash; the plain value is never stored.
    Expiry, revocation and the owner's is_active are checked on every request."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header.startswith(self.keyword + " "):
            return None
        plain = header[len(self.keyword) + 1:].strip()
        token = ApiToken.objects.select_related("owner").filter(token_hash=ApiToken.hash(plain)).first()
        if token is None or not token.is_usable():
            LOGIN_FAILURES.labels(kind="api_token").inc()
            raise exceptions.AuthenticationFailed(BAD_TOKEN)
        now = timezone.now()
        # A minute's precision is enough to tell a used token from an abandoned one, and spares every
        # request a write.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= LAST_USED_PRECISION_SECONDS:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token.owner, token)

    def authenticate_header(self, request):
        return self.keyword


def actor_from_request(request) -> Actor:
    # Checked and bounded by core.request_headers (a fresh id where the header was unsafe).
    request_id = getattr(request, "request_id", None)
    if isinstance(request.auth, ApiToken):
        return Actor.for_api_token(request.auth, request_id=request_id)
    return Actor.for_user(request.user, door="api", request_id=request_id)


from drf_spectacular.extensions import OpenApiAuthenticationExtension  # noqa: E402


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "API token created in the admin (tmapi_…)"}


from rest_framework.permissions import BasePermission  # noqa: E402


class IsActor(BasePermission):
    """A valid API token (whoever owns it) or a logged-in user; the services then check grants."""

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiToken) or bool(request.user and request.user.is_authenticated)
