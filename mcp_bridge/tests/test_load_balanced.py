"""MCP over streamable HTTP behind Debian's nginx, round-robin to two `run_mcp --transport http`
processes: the mcp client's current and legacy (session-based) modes, and a raw session of every
handshake-era protocol version, with requests landing on both processes and one process killed
mid-session. Handshake-era sessions live in Redis (mcp_bridge.sessions)."""

import json
import re

import httpx2
import pytest
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION, LATEST_MODERN_VERSION

from mcp_bridge.asgi import UNKNOWN_SESSION
from tigermcp.testing import LocalNginx

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

TRADER_SEES = {"paper_a", "paper_b", "live_x"}


@pytest.fixture
def balanced(world, http_server, tmp_path):
    servers = [http_server(), http_server()]
    with LocalNginx([s.port for s in servers], tmp_path / "nginx") as nginx:
        yield servers, nginx


def _tool_calls(server) -> float:
    """The MCP tool calls this one process answered (its own /metrics, not through nginx)."""
    text = httpx2.get(f"http://127.0.0.1:{server.port}/metrics", timeout=30).text
    return sum(float(v) for v in re.findall(r'^tigermcp_requests_total\{door="mcp"[^}]*\} (\S+)$', text, re.M))


def _kill(server) -> None:
    server.proc.kill()
    server.proc.wait()


def _client(url: str, token: str, mode: str, **options):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60))
    return Client(streamable_http_client(url, http_client=http), read_timeout_seconds=60, mode=mode, **options)


@pytest.mark.parametrize("mode, version", [("auto", LATEST_MODERN_VERSION), ("legacy", LATEST_HANDSHAKE_VERSION)])
async def test_a_client_session_spans_both_processes_and_outlives_one(world, balanced, mode, version):
    servers, nginx = balanced
    by_number = {v: k for k, v in world.accounts.items()}

    async def visible(mcp) -> set[str]:
        result = await mcp.call_tool("list_accounts", {})
        assert not result.is_error, result.content[0].text
        return {by_number[a["account"]] for a in result.structured_content["accounts"]}

    async def portfolio_with_progress(mcp) -> list[tuple[float, float | None]]:
        progress = []

        async def on_progress(done, total, message):
            progress.append((done, total))

        result = await mcp.call_tool("get_portfolio", {}, progress_callback=on_progress)
        assert not result.is_error, result.content[0].text
        return progress

    async with _client(f"{nginx.base_url}/mcp", world.tokens["trader"], mode) as mcp:
        assert mcp.protocol_version == version
        assert "place_order" in {t.name for t in (await mcp.list_tools()).tools}
        for _ in range(4):
            assert await visible(mcp) == TRADER_SEES
        progress = await portfolio_with_progress(mcp)
        assert progress and progress[-1][0] == progress[-1][1] == 3  # one notification per account read
        # Round-robin: the session's calls were answered by both processes.
        assert all(_tool_calls(server) > 0 for server in servers)

        _kill(servers[0])
        for _ in range(4):
            assert await visible(mcp) == TRADER_SEES
        assert (await portfolio_with_progress(mcp))[-1] == (3, 3)
        assert "place_order" in {t.name for t in (await mcp.list_tools()).tools}


def _rpc(url: str, headers: dict, message: dict) -> httpx2.Response:
    return httpx2.post(url, json=message, timeout=60,
                       headers={"Accept": "application/json, text/event-stream", **headers})


def _result(reply: httpx2.Response) -> dict:
    assert reply.status_code == 200, reply.text
    if reply.headers["content-type"].startswith("application/json"):
        return reply.json()["result"]
    events = [json.loads(line[5:]) for line in reply.text.splitlines() if line.startswith("data:") and line[5:].strip()]
    return next(e for e in events if "id" in e)["result"]


@pytest.mark.parametrize("version", HANDSHAKE_PROTOCOL_VERSIONS)
def test_every_handshake_version_keeps_its_session_across_processes(world, balanced, version):
    servers, nginx = balanced
    url = f"{nginx.base_url}/mcp"
    auth = {"Authorization": f"Bearer {world.tokens['trader']}"}
    opened = _rpc(url, auth, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
    assert _result(opened)["protocolVersion"] == version
    session = {**auth, "mcp-session-id": opened.headers["mcp-session-id"]}
    if version != "2024-11-05":  # that version's clients send no version header after initialize
        session["mcp-protocol-version"] = version
    initialized = _rpc(url, session, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert initialized.status_code == 202, initialized.text

    def list_accounts(n: int) -> set[str]:
        result = _result(_rpc(url, session, {"jsonrpc": "2.0", "id": n, "method": "tools/call",
                                              "params": {"name": "list_accounts", "arguments": {}}}))
        assert not result["isError"], result
        return {a["account"] for a in result["structuredContent"]["accounts"]}

    expected = {world.accounts[k] for k in TRADER_SEES}
    assert all(list_accounts(n) == expected for n in range(2, 6))
    assert all(_tool_calls(server) > 0 for server in servers)
    # Another client's token cannot continue it, whichever process it reaches.
    for _ in range(2):
        stolen = _rpc(url, {**session, "Authorization": f"Bearer {world.tokens['reader']}"},
                      {"jsonrpc": "2.0", "id": 9, "method": "tools/list"})
        assert stolen.status_code == 404 and stolen.json()["message"] == UNKNOWN_SESSION

    _kill(servers[1])
    assert all(list_accounts(n) == expected for n in range(10, 13))
    ended = httpx2.delete(url, headers=session, timeout=60)
    assert ended.status_code == 200
    gone = _rpc(url, session, {"jsonrpc": "2.0", "id": 20, "method": "tools/list"})
    assert gone.status_code == 404 and gone.json()["message"] == UNKNOWN_SESSION


async def test_a_session_subscribed_on_one_process_gets_updates_on_its_stream_from_the_other(world, balanced):
    """resources/subscribe over the session-based protocol: the subscription is made by whichever
    process gets that request, the session's event stream is held by whichever got the GET; the
    update reaches the client either way (through the session's Redis channel)."""
    import anyio

    from mcp_bridge.tests.test_order_events import WAIT, _order, _place, _read_order

    servers, nginx = balanced
    updates, arrived = [], anyio.Event()

    async def on_message(message):
        uri = getattr(getattr(message, "params", None), "uri", None)
        if uri is not None:
            updates.append(str(uri))
            arrived.set()

    account_uri = f"tigermcp://accounts/{world.accounts['paper_a']}/orders"
    url = f"{nginx.base_url}/mcp"
    async with _client(url, world.tokens["reader"], "legacy", message_handler=on_message) as reader:
        for _ in range(2):  # one subscription made on each process
            await reader.session.subscribe_resource(account_uri)
        async with _client(url, world.tokens["trader"], "auto") as trader:
            order_id = await _place(trader, _order(world, fill=False))
        with anyio.fail_after(WAIT):
            await arrived.wait()
        assert updates[0] == account_uri
        assert (await _read_order(reader, order_id))["status"] == "SUBMITTED"
