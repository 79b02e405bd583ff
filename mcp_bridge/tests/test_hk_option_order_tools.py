"""Hong Kong stock options through run_mcp over stdio, against the simulator on Hong Kong's morning:
refused until the policy allows HK, then previewed in HKD through the contract's own size, placed
and filled by identifier (TCH.HK…), and placed by the stock's code (09988) to rest and be cancelled."""

import datetime as dt
from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import ok, sim_orders
from tigermcp.testing import listed_option

pytestmark = pytest.mark.anyio
HK_MORNING = dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.timezone.utc)  # Tuesday 10:30 in Hong Kong


@pytest.fixture
def hk_morning(world):
    start = world.sim.clock.now()
    world.sim.clock.set(HK_MORNING)
    try:
        yield
    finally:
        world.sim.clock.set(start)


async def test_an_hk_option_previews_in_hkd_fills_and_another_rests_and_cancels(world, hk_morning):
    _expiry, _strike, tencent = listed_option(world.sim, underlying="00700", expiry_index=1)
    expiry, strike, alibaba = listed_option(world.sim, underlying="09988", expiry_index=1)
    assert tencent["identifier"].startswith("TCH.HK") and alibaba["multiplier"] == 500
    account = world.sim.exchange.accounts[world.accounts["paper_a"]]
    hkd = account.cash.get("HKD", Decimal(0))
    order = {"identifier": tencent["identifier"], "side": "BUY", "quantity": "2", "order_type": "MKT"}
    low = max(Decimal("0.01"), (Decimal(str(alibaba["bidPrice"])) / 2).quantize(Decimal("0.01")))
    resting = {"symbol": "09988", "expiry": expiry.isoformat(), "strike": str(strike), "right": "CALL", "side": "BUY",
               "quantity": "1", "order_type": "LMT", "limit_price": str(low)}
    async with world.stdio("--client", "trader") as mcp:
        refused = ok(await mcp.call_tool("preview_order", order))
        world.run_sql("UPDATE trading_riskpolicy SET allowed_markets = 'US,HK'")
        preview = ok(await mcp.call_tool("preview_order", order))
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        options = ok(await mcp.call_tool("get_positions", {"sec_type": "OPT", "market": "HK"}))["positions"]
        by_code = ok(await mcp.call_tool("preview_order", resting))
        rested = ok(await mcp.call_tool("place_order", {**resting, "confirmation_token": by_code["confirmation_token"]}))
        ref = int(rested["order"]["order_ref"])
        token = ok(await mcp.call_tool("cancel_order", {"order_id": ref}))["confirmation_token"]
        done = ok(await mcp.call_tool("cancel_order", {"order_id": ref, "confirmation_token": token}))
    assert refused["allowed"] is False and "Market HK is not allowed" in refused["next_step"]
    assert preview["allowed"] is True, preview["next_step"]
    assert (preview["order"]["symbol"], preview["order"]["sec_type"], preview["order"]["currency"],
            preview["order"]["multiplier"]) == ("TCH.HK", "OPT", "HKD", "100")
    notional = {r["rule"]: r["message"] for r in preview["risk"]}["max_notional"]
    assert "HKD" in notional
    assert placed["order"]["identifier"] == tencent["identifier"] and placed["order"]["multiplier"] == "100"
    filled, cancelled = sim_orders(world)
    assert filled.symbol == tencent["identifier"] and filled.status == "Filled" and filled.currency == "HKD"
    assert hkd - account.cash["HKD"] == filled.filled_value * 100 + filled.commission
    [held] = options
    assert (held["symbol"], held["identifier"], held["quantity"], held["multiplier"]) == (
        "TCH.HK", tencent["identifier"], "2", "100")
    # The stock's code names HKEX's option symbol; 500 shares of 09988 per contract.
    assert by_code["order"]["symbol"] == "ALB.HK" and by_code["order"]["multiplier"] == "500"
    assert rested["status"] == "SUBMITTED" and rested["order"]["identifier"] == alibaba["identifier"]
    assert done["status"] in ("CANCEL_PENDING", "CANCELLED")
    assert cancelled.symbol == alibaba["identifier"] and cancelled.status in ("PendingCancel", "Cancelled")
