"""Headers that reach the database are bounded and sanitized at the door (core.request_headers)."""

import pytest
from axes.models import AccessAttempt

from accounts.models import Scope
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PREVIEW = {"symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "MKT"}


@pytest.fixture
def api(tiger_account, api_client_for):
    return api_client_for(tiger_account, Scope.TRADE, name="script")


def _preview(api, account, request_id):
    return api.post("/api/orders/preview/", {"account_number": account.account_number, **PREVIEW},
                    format="json", HTTP_X_REQUEST_ID=request_id)


@pytest.mark.parametrize("request_id", ["x" * 5000, "x" * 65, "abc\x00def", "id with spaces", "ünïcode", "a;drop"])
def test_an_unsafe_request_id_is_replaced_and_the_write_succeeds(api, tiger_account, request_id):
    # On PostgreSQL an over-long id was a DataError (500) on every REST write; on SQLite it was stored.
    reply = _preview(api, tiger_account, request_id)
    assert reply.status_code == 200, reply.content[:300]
    used = reply["X-Request-ID"]
    assert used != request_id and len(used) == 32
    events = AuditEvent.objects.filter(event_type="confirmation.issued", account_number=tiger_account.account_number)
    assert [e.request_id for e in events] == [used]


def test_a_plain_request_id_is_kept_in_the_audit_trail(api, tiger_account):
    request_id = "client-42:retry.1_" + "9" * 46  # 64 characters, every allowed kind
    reply = _preview(api, tiger_account, request_id)
    assert reply.status_code == 200 and reply["X-Request-ID"] == request_id
    assert AuditEvent.objects.filter(event_type="confirmation.issued", request_id=request_id).count() == 1


def test_a_login_with_a_binary_user_agent_is_recorded_sanitized(client):
    # django-axes stores User-Agent and Accept with every attempt; a NUL byte was a 500 on PostgreSQL.
    reply = client.post("/admin/login/?next=/admin/", {"username": "nobody", "password": "wrong-password"},
                        HTTP_USER_AGENT="agent\x00\x07" * 1000, HTTP_ACCEPT="text/html\x00" * 500)
    assert reply.status_code == 200 and b"Please enter the correct username" in reply.content
    attempt = AccessAttempt.objects.get(username="nobody")
    assert attempt.user_agent == ("agent" * 1000)[:255]
    assert "\x00" not in attempt.http_accept and len(attempt.http_accept) <= 1025


def test_a_rest_request_is_followed_by_its_id_through_broker_and_audit_log_lines(api, tiger_account):
    """What TIGERMCP_LOG_FORMAT=json shows per line: the request id of the request that caused it."""
    import logging

    from core.request_context import RequestIdFilter

    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append((record.name, record.request_id, record.getMessage()))

    handler = Keep(level=logging.INFO)
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("tigermcp.requests", "tigermcp.broker", "audit.services")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    try:
        reply = _preview(api, tiger_account, "rest-trace-0007")
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)
    assert reply.status_code == 200 and reply["X-Request-ID"] == "rest-trace-0007"
    mine = {name for name, request_id, _ in seen if request_id == "rest-trace-0007"}
    assert mine == {"tigermcp.requests", "tigermcp.broker", "audit.services"}, seen
    assert AuditEvent.objects.filter(request_id="rest-trace-0007", event_type="confirmation.issued").exists()
    # Outside a request, lines say so.
    handler.handle(logging.LogRecord("tigermcp.requests", logging.INFO, __file__, 1, "idle", None, None))
    assert seen[-1][1] == "-"
