from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

import logging

from core.errors import ApplicationError, internal_error

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    """Service errors become JSON with their stable code and a message that says how to fix it; an
    unexpected exception becomes an internal_error with a reference to the logged cause."""
    if isinstance(exc, ApplicationError):
        return Response({"error": exc.as_dict()}, status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is None:
        err = internal_error(exc, logger)
        return Response({"error": err.as_dict()}, status=err.http_status)
    return response
