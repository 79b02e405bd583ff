"""The "research" toolset through run_mcp over stdio, against the simulator (frozen at 11:00 New York)."""

from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok
from tigersim.instruments import UNIVERSE

pytestmark = pytest.mark.anyio


async def test_find_a_company_check_the_calendar_and_scan_the_market(world):
    async with world.stdio("--client", "reader", "--toolsets", "research") as mcp:
        found = ok(await mcp.call_tool("search_symbols", {"query": "nvidia"}))
        calendar = ok(await mcp.call_tool("get_trading_calendar", {"market": "US", "start": "2026-04-02",
                                                                    "end": "2026-04-06"}))
        scan = ok(await mcp.call_tool("scan_market", {"filters": [{"field": "change_pct", "min": "-100"}],
                                                      "sort_by": "change_pct", "page_size": 3}))
        everything = ok(await mcp.call_tool("scan_market", {"page_size": 100}))
        quotes = ok(await mcp.call_tool("get_quote", {"symbols": [r["symbol"] for r in scan["rows"]]}))
        bad = await mcp.call_tool("scan_market", {"filters": [{"field": "pe_ratio", "min": "1"}]})
    assert [(m["symbol"], m["name"]["untrusted_text"]) for m in found["matches"]] == [("NVDA", "NVIDIA Corporation")]
    assert [(d["date"], d["trading"]) for d in calendar["days"]] == [
        ("2026-04-02", True), ("2026-04-03", False), ("2026-04-04", False), ("2026-04-05", False),  # Good Friday
        ("2026-04-06", True)]
    us = {s for s, i in UNIVERSE.items() if i.market == "US"}
    assert everything["total"] == len(us) and {r["symbol"] for r in everything["rows"]} == us
    by_symbol = {q["symbol"]: q for q in quotes["quotes"]}
    changes = []
    for row in scan["rows"]:
        q = world.sim.quote(row["symbol"])
        assert Decimal(row["values"]["change_pct"]) == ((q.regular_latest - q.pre_close) / q.pre_close * 100).quantize(
            Decimal("0.0001"))
        assert row["symbol"] in by_symbol
        changes.append(Decimal(row["values"]["change_pct"]))
    assert changes == sorted(changes, reverse=True) and len(changes) == 3
    assert "invalid_arguments" in error_text(bad) and "change_pct" in error_text(bad)
