"""The "quotes" toolset through run_mcp over stdio (and toolsets over HTTP), against the simulator
(frozen at 11:00 New York, so every figure can be checked against its own price model)."""

import datetime as dt
from decimal import Decimal

import httpx2
import pytest

from mcp_bridge.tests.test_tools import ALL_TOOLS, error_text, ok

pytestmark = pytest.mark.anyio

QUOTE_TOOLS = {"get_depth", "get_timeline", "get_delayed_quote", "get_capital_flow", "get_capital_distribution",
               "get_broker_seats"}


async def test_the_default_tool_list_stays_core_and_toolsets_add_tools(world):
    async with world.stdio("--client", "trader") as mcp:
        default = {t.name for t in (await mcp.list_tools()).tools}
        hidden = await mcp.call_tool("get_depth", {"symbols": ["AAPL"]})
    async with world.stdio("--client", "trader", "--toolsets", "quotes") as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
    assert default == ALL_TOOLS and not default & QUOTE_TOOLS
    assert "toolset_not_enabled" in error_text(hidden) and "--toolsets core,quotes" in error_text(hidden)
    assert set(tools) == ALL_TOOLS | QUOTE_TOOLS
    for name in QUOTE_TOOLS:
        assert tools[name].annotations.read_only_hint is True and tools[name].output_schema, name
        assert "Use" in tools[name].description or "use" in tools[name].description, name


async def test_a_deployment_picks_toolsets_and_a_bad_name_fails_at_start(world):
    async with world.stdio("--client", "reader", env={"TIGERMCP_TOOLSETS": "all"}) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
    assert QUOTE_TOOLS <= names
    import subprocess
    import sys

    from mcp_bridge.tests.conftest import ROOT

    bad = subprocess.run([sys.executable, "manage.py", "run_mcp", "--toolsets", "quotes,nonsense"], cwd=ROOT,
                         env=world.env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert bad.returncode != 0 and "Unknown toolset 'nonsense'" in bad.stderr


async def test_depth_level_one_is_the_quote(world):
    sim_quote = world.sim.quote("AAPL")
    async with world.stdio("--client", "reader", "--toolsets", "quotes") as mcp:
        result = ok(await mcp.call_tool("get_depth", {"symbols": ["AAPL", "00700"]}))
    books = {b["symbol"]: b for b in result["books"]}
    aapl = books["AAPL"]
    assert aapl["currency"] == "USD" and books["00700"]["currency"] == "HKD"
    assert Decimal(aapl["bids"][0]["price"]) == sim_quote.bid and Decimal(aapl["asks"][0]["price"]) == sim_quote.ask
    assert Decimal(aapl["bids"][0]["volume"]) == sim_quote.bid_size
    assert Decimal(aapl["asks"][0]["volume"]) == sim_quote.ask_size


async def test_timeline_ends_at_the_latest_price_and_a_past_day_is_whole(world):
    latest = world.sim.quote("AAPL").regular_latest
    async with world.stdio("--client", "reader", "--toolsets", "quotes") as mcp:
        today = ok(await mcp.call_tool("get_timeline", {"symbols": ["AAPL"]}))
        past = ok(await mcp.call_tool("get_timeline", {"symbols": ["00700"], "day": "2026-03-09"}))
    [aapl] = today["timelines"]
    assert today["day"] is None and Decimal(aapl["points"][-1]["price"]) == latest
    assert aapl["points"][0]["time"] == "2026-03-10T13:30:00+00:00"  # 09:30 New York, daylight time
    assert len(aapl["points"]) == 91  # 09:30 to 11:00, the last minute just begun
    volumes = sum(Decimal(p["volume"]) for p in aapl["points"])
    assert volumes == world.sim.quote("AAPL").volume
    [hk] = past["timelines"]
    assert past["day"] == "2026-03-09" and len(hk["points"]) == 330 and hk["currency"] == "HKD"  # 5.5 h session
    assert {p["session"] for p in hk["points"]} == {"Regular"}


async def test_delayed_quote_is_the_quote_of_fifteen_minutes_ago(world):
    then = world.sim.clock.now() - dt.timedelta(minutes=15)
    earlier = world.sim.exchange.quote("MSFT", then)
    async with world.stdio("--client", "reader", "--toolsets", "quotes") as mcp:
        result = ok(await mcp.call_tool("get_delayed_quote", {"symbols": ["MSFT"]}))
    [q] = result["quotes"]
    assert q["delayed"] is True and q["time"] == then.isoformat()
    assert Decimal(q["latest_price"]) == earlier.regular_latest and Decimal(q["volume"]) == earlier.volume


async def test_capital_flow_ends_at_todays_distribution(world):
    async with world.stdio("--client", "reader", "--toolsets", "quotes") as mcp:
        dist = ok(await mcp.call_tool("get_capital_distribution", {"symbol": "AAPL"}))
        intraday = ok(await mcp.call_tool("get_capital_flow", {"symbol": "AAPL", "period": "intraday"}))
        daily = ok(await mcp.call_tool("get_capital_flow", {"symbol": "AAPL", "period": "day", "limit": 3}))
        bad = await mcp.call_tool("get_capital_flow", {"symbol": "AAPL", "period": "hourly"})
    net = Decimal(dist["net_inflow"])
    assert net == Decimal(dist["inflow"]["all"]) - Decimal(dist["outflow"]["all"])
    assert Decimal(intraday["points"][-1]["net_inflow"]) == net == Decimal(daily["points"][-1]["net_inflow"])
    assert [p["label"] for p in daily["points"]] == ["2026-03-06", "2026-03-09", "2026-03-10"]
    # Both sides together are the day's traded amount so far.
    from tigersim.instruments import get_instrument

    minutes = world.sim.exchange.prices.minute_bars(get_instrument("AAPL"), dt.date(2026, 3, 10), world.sim.clock.now())
    assert Decimal(dist["inflow"]["all"]) + Decimal(dist["outflow"]["all"]) == sum(b.amount for b in minutes)
    assert "hourly" in error_text(bad) or "period" in error_text(bad)


async def test_broker_seats_stand_on_the_depths_prices(world):
    async with world.stdio("--client", "reader", "--toolsets", "quotes") as mcp:
        seats = ok(await mcp.call_tool("get_broker_seats", {"symbol": "00700", "limit": 2}))
        book = ok(await mcp.call_tool("get_depth", {"symbols": ["00700"]}))
        us = await mcp.call_tool("get_broker_seats", {"symbol": "AAPL"})
    [book] = book["books"]
    assert [lv["price"] for lv in seats["bid"]] == [x["price"] for x in book["bids"][:5]]
    assert [lv["price"] for lv in seats["ask"]] == [x["price"] for x in book["asks"][:5]]
    assert all(1 <= len(lv["brokers"]) <= 2 for lv in seats["bid"] + seats["ask"])
    assert "hk_only" in error_text(us) and "get_depth" in error_text(us)


def _initialize(url, token):
    return httpx2.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}, timeout=30)


async def test_an_http_client_asks_for_toolsets_in_the_url(world, http_server):
    server = http_server()
    base = server.url
    server.url = f"{base}?toolsets=quotes"
    async with server.client(world.tokens["reader"]) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        depth = ok(await mcp.call_tool("get_depth", {"symbols": ["SPY"]}))
    server.url = base
    async with server.client(world.tokens["reader"]) as mcp:
        default = {t.name for t in (await mcp.list_tools()).tools}
    assert QUOTE_TOOLS <= names and not QUOTE_TOOLS & default
    assert depth["books"][0]["symbol"] == "SPY"
    bad = _initialize(f"{base}?toolsets=everything", world.tokens["reader"])
    assert bad.status_code == 400 and "Unknown toolset 'everything'" in bad.json()["message"]


async def test_an_account_without_real_time_quotes_is_pointed_to_delayed_ones(world):
    world.sim.deny_realtime_quotes(world.developer.tiger_id)
    try:
        async with world.stdio("--client", "reader", "--toolsets", "quotes") as mcp:
            refused = await mcp.call_tool("get_quote", {"symbols": ["AAPL"]})
            delayed = ok(await mcp.call_tool("get_delayed_quote", {"symbols": ["AAPL"]}))
    finally:
        world.sim.deny_realtime_quotes(world.developer.tiger_id, denied=False)
    text = error_text(refused)
    assert "no_quote_permission" in text and "get_delayed_quote" in text
    assert delayed["quotes"][0]["delayed"] is True
