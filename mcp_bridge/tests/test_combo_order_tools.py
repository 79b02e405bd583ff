"""Combo (multi-leg) orders through run_mcp over stdio, against the simulator: combo_order (options
toolset) previews every leg, the net debit or credit and the maximum loss (the preview object),
places with its token
(filled atomically, or resting then cancelled), get_orders / get_order show the legs."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import kill_switch_on, ok, sim_orders

pytestmark = pytest.mark.anyio


def strikes(sim, index=3, underlying="AAPL"):
    prices, now = sim.exchange.prices, sim.clock.now()
    expiry = prices.option_expiries(underlying, now)[index][0]
    listed = prices.option_strikes(underlying, now)
    spot = sim.quote(underlying).latest
    mid = min(range(len(listed)), key=lambda i: abs(listed[i] - spot))
    return expiry, listed, mid


def leg(expiry, strike, right, side):
    return {"expiry": expiry.isoformat(), "strike": str(strike), "right": right, "side": side}


async def test_combo_order_is_listed_with_the_options_toolset_only(world):
    async with world.stdio("--client", "trader") as mcp:
        default = {t.name for t in (await mcp.list_tools()).tools}
    async with world.stdio("--client", "trader", "--toolsets", "options") as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
    assert "combo_order" not in default and "combo_order" in tools
    tool = tools["combo_order"]
    assert tool.annotations.destructive_hint is True and len(tool.description) < 600
    for kind in ("VERTICAL", "STRADDLE", "STRANGLE", "CALENDAR", "DIAGONAL", "COVERED", "PROTECTIVE"):
        assert kind in tool.description
    assert "confirmation_token" in tool.input_schema["properties"]


async def test_a_debit_vertical_previews_its_legs_and_max_loss_then_fills_every_leg(world):
    expiry, listed, mid = strikes(world.sim)
    low, high = listed[mid], listed[mid + 2]
    order = {"combo_type": "VERTICAL", "symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT",
             "limit_price": "9", "legs": [leg(expiry, low, "CALL", "BUY"), leg(expiry, high, "CALL", "SELL")]}
    async with world.stdio("--client", "trader", "--toolsets", "options") as mcp:
        preview = ok(await mcp.call_tool("combo_order", order))
        assert preview["status"] == "confirmation_required"
        summary = preview["preview"]["preview"]
        assert [(l["side"], l["instrument"], l["quantity"]) for l in summary["legs"]] == [
            ("BUY", f"AAPL  {expiry:%y%m%d}C{int(low * 1000):08d}", "2"),
            ("SELL", f"AAPL  {expiry:%y%m%d}C{int(high * 1000):08d}", "2")]
        assert summary["net"]["direction"] == "debit" and Decimal(summary["net"]["amount"]) == 1800
        assert summary["max_loss"]["bounded"] is True and Decimal(summary["max_loss"]["amount"]) == 1800
        assert preview["preview"]["order"]["sec_type"] == "MLEG"
        placed = ok(await mcp.call_tool("combo_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed["status"] in ("SUBMITTED", "FILLED") and placed["order"]["combo_type"] == "VERTICAL"
        assert [(l["side"], l["strike"]) for l in placed["order"]["legs"]] == [("BUY", f"{low.normalize():f}"),
                                                                            ("SELL", f"{high.normalize():f}")]
        got = ok(await mcp.call_tool("get_order", {"order_id": int(placed["order"]["order_ref"])}))
        listed_orders = ok(await mcp.call_tool("get_orders", {}))["orders"]
        options = ok(await mcp.call_tool("get_positions", {"sec_type": "OPT"}))["positions"]
    assert got["sec_type"] == "MLEG" and got["combo_type"] == "VERTICAL" and got["status"] == "FILLED"
    assert sorted((l["side"], l["filled_quantity"]) for l in got["legs"]) == [("BUY", "2"), ("SELL", "2")]
    assert listed_orders[0]["combo_type"] == "VERTICAL" and len(listed_orders[0]["legs"]) == 2
    assert sorted((p["identifier"], p["quantity"]) for p in options) == sorted([
        (f"AAPL  {expiry:%y%m%d}C{int(low * 1000):08d}", "2"), (f"AAPL  {expiry:%y%m%d}C{int(high * 1000):08d}", "-2")])
    [at_broker] = sim_orders(world)
    assert at_broker.combo_type == "VERTICAL" and at_broker.status == "Filled"


async def test_a_credit_vertical_rests_and_is_cancelled_and_a_changed_restatement_places_nothing(world):
    expiry, listed, mid = strikes(world.sim)
    order = {"combo_type": "VERTICAL", "symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "LMT",
             "limit_price": "-4.9",
             "legs": [leg(expiry, listed[mid - 2], "PUT", "BUY"), leg(expiry, listed[mid], "PUT", "SELL")]}
    width = (listed[mid] - listed[mid - 2]) * 100
    async with world.stdio("--client", "trader", "--toolsets", "options") as mcp:
        preview = ok(await mcp.call_tool("combo_order", order))
        summary = preview["preview"]["preview"]
        assert summary["net"]["direction"] == "credit" and Decimal(summary["net"]["amount"]) == 490
        assert Decimal(summary["max_loss"]["amount"]) == width - 490
        token = preview["confirmation_token"]
        other = {**order, "legs": [order["legs"][0], leg(expiry, listed[mid + 1], "PUT", "SELL")]}
        mismatch = await mcp.call_tool("combo_order", {**other, "confirmation_token": token})
        assert mismatch.is_error and "legs previewed" in mismatch.content[0].text
        preview = ok(await mcp.call_tool("combo_order", order))
        placed = ok(await mcp.call_tool("combo_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed["status"] == "SUBMITTED"
        ref = int(placed["order"]["order_ref"])
        cancel = ok(await mcp.call_tool("cancel_order", {"order_id": ref}))["confirmation_token"]
        done = ok(await mcp.call_tool("cancel_order", {"order_id": ref, "confirmation_token": cancel}))
    assert done["status"] in ("CANCEL_PENDING", "CANCELLED")
    [at_broker] = sim_orders(world)
    assert at_broker.limit_price == Decimal("-4.9") and at_broker.status in ("PendingCancel", "Cancelled")


async def test_a_short_straddle_is_refused_by_risk_and_a_bad_shape_says_what_it_needs(world):
    expiry, listed, mid = strikes(world.sim)
    strike = listed[mid]
    async with world.stdio("--client", "trader", "--toolsets", "options") as mcp:
        refused = ok(await mcp.call_tool("combo_order", {
            "combo_type": "STRADDLE", "symbol": "AAPL", "side": "SELL", "quantity": "1", "order_type": "MKT",
            "legs": [leg(expiry, strike, "CALL", "BUY"), leg(expiry, strike, "PUT", "BUY")]}))
        bad = await mcp.call_tool("combo_order", {
            "combo_type": "STRADDLE", "symbol": "AAPL", "side": "BUY", "quantity": "1", "limit_price": "5",
            "legs": [leg(expiry, strike, "CALL", "BUY"), leg(expiry, listed[mid + 1], "PUT", "BUY")]})
    assert refused["status"] == "refused" and "combo_unbounded" in refused["message"]
    assert bad.is_error and "a STRADDLE needs a call and a put of one expiry at the same strike" in bad.content[0].text
    assert sim_orders(world) == []


async def test_a_held_vertical_is_sold_back_whole_under_the_kill_switch_and_a_new_one_is_refused(world):
    """close_position closes one position; a held spread is closed as one order with combo_order, side SELL
    and its legs as bought: risk-reducing, so the kill switch lets it through (buying one more does not)."""
    expiry, listed, mid = strikes(world.sim)
    legs = [leg(expiry, listed[mid], "CALL", "BUY"), leg(expiry, listed[mid + 2], "CALL", "SELL")]
    bought = {"combo_type": "VERTICAL", "symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "LMT",
              "limit_price": "9", "legs": legs}
    sell = {**bought, "side": "SELL", "order_type": "MKT", "limit_price": None}
    async with world.stdio("--client", "trader", "--toolsets", "options") as mcp:
        token = ok(await mcp.call_tool("combo_order", bought))["confirmation_token"]
        assert ok(await mcp.call_tool("combo_order", {**bought, "confirmation_token": token}))["status"] in (
            "SUBMITTED", "FILLED")
        world.sim.match()
        kill_switch_on(world)
        again = ok(await mcp.call_tool("combo_order", {**bought, "limit_price": "8"}))
        preview = ok(await mcp.call_tool("combo_order", sell))
        assert preview["status"] == "confirmation_required"
        assert preview["preview"]["preview"]["max_loss"]["amount"] in ("0", "0.00")
        sold = ok(await mcp.call_tool("combo_order", {**sell, "confirmation_token": preview["confirmation_token"]}))
        world.sim.match()
        sold = ok(await mcp.call_tool("get_order", {"order_id": int(sold["order"]["order_ref"])}))
        options = ok(await mcp.call_tool("get_positions", {"sec_type": "OPT"}))["positions"]
    assert again["status"] == "refused" and "kill_switch" in again["message"]
    assert sold["status"] == "FILLED" and sold["side"] == "SELL"
    assert [p for p in options if Decimal(p["quantity"])] == []
