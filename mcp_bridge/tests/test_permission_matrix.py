"""The full actors × accounts × tools matrix, through run_mcp over stdio and over HTTP.

For every actor and every account, each tool that takes an account is called with it. A call is
"denied" when the server refuses it for permission (unknown account, read-only grant or account,
no trade at all); anything else (a result, or a business error such as an unknown order or an
invalid token) means the permission check let it through. Both are compared to the grants.
"""

import re
from decimal import Decimal

import pytest

pytestmark = pytest.mark.anyio

DENIAL_CODES = {"unknown_account", "account_read_only", "write_unavailable", "no_accounts"}

READABLE = {
    "trader": {"paper_a", "paper_b", "live_x"},
    "reader": {"paper_a", "paper_ro"},
    "nobody": set(),
    "local": {"paper_a", "paper_b", "paper_ro"},
}
TRADEABLE = {
    "trader": {"paper_a"},        # paper_b: read grant; live_x: live trading not enabled
    "reader": set(),
    "nobody": set(),
    "local": {"paper_a", "paper_b"},  # paper_ro is a read-only account; live is never granted implicitly
}
ACCOUNTS = ("paper_a", "paper_b", "paper_ro", "live_x")


def calls(price: str):
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "LMT", "limit_price": price}
    reads = {
        "get_account_summary": {}, "get_positions": {}, "get_orders": {}, "get_order": {"broker_id": "1"},
        "get_quote": {"symbols": ["AAPL"]}, "get_bars": {"symbols": ["AAPL"], "limit": 2},
        "get_trade_ticks": {"symbols": ["AAPL"], "limit": 2}, "get_contract": {"symbol": "AAPL"},
        "get_option_chain": {"symbol": "AAPL"}, "get_market_status": {},
    }
    writes = {
        "preview_order": order, "place_order": {**order, "confirmation_token": "tmc_not-a-real-token"},
        "modify_order": {"order_id": 999999, "quantity": "2"}, "cancel_order": {"order_id": 999999},
    }
    return reads, writes


def denied(result) -> bool:
    if not result.is_error:
        return False
    match = re.search(r"\(code: ([a-z_]+)", result.content[0].text)
    return bool(match) and match.group(1) in DENIAL_CODES


async def run_matrix(world, mcp, actor: str) -> list[str]:
    price = str((world.sim.quote("AAPL").regular_latest * Decimal("0.95")).quantize(Decimal("0.01")))
    reads, writes = calls(price)
    wrong = []
    for key in ACCOUNTS:
        account = world.accounts[key]
        for tool, args in {**reads, **writes}.items():
            result = await mcp.call_tool(tool, {**args, "account": account})
            allowed = key in (TRADEABLE[actor] if tool in writes else READABLE[actor])
            if allowed and result.is_error and "(code: " not in result.content[0].text:
                # Let through, but then failed unexpectedly: that is not a pass.
                wrong.append(f"{actor} × {key} × {tool}: unexpected failure {result.content[0].text[:160]}")
            elif denied(result) == allowed:
                text = result.content[0].text[:160] if result.content else ""
                wrong.append(f"{actor} × {key} × {tool}: expected {'allowed' if allowed else 'denied'}, got {text}")
        listed = {a["account"] for a in (await mcp.call_tool("list_accounts", {})).structured_content["accounts"]}
        if (account in listed) != (key in READABLE[actor]):
            wrong.append(f"{actor} × {key} × list_accounts")
    return wrong


@pytest.mark.parametrize("actor", sorted(READABLE))
async def test_matrix_over_stdio(world, actor):
    args = () if actor == "local" else ("--client", actor)
    async with world.stdio(*args) as mcp:
        wrong = await run_matrix(world, mcp, actor)
    assert wrong == []
    # Nothing in the matrix placed an order anywhere.
    assert all(not world.sim.exchange.accounts[n].orders for n in world.accounts.values())


async def test_matrix_over_http(world, http_server):
    server = http_server()
    wrong = []
    for actor in ("trader", "reader", "nobody"):
        async with server.client(world.tokens[actor]) as mcp:
            wrong += await run_matrix(world, mcp, actor)
    assert wrong == []
