"""The "futures" toolset through run_mcp over stdio, against the simulator (frozen at 11:00 New York)."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok

pytestmark = pytest.mark.anyio


async def test_the_front_es_contract_follows_spy(world):
    async with world.stdio("--client", "reader", "--toolsets", "futures") as mcp:
        current = ok(await mcp.call_tool("get_future_contracts", {"product": "ES"}))
        code = current["contracts"][0]["code"]
        quote = ok(await mcp.call_tool("get_future_quote", {"codes": [code]}))
        bars = ok(await mcp.call_tool("get_future_bars", {"codes": [code], "limit": 3}))
        bad = await mcp.call_tool("get_future_quote", {"codes": ["ESZ6"]})
    assert code == "ES2603" and current["contracts"][0]["last_trading_date"] == "2026-03-20"
    [q] = quote["quotes"]
    spy = world.sim.quote("SPY").regular_latest
    # 10 days to expiry: SPY x 10.02 x (1 + 0.012 %/day x 10), on the quarter-point tick.
    expected = spy * Decimal("10.02") * (1 + Decimal("0.00012") * 10)
    assert abs(Decimal(q["latest_price"]) - expected) <= Decimal("0.125") and q["currency"] == "USD"
    [daily] = bars["bars"].values()
    assert len(daily) == 3 and daily[-1]["close"] == q["latest_price"]  # today's bar ends at the last price
    assert "get_future_contracts" in error_text(bad)
