"""preview_order over stdio (the mcp client) shows what the order will do, in the same `preview`
object as REST and the admin: every leg, the net debit or credit, commission, margin impact, maximum
loss and session; against the simulator."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import ok, working_price

pytestmark = pytest.mark.anyio
D = Decimal


async def test_a_bracket_and_a_short_sale_preview_their_legs_money_loss_and_session(world):
    limit = D(working_price(world.sim))
    bracket = {"symbol": "AAPL", "side": "BUY", "quantity": "4", "order_type": "LMT", "limit_price": str(limit),
               "take_profit_price": str(limit + 10), "stop_loss_price": str(limit - 3)}
    short = {"symbol": "AAPL", "side": "SELL", "quantity": "2", "order_type": "LMT",
             "limit_price": working_price(world.sim, side="SELL")}
    async with world.stdio("--client", "trader") as mcp:
        s = ok(await mcp.call_tool("preview_order", bracket))["preview"]
        assert [(leg["role"], leg["side"], leg["order_type"], D(leg["price"]), leg["quantity"]) for leg in s["legs"]] == [
            ("entry", "BUY", "LMT", limit, "4"), ("take_profit", "SELL", "LMT", limit + 10, "4"),
            ("stop_loss", "SELL", "STP", limit - 3, "4")]
        assert s["net"]["direction"] == "debit" and D(s["net"]["amount"]) == limit * 4
        assert s["commission"] == {"min": "1", "max": "1", "currency": "USD",
                                   "text": "Commission 1.00 USD (Tiger's preview)."}
        assert D(s["margin"]["initial_change"]) > 0 and s["margin"]["text"].startswith("Buying power: uses")
        assert s["max_loss"]["bounded"] is True and D(s["max_loss"]["amount"]) == 12  # 3.00 x 4
        assert s["session"]["name"] == "regular" and s["session"]["market_status"] == "TRADING"
        s = ok(await mcp.call_tool("preview_order", short))["preview"]
        assert s["net"]["direction"] == "credit" and D(s["net"]["amount"]) == D(short["limit_price"]) * 2
        assert s["max_loss"]["bounded"] is False and s["max_loss"]["amount"] is None
