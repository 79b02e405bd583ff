"""The "history" toolset through run_mcp over stdio, against the simulator."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok

pytestmark = pytest.mark.anyio


async def test_cash_history_transfers_and_segments_agree_with_the_account(world):
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "3", "order_type": "MKT"}
    world.sim.transfer_to_futures(world.accounts["paper_a"], "USD", Decimal("5000"))
    async with world.stdio("--client", "trader", "--toolsets", "history") as mcp:
        preview = ok(await mcp.call_tool("preview_order", order))
        ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        ledger = ok(await mcp.call_tool("get_cash_history", {}))
        trades = ok(await mcp.call_tool("get_cash_history", {"kind": "TRADE"}))
        transfers = ok(await mcp.call_tool("get_transfers", {}))
        segments = ok(await mcp.call_tool("get_segment_assets", {"base_currency": "HKD"}))
        fills = ok(await mcp.call_tool("get_fills", {"symbol": "AAPL"}))
        refused = await mcp.call_tool("get_cash_history", {"account": world.accounts["paper_ro"]})
    acct = world.sim.exchange.accounts[world.accounts["paper_a"]]
    assert ledger["account"] == world.accounts["paper_a"] and ledger["next_offset"] is None
    assert sum(Decimal(e["amount"]["amount"]) for e in ledger["entries"]) == acct.cash["USD"]
    assert ledger["entries"][0]["description"]["untrusted_text"] == "Deposit"
    assert sum(-Decimal(e["amount"]["amount"]) for e in trades["entries"]) == \
        sum(Decimal(f["amount"]["amount"]) for f in fills["fills"])
    assert [t["kind"] for t in transfers["transfers"]] == ["DEPOSIT"]
    segment, futures = segments["segments"]  # paper_a is a margin account: it has a futures segment
    assert (segment["segment"], futures["segment"]) == ("S", "C")
    assert futures["cash"] == futures["net_liquidation"] == {"amount": "39000", "currency": "HKD"}
    assert futures["init_margin"]["amount"] == "0"
    assert segments["currency"] == "HKD" and segment["cash"]["currency"] == "HKD"
    assert Decimal(segment["cash"]["amount"]) == (acct.cash["USD"] * Decimal("7.8")).quantize(Decimal("0.01"))
    assert {c["cash"]["currency"] for c in segment["currencies"]} >= {"USD", "HKD"}
    assert "list_accounts" in error_text(refused)
