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


class CredentialError(ApplicationError):
    """A stored credential cannot be used (missing key, wrong key, unreadable RSA key)."""

    code = "credential_error"
    http_status = 500


class BrokerError(ApplicationError):
    code = "broker_error"
    http_status = 502
