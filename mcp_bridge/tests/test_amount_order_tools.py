"""Orders by amount through run_mcp over stdio, against the simulator: preview -> place {"amount": "500"}
(filled in fractions of a share), the fractional position listed and then sold by fractional quantity;
a symbol that does not trade in fractions refused with what to do."""

from decimal import ROUND_FLOOR, Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok, sim_orders

pytestmark = pytest.mark.anyio


async def test_buy_by_amount_then_sell_the_fraction(world):
    account = world.sim.exchange.accounts[world.accounts["paper_a"]]
    order = {"symbol": "AAPL", "side": "BUY", "amount": "500", "order_type": "MKT"}
    async with world.stdio("--client", "trader") as mcp:
        preview = ok(await mcp.call_tool("preview_order", order))
        assert preview["allowed"] is True and preview["order"]["amount"] == "500"
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed["order"]["amount"] == {"amount": "500", "currency": "USD"}
        shares = account.positions["AAPL"].quantity
        assert shares != shares.to_integral_value()
        [held] = [p for p in ok(await mcp.call_tool("get_positions", {}))["positions"] if p["symbol"] == "AAPL"]
        assert Decimal(held["quantity"]) == shares
        fraction = shares - shares.to_integral_value(rounding=ROUND_FLOOR)
        sell = {"symbol": "AAPL", "side": "SELL", "quantity": str(fraction), "order_type": "MKT"}
        preview = ok(await mcp.call_tool("preview_order", sell))
        ok(await mcp.call_tool("place_order", {**sell, "confirmation_token": preview["confirmation_token"]}))
        refused = await mcp.call_tool("preview_order", {**order, "symbol": "QQQ"})
    assert account.positions["AAPL"].quantity == shares.to_integral_value(rounding=ROUND_FLOOR)
    assert [o.cash_amount for o in sim_orders(world)] == [Decimal("500"), None]
    assert "QQQ does not trade in fractional shares" in error_text(refused)
