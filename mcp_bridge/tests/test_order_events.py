"""Order events pushed to the assistant: an MCP client subscribes to an order or to an account's
orders and is told of each committed transition, from whichever process committed it (through the
Redis channel layer), then reads the new state. The real mcp client, against run_mcp over stdio and
over HTTP; the transitions committed by other processes (a second run_mcp, reconcile_orders)."""

import json
import subprocess
import sys
from decimal import Decimal

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from mcp_bridge.tests.conftest import ROOT

pytestmark = pytest.mark.anyio

WAIT = 30  # seconds an expected update may take before the test fails


def _order(world, *, fill: bool, quantity: str = "2") -> dict:
    """A limit order below the market (it rests) or above it (the simulator fills it when matched)."""
    ask = world.sim.quote("AAPL").regular_latest
    price = (ask * (Decimal("1.05") if fill else Decimal("0.95"))).quantize(Decimal("0.01"))
    return {"symbol": "AAPL", "side": "BUY", "quantity": quantity, "order_type": "LMT", "limit_price": str(price)}


async def _place(mcp, order: dict) -> int:
    previewed = await mcp.call_tool("preview_order", order)
    assert not previewed.is_error, previewed.content[0].text
    preview = previewed.structured_content
    assert preview["allowed"], preview["next_step"]
    placed = await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]})
    assert not placed.is_error and placed.structured_content["status"] == "SUBMITTED", placed.content[0].text
    return int(placed.structured_content["order"]["order_ref"])


async def _until_status(mcp, subscription, uri: str, read, status: str) -> dict:
    """Waits for updates of `uri` until reading it shows `status` (several transitions may come as
    one update: they say "read again", not what changed)."""
    with anyio.fail_after(WAIT):
        async for event in subscription:
            if event.uri != uri:
                continue
            state = await read()
            if state["status"] == status:
                return state
    pytest.fail(f"the subscription ended before {uri} showed {status}")


async def _read_order(mcp, order_id: int) -> dict:
    return json.loads((await mcp.read_resource(f"tigermcp://orders/{order_id}")).contents[0].text)


def _commit_elsewhere(world, *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=world.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_subscribing_needs_read_permission_on_the_account(world):
    paper_a, paper_b = world.accounts["paper_a"], world.accounts["paper_b"]
    async with world.stdio("--client", "trader") as trader:
        order_id = await _place(trader, _order(world, fill=False))  # in paper_a, the default
    async with world.stdio("--client", "reader") as reader:
        with pytest.raises(MCPError) as refused:
            async with reader.listen(resource_subscriptions=[f"tigermcp://accounts/{paper_b}/orders"]):
                pass
        assert "unknown_account" in str(refused.value) and paper_a in str(refused.value)  # names what it may read
        # An order in an account it may read: allowed; the same id through another client's view: not.
        async with reader.listen(resource_subscriptions=[f"tigermcp://orders/{order_id}"]) as sub:
            assert sub.honored.resource_subscriptions == [f"tigermcp://orders/{order_id}"]
        assert (await _read_order(reader, order_id))["status"] == "SUBMITTED"
    async with world.stdio("--client", "nobody") as nobody:
        for uri in (f"tigermcp://orders/{order_id}", f"tigermcp://accounts/{paper_a}/orders"):
            with pytest.raises(MCPError) as refused:
                async with nobody.listen(resource_subscriptions=[uri]):
                    pass
            assert "unknown_order" in str(refused.value) or "unknown_account" in str(refused.value)
        with pytest.raises(MCPError, match="unknown_order"):
            await nobody.read_resource(f"tigermcp://orders/{order_id}")


@pytest.mark.redis
async def test_transitions_committed_by_other_processes_reach_a_stdio_subscriber(world):
    paper_a = world.accounts["paper_a"]
    account_uri = f"tigermcp://accounts/{paper_a}/orders"
    async with world.stdio("--client", "reader") as watcher:
        async with watcher.listen(resource_subscriptions=[account_uri]) as account_sub:
            # Placed by another run_mcp process: SUBMITTED reaches the watcher's account subscription.
            async with world.stdio("--client", "trader") as trader:
                resting = await _place(trader, _order(world, fill=False))
                filling = await _place(trader, _order(world, fill=True, quantity="3"))

            async def account_shows(order_id, status):
                rows = json.loads((await watcher.read_resource(account_uri)).contents[0].text)["orders"]
                return next((r for r in rows if r["order_ref"] == str(order_id)), {"status": None})

            await _until_status(watcher, account_sub, account_uri, lambda: account_shows(resting, "SUBMITTED"), "SUBMITTED")

            async with watcher.listen(resource_subscriptions=[f"tigermcp://orders/{filling}"]) as order_sub:
                # Filled at the simulator, committed by reconcile_orders (a management command).
                world.sim.match()
                _commit_elsewhere(world, "reconcile_orders")
                filled = await _until_status(watcher, order_sub, f"tigermcp://orders/{filling}",
                                             lambda: _read_order(watcher, filling), "FILLED")
                assert Decimal(filled["filled_quantity"]) == 3 and filled["is_open"] is False

            async with watcher.listen(resource_subscriptions=[f"tigermcp://orders/{resting}"]) as order_sub:
                # Cancelled through yet another run_mcp process.
                async with world.stdio("--client", "trader") as trader:
                    first = (await trader.call_tool("cancel_order", {"order_id": resting})).structured_content
                    done = await trader.call_tool("cancel_order", {"order_id": resting,
                                                                   "confirmation_token": first["preview"]["confirmation_token"]})
                    assert not done.is_error, done.content[0].text
                await _until_status(watcher, order_sub, f"tigermcp://orders/{resting}",
                                    lambda: _read_order(watcher, resting), "CANCELLED")
            # get_order, after the update, shows the new state too.
            got = (await watcher.call_tool("get_order", {"order_id": resting})).structured_content
            assert got["status"].upper().startswith("CANCEL"), got


@pytest.mark.redis
async def test_an_http_subscriber_is_told_of_a_transition_committed_by_another_process(world, http_server):
    server = http_server()
    async with server.client(world.tokens["reader"]) as watcher, world.stdio("--client", "trader") as trader:
        order_id = await _place(trader, _order(world, fill=True))
        uri = f"tigermcp://orders/{order_id}"
        async with watcher.listen(resource_subscriptions=[uri]) as sub:
            world.sim.match()
            _commit_elsewhere(world, "reconcile_orders")
            state = await _until_status(watcher, sub, uri, lambda: _read_order(watcher, order_id), "FILLED")
        assert state["account"] == world.accounts["paper_a"]
        got = (await watcher.call_tool("get_order", {"order_id": order_id})).structured_content
        assert Decimal(got["filled_quantity"]) == 2


async def test_without_redis_a_transition_committed_in_the_same_process_reaches_its_subscriber(world):
    """The embedded default (no REDIS_URL): the in-process channel layer carries this process's own
    transitions to its subscribers."""
    paper_a = world.accounts["paper_a"]
    account_uri = f"tigermcp://accounts/{paper_a}/orders"
    async with world.stdio("--client", "trader", env={"REDIS_URL": ""}) as trader:
        async with trader.listen(resource_subscriptions=[account_uri]) as sub:
            order_id = await _place(trader, _order(world, fill=False))

            async def mine():
                rows = json.loads((await trader.read_resource(account_uri)).contents[0].text)["orders"]
                return next(r for r in rows if r["order_ref"] == str(order_id))

            await _until_status(trader, sub, account_uri, mine, "SUBMITTED")
        assert (await _read_order(trader, order_id))["status"] == "SUBMITTED"


class Updates:
    """The message handler of a client in legacy mode: the resource updates its session receives."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.uris: list[str] = []
        self.arrived = anyio.Event()

    async def on_message(self, message) -> None:
        uri = getattr(getattr(message, "params", None), "uri", None)
        if uri is not None and str(uri).startswith(self.prefix):
            self.uris.append(str(uri))
            self.arrived.set()


@pytest.mark.redis
async def test_the_session_based_protocol_subscribes_with_resources_subscribe(world):
    """The mcp client's legacy mode: resources/subscribe, and the updates as notifications on its session."""
    from mcp import Client, StdioServerParameters

    updates = Updates("tigermcp://accounts/")

    paper_a, paper_b = world.accounts["paper_a"], world.accounts["paper_b"]
    account_uri = f"tigermcp://accounts/{paper_a}/orders"
    params = StdioServerParameters(command=sys.executable, args=["manage.py", "run_mcp", "--client", "reader"],
                                   env=world.env, cwd=str(ROOT))
    async with Client(params, mode="legacy", message_handler=updates.on_message, read_timeout_seconds=60) as reader:
        assert reader.server_capabilities.resources.subscribe is True
        with pytest.raises(MCPError, match="unknown_account"):
            await reader.session.subscribe_resource(f"tigermcp://accounts/{paper_b}/orders")
        await reader.session.subscribe_resource(account_uri)
        async with world.stdio("--client", "trader") as trader:
            order_id = await _place(trader, _order(world, fill=False))
        with anyio.fail_after(WAIT):
            await updates.arrived.wait()
        assert updates.uris[0] == account_uri
        assert (await _read_order(reader, order_id))["status"] == "SUBMITTED"


@pytest.mark.redis
async def test_the_session_based_protocol_over_http_gets_updates_on_its_event_stream(world, http_server):
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    updates = Updates("tigermcp://orders/")

    server = http_server()
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {world.tokens['reader']}"}, timeout=httpx2.Timeout(60))
    async with world.stdio("--client", "trader") as trader:
        order_id = await _place(trader, _order(world, fill=True))
    uri = f"tigermcp://orders/{order_id}"
    async with Client(streamable_http_client(server.url, http_client=http), mode="legacy",
                      message_handler=updates.on_message, read_timeout_seconds=60) as reader:
        await reader.session.subscribe_resource(uri)
        world.sim.match()
        _commit_elsewhere(world, "reconcile_orders")
        with anyio.fail_after(WAIT):
            await updates.arrived.wait()
        assert updates.uris[0] == uri
        assert (await _read_order(reader, order_id))["status"] == "FILLED"
