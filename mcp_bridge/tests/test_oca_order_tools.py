"""An OCA group through run_mcp over stdio, against the simulator: previewed with every order as a leg,
placed once with its token (the restatement must carry the group), both orders listed, and the first to
fill cancelling the other; a bad group refused with how to fix it."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok, sim_orders, working_price

pytestmark = pytest.mark.anyio
D = Decimal


async def test_an_oca_group_previews_places_once_and_a_fill_cancels_the_other(world):
    ask = world.sim.quote("AAPL").ask
    far = D(working_price(world.sim, side="SELL"))  # a buy stop 5 % above the market
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "3", "order_type": "LMT", "limit_price": str(ask),
             "oca_orders": [{"order_type": "STP", "stop_price": str(far)}]}
    async with world.stdio("--client", "trader") as mcp:
        wrong = await mcp.call_tool("preview_order", {**order, "oca_orders": [{"order_type": "LMT",
                                                                               "stop_price": "100"}]})
        assert "oca_orders[0] is a LMT order: it needs limit_price" in error_text(wrong)
        preview = ok(await mcp.call_tool("preview_order", order))
        assert preview["allowed"] is True, preview["next_step"]
        assert [(leg["role"], leg["order_type"]) for leg in preview["preview"]["legs"]] == [("oca", "LMT"), ("oca", "STP")]
        assert preview["preview"]["net"]["text"].startswith("At most one order of the group fills.")
        # The restatement must carry the group: without it it is another order.
        without = await mcp.call_tool("place_order", {**order, "oca_orders": None,
                                                      "confirmation_token": preview["confirmation_token"]})
        assert without.is_error and sim_orders(world) == []
        preview = ok(await mcp.call_tool("preview_order", order))
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        again = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert again["order"]["order_ref"] == placed["order"]["order_ref"] and "already used" in again["message"]
        world.sim.match()
        first = ok(await mcp.call_tool("get_order", {"order_id": int(placed["order"]["order_ref"])}))
        assert first["status"] == "FILLED"
        listed = ok(await mcp.call_tool("get_orders", {}))["orders"]
        (other,) = [o for o in listed if o["broker_id"] != placed["order"]["broker_id"]]
        assert other["order_type"] == "STP" and other["status"] == "CANCELLED" and other["order_ref"]
    at_broker = sim_orders(world)
    assert len(at_broker) == 2 and {o.oca_group for o in at_broker} == {int(placed["order"]["broker_id"])}
    assert sorted(o.status for o in at_broker) == ["Cancelled", "Filled"]
