import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError, InvalidInput, internal_error

BAD_QUERY = "Fix the query parameters: {problems}."

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


def validated_query(request, serializer_class) -> dict:
    """A request's query parameters through a DRF serializer. An invalid one is an InvalidInput that
    names each parameter and what it needs, in the same error shape as every other refusal."""
    serializer = serializer_class(data=request.query_params)
    if not serializer.is_valid():
        problems = "; ".join(f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in serializer.errors.items())
        raise InvalidInput(BAD_QUERY.format(problems=problems), code="bad_query")
    return serializer.validated_data
