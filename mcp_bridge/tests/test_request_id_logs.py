"""Logs that can be followed: with TIGERMCP_LOG_FORMAT=json every line is a JSON object carrying the
request id, and one MCP call (over HTTP, with the caller's X-Request-ID) can be followed through the
door, the broker call and the audit event, which stores the same id. Secrets stay redacted."""

import json
import logging

import httpx2
import pytest

pytestmark = pytest.mark.anyio


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            lines.append(json.loads(line))  # a line that is not valid JSON fails the test here
    return lines


async def test_an_mcp_call_is_followed_by_its_request_id_through_broker_and_audit(world, http_server):
    from decimal import Decimal

    server = http_server(env={"TIGERMCP_LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
    price = str((world.sim.quote("AAPL").regular_latest * Decimal("0.95")).quantize(Decimal("0.01")))
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT", "limit_price": price}
    request_id = "trace-preview-0042"
    headers = {"Authorization": f"Bearer {world.tokens['trader']}", "X-Request-ID": request_id}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        replies = []

        async def keep(response):
            replies.append(response.headers.get("x-request-id"))

        http.event_hooks["response"].append(keep)
        async with Client(streamable_http_client(server.url, http_client=http), read_timeout_seconds=60) as mcp:
            preview = await mcp.call_tool("preview_order", order)
            assert not preview.is_error, preview.content[0].text
    assert replies and set(replies) == {request_id}  # returned in every response

    # The audit event of the preview stores the caller's id.
    rows = world.run_sql("SELECT event_type FROM audit_auditevent WHERE request_id = %s", (request_id,))
    assert rows, "no audit event with the caller's request id"

    lines = [line for line in _json_lines(server.output()) if line.get("request_id") == request_id]
    loggers = {line["logger"] for line in lines}
    assert "tigermcp.requests" in loggers, lines  # the door: tool, status, time
    assert "tigermcp.broker" in loggers, lines  # the broker call(s) to Tiger
    assert "audit.services" in loggers, lines  # the audit event
    door = next(line for line in lines if line["logger"] == "tigermcp.requests")
    assert "preview_order ok" in door["message"] and door["level"] == "INFO" and door["time"]
    assert any(rows[0][0] in line["message"] for line in lines if line["logger"] == "audit.services")


def test_a_malformed_inbound_request_id_is_replaced(world, http_server):
    server = http_server()
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    reply = httpx2.post(server.url, json=body, timeout=30, headers={
        "Authorization": f"Bearer {world.tokens['reader']}", "Accept": "application/json, text/event-stream",
        "X-Request-ID": "bad id\twith spaces" + "x" * 80})
    assert reply.status_code == 200
    echoed = reply.headers["x-request-id"]
    assert echoed and " " not in echoed and len(echoed) <= 64


def test_json_log_lines_are_redacted_like_plain_ones(capsys):
    """The canary private key, in the message, in a traceback and in an `extra=` field."""
    from accounts.tests.factories import CANARY_KEY
    from core.json_logs import RedactedJsonFormatter
    from core.redaction import RedactingFilter, register_secret
    from core.request_context import RequestIdFilter, request_id_bind, request_id_unbind

    register_secret(CANARY_KEY)
    stream_logger = logging.getLogger("tigermcp.test.json")
    handler = logging.StreamHandler()
    handler.setFormatter(RedactedJsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    stream_logger.addHandler(handler)
    stream_logger.propagate = False
    token = request_id_bind("req-canary-1")
    try:
        stream_logger.warning("loaded key %s", CANARY_KEY, extra={"private_key": CANARY_KEY, "detail": f"pem {CANARY_KEY}"})
        try:
            raise ValueError(f"bad key {CANARY_KEY}")
        except ValueError:
            stream_logger.exception("failed")
    finally:
        request_id_unbind(token)
        stream_logger.removeHandler(handler)
    err = capsys.readouterr().err
    lines = _json_lines(err)
    assert len(lines) == 2 and all(line["request_id"] == "req-canary-1" for line in lines)
    assert lines[0]["private_key"] == "[REDACTED]" and "[REDACTED]" in lines[0]["message"]
    assert "Traceback" in lines[1]["exc_info"]
    assert CANARY_KEY[40:90] not in err and CANARY_KEY[-90:-40] not in err
