"""Modifying each kind of working order through run_mcp over stdio, against the simulator: an option's
limit price, a named futures month's limit price and a bracket entry's limit price are each changed
(preview, then confirm with the token) at Tiger, and the changed order is then cancelled."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import ok, sim_orders, working_price
from tigermcp.testing import listed_option

pytestmark = pytest.mark.anyio


async def _modify_then_cancel(mcp, ref: int, change: dict) -> dict:
    step = ok(await mcp.call_tool("modify_order", {"order_id": ref, **change}))
    done = ok(await mcp.call_tool("modify_order", {"order_id": ref, **change,
                                                   "confirmation_token": step["confirmation_token"]}))
    step = ok(await mcp.call_tool("cancel_order", {"order_id": ref}))
    ok(await mcp.call_tool("cancel_order", {"order_id": ref, "confirmation_token": step["confirmation_token"]}))
    return done["order"]


async def _place(mcp, order: dict) -> int:
    preview = ok(await mcp.call_tool("preview_order", order))
    placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
    assert placed["status"] == "SUBMITTED"
    return int(placed["order"]["order_ref"])


async def test_an_option_limit_is_repriced_at_tiger_then_cancelled(world):
    _expiry, _strike, quote = listed_option(world.sim, expiry_index=3)
    low = max(Decimal("0.02"), (Decimal(str(quote["bidPrice"])) / 2).quantize(Decimal("0.01")))
    lower = (low / 2).quantize(Decimal("0.01"))
    order = {"identifier": quote["identifier"], "side": "BUY", "quantity": "1", "order_type": "LMT",
             "limit_price": str(low)}
    async with world.stdio("--client", "trader") as mcp:
        ref = await _place(mcp, order)
        changed = await _modify_then_cancel(mcp, ref, {"limit_price": str(lower)})
    assert changed["limit_price"] == {"amount": f"{lower:f}", "currency": "USD"}
    [at_broker] = sim_orders(world)
    assert (at_broker.symbol, at_broker.limit_price) == (quote["identifier"], lower)
    assert at_broker.status in ("PendingCancel", "Cancelled")


async def test_a_futures_month_limit_is_repriced_at_tiger_then_cancelled(world):
    world.sim.transfer_to_futures(world.accounts["paper_a"], "USD", Decimal("100000"))
    bid = world.sim.quote("ES2606").bid
    low = (bid * Decimal("0.95") / Decimal("0.25")).quantize(Decimal(1)) * Decimal("0.25")
    order = {"sec_type": "FUT", "symbol": "ES2606", "side": "BUY", "quantity": "1", "order_type": "LMT",
             "limit_price": str(low)}
    async with world.stdio("--client", "trader") as mcp:
        assert ok(await mcp.call_tool("preview_order", order))["allowed"] is False  # the default money limits
        world.run_sql("UPDATE trading_riskpolicy SET max_order_notional = 2000000, max_open_exposure = 5000000")
        ref = await _place(mcp, order)
        await _modify_then_cancel(mcp, ref, {"limit_price": str(low - 1)})
    [at_broker] = sim_orders(world)
    assert (at_broker.symbol, at_broker.limit_price) == ("ES2606", low - 1)
    assert at_broker.status in ("PendingCancel", "Cancelled")


async def test_a_bracket_entry_is_repriced_at_tiger_and_its_legs_go_with_its_cancel(world):
    limit = Decimal(working_price(world.sim))
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "4", "order_type": "LMT", "limit_price": str(limit),
             "take_profit_price": str(limit + 10), "stop_loss_price": str(limit - 10)}
    async with world.stdio("--client", "trader") as mcp:
        ref = await _place(mcp, order)
        await _modify_then_cancel(mcp, ref, {"limit_price": str(limit - 1)})
    world.sim.match()
    entry = next(o for o in sim_orders(world) if not o.parent_id)
    assert entry.limit_price == limit - 1
    assert {o.status for o in sim_orders(world)} <= {"PendingCancel", "Cancelled"} and len(sim_orders(world)) == 3
