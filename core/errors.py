"""One exception tree for every door.

Services raise these; the DRF exception handler, the MCP tool adapter, admin actions and management
commands translate them. Messages say what went wrong and how to fix the call, and never carry a
secret. `code` is machine-readable and stable.
"""


class ApplicationError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **({"details": self.extra} if self.extra else {})}


class InvalidInput(ApplicationError):
    code = "invalid_input"


class NotFound(ApplicationError):
    code = "not_found"
    http_status = 404


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    http_status = 403


class Conflict(ApplicationError):
    code = "conflict"
    http_status = 409


class InternalError(ApplicationError):
    """A bug or an unforeseen failure. The message says what happened to the caller's request (for an
    order: not sent, or outcome unknown) and carries a reference to the logged cause, never its text."""

    code = "internal_error"
    http_status = 500


INTERNAL = ("Internal error (reference {ref}): the request did not complete. The cause is logged under that "
            "reference; nothing about it was guessed.")


def internal_error(exc: BaseException, logger, what: str = INTERNAL) -> InternalError:
    """Log `exc` with its traceback under a fresh reference and return the error a door shows instead."""
    import uuid

    ref = uuid.uuid4().hex[:12]
    logger.error("internal error %s: %s", ref, type(exc).__name__, exc_info=exc)
    return InternalError(what.format(ref=ref), extra={"reference": ref})


class CredentialError(ApplicationError):
    """A stored credential cannot be used (missing key, wrong key, unreadable RSA key)."""

    code = "credential_error"
    http_status = 500


class BrokerError(ApplicationError):
    code = "broker_error"
    http_status = 502


class BrokerRejected(BrokerError):
    """The broker refused the request (insufficient buying power, bad parameters, market rules)."""

    code = "broker_rejected"
    http_status = 422


class RateLimited(BrokerError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: float = 1.0, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.extra.setdefault("retry_after_seconds", round(retry_after, 1))


class BrokerUnavailable(BrokerError):
    """The gateway could not be reached or answered with a server error; nothing was changed."""

    code = "broker_unavailable"
    http_status = 503


class OutcomeUnknown(BrokerError):
    """A state-changing request was sent but no answer came back: it may or may not have happened.
    Never retried automatically; reconciliation finds out."""

    code = "outcome_unknown"
    http_status = 504


class BadCredentials(BrokerError):
    code = "bad_credentials"
    http_status = 502


class CircuitOpen(BrokerError):
    code = "circuit_open"
    http_status = 503
