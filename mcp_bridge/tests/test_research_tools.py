"""The "research" toolset through run_mcp over stdio, against the simulator (frozen at 11:00 New York)."""

import datetime as dt
from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok
from tigersim.instruments import UNIVERSE, get_instrument

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


async def test_fundamentals_earnings_and_dividends(world):
    async with world.stdio("--client", "reader", "--toolsets", "research") as mcp:
        report = ok(await mcp.call_tool("get_financial_report", {"symbols": ["00700"], "period": "ltm",
                                                                 "fields": ["net_income", "diluted_eps_excl_extra_items"],
                                                                 "start": "2025-12-01"}))
        daily = ok(await mcp.call_tool("get_financial_daily", {"symbols": ["00700"], "start": "2026-03-09",
                                                               "end": "2026-03-09",
                                                               "fields": ["p_to_ltm_diluted_eps_before_extra"]}))
        earnings = ok(await mcp.call_tool("get_corporate_actions", {"kind": "earnings", "symbols": ["00700"],
                                                                    "start": "2026-01-01", "end": "2026-12-31"}))
        dividends = ok(await mcp.call_tool("get_corporate_actions", {"kind": "dividend", "symbols": ["AAPL"],
                                                                     "start": "2026-01-01", "end": "2026-03-10"}))
        groups = ok(await mcp.call_tool("get_industries", {"level": "GGROUP"}))
        no_symbols = await mcp.call_tool("get_corporate_actions", {"kind": "dividend"})
    eps = [v for v in report["values"] if v["field"] == "diluted_eps_excl_extra_items"]
    # The LTM figure filed by 2026-03-09 is the one the P/E of that day divides by.
    latest = [v for v in eps if v["filed"] <= "2026-03-09"][-1]
    assert latest["period_end"] == "2025-12-31" and latest["value"]["currency"] == "HKD"
    [pe] = daily["values"]
    close = world.sim.exchange.prices.close_price(get_instrument("00700"), dt.date(2026, 3, 9))
    assert abs(Decimal(pe["value"]) * Decimal(latest["value"]["amount"]) - close) < Decimal("0.01")
    assert [a["date"] for a in earnings["actions"]] == ["2026-01-30", "2026-04-30", "2026-07-30", "2026-10-30"]
    assert earnings["actions"][0]["details"]["actual_eps"] and earnings["actions"][1]["details"]["actual_eps"] is None
    assert [(a["date"], a["details"]["amount"], a["details"]["currency"]) for a in dividends["actions"]] == [
        ("2026-02-10", "0.25", "USD")]
    assert {"id": "4530", "name": "Semiconductors & Semiconductor Equipment"} in groups["industries"]
    assert "symbol" in error_text(no_symbols).lower()
