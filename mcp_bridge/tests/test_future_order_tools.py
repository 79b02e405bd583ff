"""Futures orders through run_mcp over stdio, against the simulator: a product previews its front
contract and fills through the multiplier (margin from the futures segment), a named month rests and
is cancelled, and an unlisted contract is refused naming the listed ones."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok, sim_orders

pytestmark = pytest.mark.anyio
FRONT = "ES2603"  # the world's clock is 2026-03-10


async def _fund(world, mcp, order):
    """USD 100,000 in the futures segment, and money limits a future fits in: the default policy (made
    by the first preview) refuses one contract, worth far more than its 100,000 per order."""
    world.sim.transfer_to_futures(world.accounts["paper_a"], "USD", Decimal("100000"))
    refused = ok(await mcp.call_tool("preview_order", order))
    assert refused["allowed"] is False
    assert [r["rule"] for r in refused["risk"] if not r["passed"]] == ["max_notional"]
    world.run_sql("UPDATE trading_riskpolicy SET max_order_notional = 2000000, max_open_exposure = 5000000")


async def test_a_product_previews_its_front_contract_places_and_fills_through_the_multiplier(world):
    account = world.sim.exchange.accounts[world.accounts["paper_a"]]
    order = {"sec_type": "FUT", "symbol": "ES", "side": "BUY", "quantity": "1", "order_type": "MKT"}
    async with world.stdio("--client", "trader") as mcp:
        await _fund(world, mcp, order)
        preview = ok(await mcp.call_tool("preview_order", order))
        assert preview["allowed"] is True and preview["order"]["sec_type"] == "FUT"
        assert preview["order"]["symbol"] == FRONT and preview["order"]["multiplier"] == "50"
        # The restatement names the product, as the preview did: the token confirms the front contract.
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed["order"]["symbol"] == FRONT and placed["order"]["multiplier"] == "50"
        listed = ok(await mcp.call_tool("get_orders", {}))
        futures = ok(await mcp.call_tool("get_positions", {"sec_type": "FUT"}))["positions"]
    [at_broker] = sim_orders(world)
    assert at_broker.symbol == FRONT and at_broker.status == "Filled"
    assert account.positions[FRONT].quantity == 1
    assert account.futures_cash["USD"] == Decimal("100000") - at_broker.commission
    [seen] = listed["orders"]
    assert seen["sec_type"] == "FUT" and seen["symbol"] == FRONT and seen["multiplier"] == "50"
    [held] = futures
    assert (held["symbol"], held["sec_type"], held["quantity"], held["multiplier"]) == (FRONT, "FUT", "1", "50")


async def test_a_named_month_rests_and_cancels_and_an_unlisted_one_names_the_listed(world):
    bid = world.sim.quote("ES2606").bid
    low = (bid * Decimal("0.95") / Decimal("0.25")).quantize(Decimal(1)) * Decimal("0.25")
    order = {"sec_type": "FUT", "symbol": "ES2606", "side": "BUY", "quantity": "1", "order_type": "LMT",
             "limit_price": str(low)}
    async with world.stdio("--client", "trader") as mcp:
        await _fund(world, mcp, order)
        preview = ok(await mcp.call_tool("preview_order", order))
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed["status"] == "SUBMITTED"
        ref = int(placed["order"]["order_ref"])
        token = ok(await mcp.call_tool("cancel_order", {"order_id": ref}))["confirmation_token"]
        done = ok(await mcp.call_tool("cancel_order", {"order_id": ref, "confirmation_token": token}))
        unlisted = await mcp.call_tool("preview_order", {**order, "symbol": "ES2605"})
    assert done["status"] in ("CANCEL_PENDING", "CANCELLED")
    [at_broker] = sim_orders(world)
    assert at_broker.symbol == "ES2606" and at_broker.status in ("PendingCancel", "Cancelled")
    assert "Listed: ES2603, ES2606, ES2609, ES2612" in error_text(unlisted)
