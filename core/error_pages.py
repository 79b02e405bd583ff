"""What a person sees when a page fails, and what Django's error reports may show.

- An ApplicationError that escapes a page (an admin save under the wrong FIELD_ENCRYPTION_KEYS, say)
  is shown as its message, which says what to do, with its status: never a traceback.
- Django's error reports (the debug page when TIGERMCP_DEBUG=true, error mails) replace any local
  value or POST field holding a secret or ciphertext, in debug mode too: Django's own filter stands
  aside when DEBUG is on.
"""

import logging

from django.http import JsonResponse
from django.shortcuts import render
from django.views.debug import SafeExceptionReporterFilter

from core.redaction import SECRET_NAME, scrub_text
from core.errors import ApplicationError

logger = logging.getLogger("core.errors")


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        logger.warning("%s %s failed: %s (%s)", request.method, request.path, exception.message, exception.code)
        if request.path.startswith("/admin/"):
            return render(request, "application_error.html", {"error": exception, "title": "This page cannot be shown"},
                          status=exception.http_status)
        return JsonResponse({"error": exception.as_dict()}, status=exception.http_status)


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request):
        return True

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        cleansed = params.copy()
        for name in list(cleansed):
            if SECRET_NAME.search(name):
                cleansed[name] = self.cleansed_substitute
            else:
                cleansed.setlist(name, [scrub_text(v) if isinstance(v, str) else v for v in cleansed.getlist(name)])
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, _scrubbed(value)) for name, value in super().get_traceback_frame_variables(request, tb_frame)]


def _scrubbed(value):
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - Django shows its own placeholder for an unprintable value
        return value
    scrubbed = scrub_text(text)
    return value if scrubbed == text else scrubbed
