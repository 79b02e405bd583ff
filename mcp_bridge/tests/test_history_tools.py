"""Account history tools (fills, P&L history) through run_mcp over stdio, against the simulator."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok

pytestmark = pytest.mark.anyio


async def test_get_fills_shows_what_executed_with_money_and_our_order(world):
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "5", "order_type": "MKT"}
    async with world.stdio("--client", "trader") as mcp:
        preview = ok(await mcp.call_tool("preview_order", order))
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        fills = ok(await mcp.call_tool("get_fills", {"symbol": "AAPL"}))
        none_later = ok(await mcp.call_tool("get_fills", {"since": "2030-01-01T00:00:00Z"}))
        naive = await mcp.call_tool("get_fills", {"since": "2026-03-10T00:00:00"})
        refused = await mcp.call_tool("get_fills", {"account": world.accounts["paper_ro"]})
    assert fills["account"] == world.accounts["paper_a"]
    executed = [f for o in world.sim.exchange.accounts[world.accounts["paper_a"]].orders.values() for f in o.fills]
    assert len(fills["fills"]) == len(executed) > 0
    first = fills["fills"][0]
    assert first["order_ref"] == placed["order"]["order_ref"] and first["broker_id"] == placed["order"]["broker_id"]
    assert first["side"] == "BUY" and first["price"]["currency"] == "USD"
    assert Decimal(first["price"]["amount"]) == executed[0].price
    assert sum(Decimal(f["quantity"]) for f in fills["fills"]) == Decimal("5")
    assert Decimal(first["amount"]["amount"]) == Decimal(first["quantity"]) * Decimal(first["price"]["amount"])
    assert none_later["fills"] == []
    assert "time zone" in error_text(naive) and "bad_time" in error_text(naive)
    assert "list_accounts" in error_text(refused)


async def test_get_pnl_history_is_daily_and_ends_at_the_accounts_value(world):
    from tigersim.exchange import to_base

    number = world.accounts["paper_a"]
    acct = world.sim.exchange.accounts[number]
    async with world.stdio("--client", "reader") as mcp:
        history = ok(await mcp.call_tool("get_pnl_history", {"start": "2026-03-02", "end": "2026-03-10"}))
        hkd = ok(await mcp.call_tool("get_pnl_history", {"start": "2026-03-09", "end": "2026-03-10", "currency": "HKD"}))
        reversed_ = await mcp.call_tool("get_pnl_history", {"start": "2026-03-10", "end": "2026-03-01"})
        bad_currency = await mcp.call_tool("get_pnl_history", {"currency": "EUR"})
    assert history["account"] == number and history["currency"] == "USD"
    assert [d["date"] for d in history["days"]] == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05",
                                                     "2026-03-06", "2026-03-09", "2026-03-10"]
    opening = sum(to_base(v, c) for c, v in acct.cash.items()).quantize(Decimal("0.01"))  # no fills on this account
    assert {Decimal(d["net_value"]["amount"]) for d in history["days"]} == {opening}
    assert history["pnl"] == {"amount": "0", "currency": "USD"}
    assert hkd["currency"] == "HKD" and hkd["days"][-1]["net_value"]["currency"] == "HKD"
    assert "must not be after end" in error_text(reversed_)
    assert "currency" in error_text(bad_currency)  # refused before any broker call


async def test_get_tradable_quantity_sizes_an_order_without_placing_it(world):
    price = (world.sim.quote("AAPL").regular_latest * Decimal("0.95")).quantize(Decimal("0.01"))
    async with world.stdio("--client", "trader") as mcp:
        sized = ok(await mcp.call_tool("get_tradable_quantity", {"symbol": "AAPL", "side": "BUY",
                                                                 "limit_price": str(price)}))
        no_price = await mcp.call_tool("get_tradable_quantity", {"symbol": "AAPL", "side": "BUY"})
    assert sized["account"] == world.accounts["paper_a"] and sized["currency"] == "USD"
    cash = Decimal(sized["cash_quantity"])
    assert cash == Decimal("1000000") // price and Decimal(sized["margin_quantity"]) > cash  # a margin account
    assert sized["position_quantity"] == "0"
    assert "limit_price" in error_text(no_price)
    assert world.sim.exchange.accounts[world.accounts["paper_a"]].orders == {}  # nothing was placed
