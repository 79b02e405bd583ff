"""Option orders through run_mcp over stdio, against the simulator: preview -> place by identifier
(filled at the chain's ask, cash moved through the multiplier), by underlying/expiry/strike/right
(rests, then cancelled), and the chain's refusals with the nearest valid values."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok, sim_orders
from tigermcp.testing import listed_option

pytestmark = pytest.mark.anyio


async def test_an_option_by_identifier_previews_places_and_fills_through_the_multiplier(world):
    _expiry, _strike, quote = listed_option(world.sim, expiry_index=3)
    account = world.sim.exchange.accounts[world.accounts["paper_a"]]
    cash = account.cash["USD"]
    order = {"identifier": quote["identifier"], "side": "BUY", "quantity": "2", "order_type": "MKT"}
    async with world.stdio("--client", "trader") as mcp:
        preview = ok(await mcp.call_tool("preview_order", order))
        assert preview["allowed"] is True and preview["order"]["sec_type"] == "OPT"
        assert preview["order"]["multiplier"] == "100" and preview["order"]["symbol"] == "AAPL"
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed["order"]["identifier"] == quote["identifier"] and placed["order"]["multiplier"] == "100"
        listed = ok(await mcp.call_tool("get_orders", {}))
        options = ok(await mcp.call_tool("get_positions", {"sec_type": "OPT"}))["positions"]
        stocks = ok(await mcp.call_tool("get_positions", {}))["positions"]
    [at_broker] = sim_orders(world)
    assert at_broker.symbol == quote["identifier"] and at_broker.status == "Filled"
    assert at_broker.avg_fill_price == Decimal(str(quote["askPrice"]))
    assert cash - account.cash["USD"] == at_broker.filled_value * 100 + at_broker.commission
    [seen] = listed["orders"]
    assert seen["sec_type"] == "OPT" and seen["identifier"] == quote["identifier"] and seen["multiplier"] == "100"
    [held] = options
    assert (held["symbol"], held["sec_type"], held["identifier"], held["quantity"], held["multiplier"]) == (
        "AAPL", "OPT", quote["identifier"], "2", "100")
    assert Decimal(held["market_value"]["amount"]) == 2 * 100 * Decimal(held["latest_price"]["amount"])
    assert all(p["sec_type"] == "STK" for p in stocks)


async def test_an_option_by_underlying_expiry_strike_right_rests_and_cancels(world):
    expiry, strike, quote = listed_option(world.sim, expiry_index=3)
    low = max(Decimal("0.01"), (Decimal(str(quote["bidPrice"])) / 2).quantize(Decimal("0.01")))
    order = {"symbol": "AAPL", "expiry": expiry.isoformat(), "strike": str(strike), "right": "CALL", "side": "BUY",
             "quantity": "1", "order_type": "LMT", "limit_price": str(low)}
    async with world.stdio("--client", "trader") as mcp:
        preview = ok(await mcp.call_tool("preview_order", order))
        assert Decimal(preview["order"]["strike"]) == strike and preview["order"]["right"] == "CALL"
        # The restatement by identifier is the same order: the token confirms it.
        placed = ok(await mcp.call_tool("place_order", {"identifier": quote["identifier"], "side": "BUY",
                                                        "quantity": "1", "order_type": "LMT",
                                                        "limit_price": str(low),
                                                        "confirmation_token": preview["confirmation_token"]}))
        assert placed["status"] == "SUBMITTED"
        ref = int(placed["order"]["order_ref"])
        token = ok(await mcp.call_tool("cancel_order", {"order_id": ref}))["confirmation_token"]
        done = ok(await mcp.call_tool("cancel_order", {"order_id": ref, "confirmation_token": token}))
    assert done["status"] in ("CANCEL_PENDING", "CANCELLED")
    [at_broker] = sim_orders(world)
    assert at_broker.symbol == quote["identifier"] and at_broker.status in ("PendingCancel", "Cancelled")


async def test_an_unlisted_strike_and_a_naked_call_are_refused_with_what_to_do(world):
    expiry, strike, quote = listed_option(world.sim, expiry_index=3)
    async with world.stdio("--client", "trader") as mcp:
        off = await mcp.call_tool("preview_order", {"symbol": "AAPL", "expiry": expiry.isoformat(),
                                                    "strike": str(strike + Decimal("1")), "right": "CALL",
                                                    "side": "BUY", "quantity": "1", "order_type": "MKT"})
        naked = ok(await mcp.call_tool("preview_order", {"identifier": quote["identifier"], "side": "SELL",
                                                         "quantity": "1", "order_type": "MKT"}))
    assert "Nearest strikes: " in error_text(off) and f"{strike.normalize():f}" in error_text(off)
    assert naked["allowed"] is False and naked["confirmation_token"] is None
    assert "naked_short_call" in naked["next_step"] and "Buy the shares first" in naked["next_step"]
    assert sim_orders(world) == []
