"""close_position over MCP: the preview of the closing order, confirmed with place_order restating it."""

import re
from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok
from tigermcp.testing import listed_option

pytestmark = pytest.mark.anyio


async def test_close_position_previews_the_sale_and_place_order_confirms_it(world):
    buy = {"symbol": "AAPL", "side": "BUY", "quantity": "6", "order_type": "MKT"}
    async with world.stdio("--client", "trader") as mcp:
        token = ok(await mcp.call_tool("preview_order", buy))["confirmation_token"]
        ok(await mcp.call_tool("place_order", {**buy, "confirmation_token": token}))
        world.sim.match()

        preview = ok(await mcp.call_tool("close_position", {"symbol": "AAPL", "quantity": "4"}))
        assert preview["allowed"] is True and preview["confirmation_token"]
        assert (preview["order"]["side"], preview["order"]["quantity"]) == ("SELL", "4")
        # next_step restates exactly what place_order must be given.
        assert "place_order with symbol='AAPL', side='SELL', quantity='4', order_type='MKT'" in preview["next_step"]
        params = dict(re.findall(r"(\w+)='([^']*)'", preview["next_step"].split("place_order with ")[1]))
        placed = ok(await mcp.call_tool("place_order", {**params, "confirmation_token": preview["confirmation_token"]}))
        assert placed["status"] == "SUBMITTED" and placed["order"]["side"] == "SELL"
        world.sim.match()
        positions = ok(await mcp.call_tool("get_positions", {"fresh_only": True}))["positions"]
        assert [p["quantity"] for p in positions if p["symbol"] == "AAPL"] == ["2"]

        too_much = await mcp.call_tool("close_position", {"symbol": "AAPL", "quantity": "3"})
        assert "close at most 2" in error_text(too_much)
        nothing = await mcp.call_tool("close_position", {"symbol": "MSFT"})
        assert "holds no shares of MSFT" in error_text(nothing) and "get_positions" in error_text(nothing)


async def test_an_option_position_closes_by_identifier_with_the_restated_place_order(world):
    _expiry, _strike, quote = listed_option(world.sim, expiry_index=3)
    buy = {"identifier": quote["identifier"], "side": "BUY", "quantity": "3", "order_type": "MKT"}
    async with world.stdio("--client", "trader") as mcp:
        token = ok(await mcp.call_tool("preview_order", buy))["confirmation_token"]
        ok(await mcp.call_tool("place_order", {**buy, "confirmation_token": token}))
        preview = ok(await mcp.call_tool("close_position", {"identifier": quote["identifier"]}))
        assert (preview["order"]["side"], preview["order"]["quantity"], preview["order"]["sec_type"]) == ("SELL", "3", "OPT")
        params = dict(re.findall(r"(\w+)='([^']*)'", preview["next_step"].split("place_order with ")[1]))
        # An option is restated as its underlying, expiry, strike and right: the order the token confirms.
        assert (params["symbol"], params["right"]) == ("AAPL", "CALL") and params["expiry"] and params["strike"]
        placed = ok(await mcp.call_tool("place_order", {**params, "confirmation_token": preview["confirmation_token"]}))
        assert placed["order"]["side"] == "SELL" and placed["order"]["identifier"] == quote["identifier"]
        options = ok(await mcp.call_tool("get_positions", {"sec_type": "OPT", "fresh_only": True}))["positions"]
    assert options == []


async def test_a_reader_cannot_close(world):
    async with world.stdio("--client", "reader") as mcp:
        assert "close_position" not in {t.name for t in (await mcp.list_tools()).tools}
        refused = await mcp.call_tool("close_position", {"symbol": "AAPL"})
    assert refused.is_error and "close_position" in error_text(refused)


async def test_a_short_futures_position_is_bought_back_with_the_restated_place_order(world):
    world.sim.transfer_to_futures(world.accounts["paper_a"], "USD", Decimal("100000"))
    sell = {"sec_type": "FUT", "symbol": "ES", "side": "SELL", "quantity": "3", "order_type": "MKT"}
    async with world.stdio("--client", "trader") as mcp:
        ok(await mcp.call_tool("preview_order", sell))  # creates the default policy, whose limits one ES exceeds
        world.run_sql("UPDATE trading_riskpolicy SET max_order_notional = 2000000, max_open_exposure = 5000000")
        token = ok(await mcp.call_tool("preview_order", sell))["confirmation_token"]
        front = ok(await mcp.call_tool("place_order", {**sell, "confirmation_token": token}))["order"]["symbol"]
        world.sim.match()
        preview = ok(await mcp.call_tool("close_position", {"symbol": front, "quantity": "1"}))
        params = dict(re.findall(r"(\w+)='([^']*)'", preview["next_step"].split("place_order with ")[1]))
        # A future is restated as its contract's code and sec_type: the order the token confirms.
        assert (params["sec_type"], params["symbol"], params["side"], params["quantity"]) == ("FUT", front, "BUY", "1")
        placed = ok(await mcp.call_tool("place_order", {**params, "confirmation_token": preview["confirmation_token"]}))
        world.sim.match()
        futures = ok(await mcp.call_tool("get_positions", {"sec_type": "FUT", "fresh_only": True}))["positions"]
        rest = ok(await mcp.call_tool("close_position", {"symbol": "ES"}))  # the product: its one month held
    assert placed["order"]["symbol"] == front and placed["order"]["side"] == "BUY"
    assert [(p["symbol"], p["quantity"]) for p in futures] == [(front, "-2")]
    assert rest["allowed"] is True, rest["next_step"]
    assert (rest["order"]["symbol"], rest["order"]["side"], rest["order"]["quantity"]) == (front, "BUY", "2")
    assert world.sim.exchange.accounts[world.accounts["paper_a"]].positions[front].quantity == -2
