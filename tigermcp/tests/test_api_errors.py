from core.api_errors import exception_handler
from core.errors import INTERNAL, Conflict


def test_an_unexpected_exception_becomes_an_internal_error_with_a_reference_and_no_detail(caplog):
    response = exception_handler(KeyError("ciphertext-or-secret"), {})
    assert response.status_code == 500
    error = response.data["error"]
    assert error["code"] == "internal_error"
    ref = error["details"]["reference"]
    assert error["message"] == INTERNAL.format(ref=ref)
    assert "ciphertext-or-secret" not in str(response.data)
    assert any(ref in r.getMessage() for r in caplog.records)  # the cause is logged under the reference


def test_service_errors_keep_their_code_and_status():
    response = exception_handler(Conflict("busy", code="order_in_progress"), {})
    assert response.status_code == 409 and response.data == {"error": {"code": "order_in_progress", "message": "busy"}}
