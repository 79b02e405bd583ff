"""A bracket through run_mcp over stdio, against the simulator: preview and place a LMT entry with a
take-profit and a stop-loss, the legs listed with their entry's Tiger id, cancelling the entry
cancels them; legs on the wrong side are refused with how to fix them."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok, sim_orders, working_price

pytestmark = pytest.mark.anyio


async def test_a_bracket_previews_places_lists_its_legs_and_goes_with_its_cancelled_entry(world):
    limit = Decimal(working_price(world.sim))
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "4", "order_type": "LMT", "limit_price": str(limit),
             "take_profit_price": str(limit + 10), "stop_loss_price": str(limit - 10)}
    async with world.stdio("--client", "trader") as mcp:
        wrong = await mcp.call_tool("preview_order", {**order, "take_profit_price": str(limit - 1)})
        assert f"give a take_profit_price above {limit.normalize():f}" in error_text(wrong)
        preview = ok(await mcp.call_tool("preview_order", order))
        assert preview["allowed"] is True
        assert preview["order"]["take_profit_price"] == str(limit + 10)
        assert preview["order"]["stop_loss_price"] == str(limit - 10)
        # The restatement must carry the legs: without them it is another order.
        without = await mcp.call_tool("place_order", {**order, "stop_loss_price": None,
                                                      "confirmation_token": preview["confirmation_token"]})
        assert without.is_error and sim_orders(world) == []
        preview = ok(await mcp.call_tool("preview_order", order))
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed["status"] == "SUBMITTED"
        assert placed["order"]["take_profit_price"] == {"amount": str(limit + 10), "currency": "USD"}
        entry_id = placed["order"]["broker_id"]
        listed = ok(await mcp.call_tool("get_orders", {"open_only": True}))["orders"]
        legs = sorted((o for o in listed if o["parent_broker_id"] == entry_id), key=lambda o: o["order_type"])
        assert [(o["order_type"], o["side"], o["quantity"]) for o in legs] == [("LMT", "SELL", "4"), ("STP", "SELL", "4")]
        assert all(o["order_ref"] for o in legs)  # each leg is an order of ours too
        ref = int(placed["order"]["order_ref"])
        step = ok(await mcp.call_tool("cancel_order", {"order_id": ref}))
        ok(await mcp.call_tool("cancel_order", {"order_id": ref, "confirmation_token": step["confirmation_token"]}))
        world.sim.match()
        leg = ok(await mcp.call_tool("get_order", {"broker_id": legs[0]["broker_id"]}))
        assert leg["status"] == "CANCELLED" and leg["parent_broker_id"] == entry_id
    at_broker = sim_orders(world)
    assert len(at_broker) == 3 and {o.status for o in at_broker} == {"Cancelled"}
    assert sorted(o.leg_type for o in at_broker if o.parent_id) == ["LOSS", "PROFIT"]
