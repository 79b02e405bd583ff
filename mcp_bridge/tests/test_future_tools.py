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


async def test_intraday_future_bars_follow_the_quote(world):
    async with world.stdio("--client", "reader", "--toolsets", "futures") as mcp:
        code = ok(await mcp.call_tool("get_future_contracts", {"product": "NQ"}))["contracts"][0]["code"]
        quote = ok(await mcp.call_tool("get_future_quote", {"codes": [code]}))["quotes"][0]
        minutes = ok(await mcp.call_tool("get_future_bars", {"codes": [code], "period": "5min", "limit": 4}))
        hours = ok(await mcp.call_tool("get_future_bars", {"codes": [code], "period": "60min", "limit": 2}))
        bad = await mcp.call_tool("get_future_bars", {"codes": [code], "period": "2min"})
    assert minutes["period"] == "5min" and hours["period"] == "60min"
    [five] = minutes["bars"].values()
    assert [b["time"] for b in five] == ["2026-03-10T14:45:00+00:00", "2026-03-10T14:50:00+00:00",
                                         "2026-03-10T14:55:00+00:00", "2026-03-10T15:00:00+00:00"]
    assert five[-1]["close"] == quote["latest_price"]
    assert all(Decimal(b["low"]) <= Decimal(b["open"]) <= Decimal(b["high"]) for b in five)
    [hourly] = hours["bars"].values()
    assert hourly[-1]["close"] == quote["latest_price"] and len(hourly) == 2
    assert "period" in error_text(bad)
