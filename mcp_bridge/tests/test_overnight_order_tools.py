"""An overnight order through run_mcp over stdio, against the simulator: refused unless a US stock's
limit order, previewed as trading overnight, placed with its token (the restatement must carry the
session), and filled once the simulator's clock is in the overnight window."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mcp_bridge.tests.test_tools import error_text, ok, sim_orders

pytestmark = pytest.mark.anyio


async def test_an_overnight_order_is_previewed_placed_and_fills_overnight(world):
    limit = (world.sim.quote("AAPL").ask * Decimal("1.08")).quantize(Decimal("0.01"))  # inside the price collar
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT", "limit_price": str(limit),
             "trading_session_type": "OVERNIGHT"}
    async with world.stdio("--client", "trader") as mcp:
        wrong = await mcp.call_tool("preview_order", {**order, "symbol": "00700", "quantity": "100"})
        assert "The overnight session takes a US stock's LMT order (got market HK)" in error_text(wrong)
        preview = ok(await mcp.call_tool("preview_order", order))
        assert preview["order"]["trading_session_type"] == "OVERNIGHT"
        assert preview["preview"]["session"]["name"] == "overnight"
        without = await mcp.call_tool("place_order", {**order, "trading_session_type": None,
                                                      "confirmation_token": preview["confirmation_token"]})
        assert without.is_error and sim_orders(world) == []
        preview = ok(await mcp.call_tool("preview_order", order))
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed["order"]["trading_session_type"] == "OVERNIGHT"
        (at_broker,) = sim_orders(world)
        world.sim.match()
        assert at_broker.trading_session_type == "OVERNIGHT" and at_broker.status != "Filled"
        start = world.sim.clock.now()
        try:
            # 22:00 in New York on the night before the order's session day.
            night = dt.date.fromisoformat(at_broker.session_day) - dt.timedelta(days=1)
            world.sim.clock.set(dt.datetime.combine(night, dt.time(22), tzinfo=ZoneInfo("America/New_York")))
            world.sim.match()
        finally:
            world.sim.clock.set(start)
        assert at_broker.status == "Filled"
        got = ok(await mcp.call_tool("get_order", {"order_id": int(placed["order"]["order_ref"])}))
        assert got["status"] == "FILLED" and got["filled_quantity"] == "2"
