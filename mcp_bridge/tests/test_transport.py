"""run_mcp over stdio and streamable HTTP: identity, clean stdout, bearer tokens, Origin."""

import json
import subprocess
import sys

import httpx2
import pytest

from mcp_bridge.asgi import FOREIGN_ORIGIN, MISSING_TOKEN, UNKNOWN_SESSION
from mcp_bridge.selectors import BAD_TOKEN, UNKNOWN_CLIENT
from mcp_bridge.tests.conftest import ROOT

pytestmark = pytest.mark.anyio

# What each client sees in list_accounts: account key -> can_trade.
VISIBLE = {
    "trader": {"paper_a": True, "paper_b": False, "live_x": False},
    "reader": {"paper_a": False, "paper_ro": False},
    "nobody": {},
}


def _visible(world, result) -> dict[str, bool]:
    by_number = {v: k for k, v in world.accounts.items()}
    return {by_number[a["account"]]: a["can_trade"] for a in result.structured_content["accounts"]}


@pytest.mark.parametrize("client", sorted(VISIBLE))
async def test_stdio_acts_as_the_named_client(world, client):
    async with world.stdio("--client", client) as mcp:
        result = await mcp.call_tool("list_accounts", {})
    assert not result.is_error
    assert _visible(world, result) == VISIBLE[client]


async def test_stdio_client_from_environment(world):
    async with world.stdio(env={"TIGERMCP_MCP_CLIENT": "reader"}) as mcp:
        result = await mcp.call_tool("list_accounts", {})
    assert _visible(world, result) == VISIBLE["reader"]


async def test_embedded_default_is_local_client_with_trade_on_paper_only(world):
    async with world.stdio() as mcp:
        result = await mcp.call_tool("list_accounts", {})
    seen = _visible(world, result)
    # paper_ro is granted trade but the account itself is read-only; the live account is never granted.
    assert seen == {"paper_a": True, "paper_b": True, "paper_ro": False}
    rows = world.run_sql(
        "select a.environment, g.scope from accounts_accessgrant g join accounts_tigeraccount a on a.id = g.account_id "
        "join accounts_mcpclient c on c.id = g.mcp_client_id where c.name = 'local'")
    assert rows and all(env == "paper" for env, _ in rows)


@pytest.mark.parametrize("name", ["off", "ghost"])
def test_stdio_refuses_an_unknown_or_inactive_client_without_touching_stdout(world, name):
    done = subprocess.run([sys.executable, "manage.py", "run_mcp", "--client", name], cwd=ROOT, env=world.env,
                          input="", capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stdout == ""
    assert UNKNOWN_CLIENT.format(name=name) in done.stderr


@pytest.mark.parametrize("stdout", ["devnull", "file"])
def test_stdio_from_a_file_to_a_device_or_a_file_serves_and_exits_cleanly(world, tmp_path, stdout):
    """uvloop aborted the process (exit 134) on /dev/null, asyncio refused a file: `run_mcp < in > out` works."""
    lines = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"}]
    requests, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    requests.write_text("".join(json.dumps(m) + "\n" for m in lines))
    with open(requests) as given, open("/dev/null" if stdout == "devnull" else target, "w") as out:
        done = subprocess.run([sys.executable, "manage.py", "run_mcp", "--client", "trader"], cwd=ROOT, env=world.env,
                              stdin=given, stdout=out, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Fatal Python error" not in done.stderr
    if stdout == "file":
        assert json.loads(target.read_text().splitlines()[0])["result"]["serverInfo"]["name"]


async def test_stdio_client_deactivated_mid_session_loses_its_accounts_at_once(world):
    async with world.stdio("--client", "trader") as mcp:
        assert _visible(world, await mcp.call_tool("list_accounts", {})) == VISIBLE["trader"]
        world.run_sql("UPDATE accounts_mcpclient SET is_active = false WHERE name = 'trader'")
        assert _visible(world, await mcp.call_tool("list_accounts", {})) == {}
        summary = await mcp.call_tool("get_account_summary", {"account": world.accounts["paper_a"]})
        assert summary.is_error and "code: unknown_account" in summary.content[0].text
        assert "place_order" not in {t.name for t in (await mcp.list_tools()).tools}


def test_stdio_stdout_carries_protocol_bytes_only(world):
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "list_accounts", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "get_account_summary", "arguments": {"account": "nope"}}},
    ]
    env = {**world.env, "LOG_LEVEL": "DEBUG"}
    proc = subprocess.Popen([sys.executable, "manage.py", "run_mcp", "--client", "trader"], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    proc.stdin.flush()
    replies, lines = [], []
    while len([r for r in replies if r.get("id") in (1, 2, 3, 4)]) < 4:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        replies.append(json.loads(line))  # every stdout line is a JSON-RPC message
    rest, stderr = proc.communicate(timeout=60)  # closes stdin: the server exits on EOF
    replies += [json.loads(line) for line in rest.splitlines()]
    assert all(r.get("jsonrpc") == "2.0" for r in replies), stderr
    assert {r.get("id") for r in replies} >= {1, 2, 3, 4}
    error = next(r for r in replies if r.get("id") == 4)
    assert error["result"]["isError"] is True, error  # an error reply is still protocol, not a traceback
    assert "DEBUG" in stderr  # the logs went to stderr


# --- HTTP --------------------------------------------------------------------------------------


def _post_initialize(url, headers):
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}
    return httpx2.post(url, json=body, headers={"Accept": "application/json, text/event-stream", **headers}, timeout=30)


def test_http_requires_a_usable_bearer_token(world, http_server):
    server = http_server()
    missing = _post_initialize(server.url, {})
    assert missing.status_code == 401
    assert missing.json()["message"] == MISSING_TOKEN
    assert "bearer" in missing.headers["www-authenticate"].lower()
    for token in ("tmmcp_not-a-token", world.tokens["revoked"], world.tokens["expired"], world.tokens["off"],
                  "Basic abc"):
        reply = _post_initialize(server.url, {"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401, token
        assert reply.json()["message"] == BAD_TOKEN
    ok = _post_initialize(server.url, {"Authorization": f"Bearer {world.tokens['reader']}"})
    assert ok.status_code == 200
    # The admin sees when a token was last used (and that a refused one was not).
    prefix = world.tokens["reader"][:10]
    assert world.run_sql("SELECT last_used_at FROM accounts_mcptoken WHERE prefix = %s", (prefix,))[0][0] is not None
    prefix = world.tokens["revoked"][:10]
    assert world.run_sql("SELECT last_used_at FROM accounts_mcptoken WHERE prefix = %s", (prefix,))[0][0] is None


def test_http_token_stops_at_once_when_its_client_is_deactivated_or_deleted(world, http_server):
    server = http_server()
    auth = {"Authorization": f"Bearer {world.tokens['trader']}"}
    opened = _post_initialize(server.url, auth)
    assert opened.status_code == 200
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    session = {**auth, "Accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18",
               "mcp-session-id": opened.headers["mcp-session-id"]}
    assert httpx2.post(server.url, json=listing, headers=session, timeout=30).status_code == 200
    world.run_sql("UPDATE accounts_mcpclient SET is_active = false WHERE name = 'trader'")
    refused = httpx2.post(server.url, json=listing, headers=session, timeout=30)
    assert refused.status_code == 401 and refused.json()["message"] == BAD_TOKEN
    world.run_sql("UPDATE accounts_mcpclient SET is_active = true WHERE name = 'trader'")
    assert httpx2.post(server.url, json=listing, headers=session, timeout=30).status_code == 200
    subprocess.run([sys.executable, "manage.py", "shell", "-c",
                    "from accounts.models import McpClient; McpClient.objects.filter(name='trader').delete()"],
                   cwd=ROOT, env=world.env, check=True, capture_output=True, timeout=60)
    refused = httpx2.post(server.url, json=listing, headers=session, timeout=30)
    assert refused.status_code == 401 and refused.json()["message"] == BAD_TOKEN


def test_http_checks_origin(world, http_server):
    server = http_server()
    auth = {"Authorization": f"Bearer {world.tokens['trader']}"}
    foreign = _post_initialize(server.url, {**auth, "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert foreign.json()["message"] == FOREIGN_ORIGIN.format(origin="https://evil.example")
    # Refused before authentication: a page cannot probe tokens.
    assert _post_initialize(server.url, {"Origin": "http://attacker.test:8765"}).status_code == 403
    local = _post_initialize(server.url, {**auth, "Origin": f"http://127.0.0.1:{server.port}"})
    assert local.status_code == 200
    assert _post_initialize(server.url, {**auth, "Host": "evil.example"}).status_code == 421


def test_http_session_continues_only_with_a_token_of_the_client_that_opened_it(world, http_server):
    server = http_server()
    opened = _post_initialize(server.url, {"Authorization": f"Bearer {world.tokens['trader']}"})
    assert opened.status_code == 200
    session = opened.headers["mcp-session-id"]
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "mcp-session-id": session,
               "mcp-protocol-version": "2025-06-18"}
    stolen = httpx2.post(server.url, json=listing, timeout=30,
                         headers={**headers, "Authorization": f"Bearer {world.tokens['reader']}"})
    assert stolen.status_code == 404
    assert stolen.json()["message"] == UNKNOWN_SESSION
    own = httpx2.post(server.url, json=listing, timeout=30,
                      headers={**headers, "Authorization": f"Bearer {world.tokens['trader']}"})
    assert own.status_code == 200 and "place_order" in own.text  # the trader's own tool list


@pytest.mark.parametrize("client", sorted(VISIBLE))
async def test_http_token_is_scoped_by_its_clients_grants(world, http_server, client):
    server = http_server()
    async with server.client(world.tokens[client]) as mcp:
        result = await mcp.call_tool("list_accounts", {})
    assert _visible(world, result) == VISIBLE[client]


async def test_http_identity_is_per_request_not_per_process(world, http_server):
    server = http_server()
    async with server.client(world.tokens["trader"]) as trader, server.client(world.tokens["reader"]) as reader:
        for _ in range(3):
            t = await trader.call_tool("list_accounts", {})
            r = await reader.call_tool("list_accounts", {})
            assert _visible(world, t) == VISIBLE["trader"]
            assert _visible(world, r) == VISIBLE["reader"]


async def test_resource_and_prompts(world):
    async with world.stdio("--client", "reader") as mcp:
        resources = await mcp.list_resources()
        assert [str(r.uri) for r in resources.resources] == ["tigermcp://accounts"]
        content = await mcp.read_resource("tigermcp://accounts")
        data = json.loads(content.contents[0].text)
        assert {a["account"] for a in data["accounts"]} == {world.accounts["paper_a"], world.accounts["paper_ro"]}
        prompts = await mcp.list_prompts()
        assert {p.name for p in prompts.prompts} == {"portfolio_review", "pre_trade_checklist"}
        checklist = await mcp.get_prompt("pre_trade_checklist", {"symbol": "AAPL", "side": "BUY", "quantity": "10"})
        text = checklist.messages[0].content.text
        assert "preview_order" in text and "confirmation_token" in text


async def test_http_preview_confirm_flow_and_per_token_tool_lists(world, http_server):
    from decimal import Decimal

    server = http_server()
    price = str((world.sim.quote("AAPL").regular_latest * Decimal("0.95")).quantize(Decimal("0.01")))
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT", "limit_price": price}
    async with server.client(world.tokens["reader"]) as reader:
        assert "place_order" not in {t.name for t in (await reader.list_tools()).tools}
    progress = []

    async def on_progress(done, total, message):
        progress.append(done)

    async with server.client(world.tokens["trader"]) as trader:
        names = {t.name for t in (await trader.list_tools()).tools}
        assert {"preview_order", "place_order", "modify_order", "cancel_order", "get_health"} <= names
        preview = (await trader.call_tool("preview_order", order)).structured_content
        placed = await trader.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]})
        assert placed.structured_content["status"] == "SUBMITTED"
        portfolio = await trader.call_tool("get_portfolio", {}, progress_callback=on_progress)
        assert not portfolio.is_error and progress
        health = await trader.call_tool("get_health", {})
        assert health.structured_content["caller"] == "mcp:trader"
    [at_broker] = world.sim.exchange.accounts[world.accounts["paper_a"]].orders.values()
    assert at_broker.quantity == 2


async def test_mcp_is_served_by_the_projects_own_asgi_application(world, http_server):
    # tigermcp.asgi:application under daphne, exactly as scripts/run and the Dockerfile serve it.
    server = http_server(command=[sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}",
                                  "tigermcp.asgi:application"])
    assert _post_initialize(server.url, {}).status_code == 401
    assert _post_initialize(server.url, {"Origin": "https://evil.example",
                                         "Authorization": f"Bearer {world.tokens['trader']}"}).status_code == 403
    async with server.client(world.tokens["reader"]) as mcp:
        result = await mcp.call_tool("list_accounts", {})
    assert _visible(world, result) == VISIBLE["reader"]
    # Everything else is still Django's.
    admin = httpx2.get(f"http://127.0.0.1:{server.port}/admin/login/", timeout=30)
    assert admin.status_code == 200 and "csrfmiddlewaretoken" in admin.text
