"""MCP tool calls are counted per tool and outcome by run_mcp itself, and read through /metrics in
multiprocess mode (run_mcp is its own process, as in a deployment)."""

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import MULTIPROC_ENV

pytestmark = pytest.mark.anyio


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.content.decode()) for s in family.samples}


async def test_tool_calls_are_counted_by_tool_and_outcome(world, tmp_path, monkeypatch, client):
    prom = tmp_path / "prom"
    async with world.stdio("--client", "trader", env={MULTIPROC_ENV: str(prom)}) as mcp:
        for _ in range(2):
            assert not (await mcp.call_tool("list_accounts", {})).is_error
        missing = await mcp.call_tool("get_order", {"order_id": 987654})
        assert missing.is_error
        unknown = await mcp.call_tool("no_such_tool_abc", {})
        assert unknown.is_error
    code = re.search(r"\(code: ([a-z_]+)", missing.content[0].text).group(1)

    monkeypatch.setenv(MULTIPROC_ENV, str(prom))
    scraped = scrape(client)
    calls = {k: v for k, v in scraped.items() if k[0] == "tigermcp_requests_total" and ("door", "mcp") in k[1]}
    assert calls == {
        ("tigermcp_requests_total", frozenset({("door", "mcp"), ("endpoint", "list_accounts"), ("status", "ok")})): 2,
        ("tigermcp_requests_total", frozenset({("door", "mcp"), ("endpoint", "get_order"), ("status", code)})): 1,
        # A name we do not publish is never a label of its own.
        ("tigermcp_requests_total", frozenset({("door", "mcp"), ("endpoint", "unknown_tool"),
                                               ("status", "tool_error")})): 1,
    }
    timed = frozenset({("door", "mcp"), ("endpoint", "list_accounts")})
    assert scraped[("tigermcp_request_duration_seconds_count", timed)] == 2


async def test_a_write_tool_refused_to_a_reader_is_counted_with_its_code(world, tmp_path, monkeypatch, client):
    prom = tmp_path / "prom"
    async with world.stdio("--client", "reader", env={MULTIPROC_ENV: str(prom)}) as mcp:
        refused = await mcp.call_tool("place_order", {"symbol": "AAPL", "side": "BUY", "quantity": "1",
                                                      "order_type": "MKT", "confirmation_token": "tmc_x"})
        assert refused.is_error and "write_unavailable" in refused.content[0].text
    monkeypatch.setenv(MULTIPROC_ENV, str(prom))
    labels = frozenset({("door", "mcp"), ("endpoint", "place_order"), ("status", "write_unavailable")})
    assert scrape(client)[("tigermcp_requests_total", labels)] == 1


async def test_run_mcp_over_http_serves_its_own_metrics(world, http_server):
    import httpx2

    server = http_server()
    async with server.client(world.tokens["reader"]) as mcp:
        assert not (await mcp.call_tool("list_accounts", {})).is_error
    refused = httpx2.post(server.url, json={}, headers={"Authorization": "Bearer tmmcp_not-a-token"}, timeout=30)
    assert refused.status_code == 401
    metrics_url = server.url.removesuffix("/mcp") + "/metrics"
    response = httpx2.get(metrics_url, timeout=30)
    assert response.status_code == 200
    scraped = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(response.text) for s in family.samples}
    labels = frozenset({("door", "mcp"), ("endpoint", "list_accounts"), ("status", "ok")})
    assert scraped[("tigermcp_requests_total", labels)] == 1
    assert scraped[("tigermcp_login_failures_total", frozenset({("kind", "mcp_token")}))] == 1
    # Through a proxy, for someone elsewhere: not a loopback caller.
    forwarded = httpx2.get(metrics_url, headers={"X-Forwarded-For": "198.51.100.7"}, timeout=30)
    assert forwarded.status_code == 403
    from tigermcp.metrics_endpoint import FORBIDDEN

    assert forwarded.text.strip() == FORBIDDEN
