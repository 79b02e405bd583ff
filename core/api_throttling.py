"""Requests per API token (or per logged-in user, or per address before authentication), so one
client cannot spend the broker's rate budget or the server's time for all the others."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


def throttle_rate() -> str | None:
    return getattr(settings, "API_THROTTLE_RATE", None) or None


class TokenRateThrottle(SimpleRateThrottle):
    """API_THROTTLE_RATE ("600/min") per token. Over it: 429 with Retry-After, in the one error shape."""

    scope = "api_token"

    def get_rate(self):
        # Read per request (not frozen at import as DRF's rates are), so settings can change it.
        return throttle_rate()

    def get_cache_key(self, request, view):
        token_id = getattr(request.auth, "pk", None)
        if token_id is not None:
            ident = f"token:{token_id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"tm:throttle:{ident}"
