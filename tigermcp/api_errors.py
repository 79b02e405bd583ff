from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tigermcp.errors import ApplicationError


def exception_handler(exc, context):
    """Service errors become JSON with their stable code and a message that says how to fix it."""
    if isinstance(exc, ApplicationError):
        return Response({"error": exc.as_dict()}, status=exc.http_status)
    return drf_exception_handler(exc, context)
