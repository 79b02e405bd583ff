"""The "options" toolset through run_mcp over stdio, against the simulator (frozen at 11:00 New York)."""

import datetime as dt
from decimal import Decimal

import pytest

from mcp_bridge.tests.test_tools import error_text, ok

pytestmark = pytest.mark.anyio

OPTION_TOOLS = {"get_option_expirations", "get_option_greeks", "get_option_analysis", "get_option_bars",
                "get_option_ticks", "get_option_depth", "get_option_symbols"}


async def test_an_options_walk_from_expirations_to_an_options_own_trades(world):
    async with world.stdio("--client", "reader", "--toolsets", "options") as mcp:
        listed = {t.name: t for t in (await mcp.list_tools()).tools}
        expirations = ok(await mcp.call_tool("get_option_expirations", {"symbol": "SPY"}))["expirations"]
        expiry = expirations[1]
        chain = ok(await mcp.call_tool("get_option_greeks", {"symbol": "SPY", "expiry": expiry}))
        atm = min((o for o in chain["options"] if o["put_call"] == "CALL"),
                  key=lambda o: abs(Decimal(o["delta"]) - Decimal("0.5")))
        bars = ok(await mcp.call_tool("get_option_bars", {"identifiers": [atm["identifier"]], "limit": 5}))
        minutes = ok(await mcp.call_tool("get_option_bars", {"identifiers": [atm["identifier"]], "period": "5min",
                                                            "limit": 4}))
        ticks = ok(await mcp.call_tool("get_option_ticks", {"identifiers": [atm["identifier"]]}))
        bad = await mcp.call_tool("get_option_bars", {"identifiers": ["SPY 190 CALL"]})
    assert OPTION_TOOLS <= set(listed) and all(listed[n].annotations.read_only_hint for n in OPTION_TOOLS)
    sim = world.sim.exchange.prices
    now = world.sim.clock.now()
    day = dt.date.fromisoformat(expiry)
    assert expirations == [d.isoformat() for d, _ in sim.option_expiries("SPY", now)]
    assert chain["currency"] == "USD" and chain["multiplier"] == "100"
    strike = Decimal(atm["strike"])
    model = sim.option_quote("SPY", day, strike, "CALL", now)
    assert atm["identifier"] == model["identifier"] and Decimal(atm["implied_vol"]) == Decimal(str(model["impliedVol"]))
    assert Decimal(atm["delta"]) == Decimal(str(model["delta"])) and atm["open_interest"] == str(model["openInterest"])
    [daily] = bars["bars"].values()
    assert len(daily) == 5 and Decimal(daily[-1]["close"]) == Decimal(atm["latest_price"])  # today, so far
    assert daily[-1]["time"] == "2026-03-10T04:00:00+00:00"  # the session's day, midnight New York
    [five] = minutes["bars"].values()
    assert [b["time"] for b in five] == ["2026-03-10T14:45:00+00:00", "2026-03-10T14:50:00+00:00",
                                         "2026-03-10T14:55:00+00:00", "2026-03-10T15:00:00+00:00"]
    [trades] = ticks["ticks"].values()
    assert trades[-1]["time"] == "2026-03-10T15:00:00+00:00" and trades[-1]["price"] == atm["latest_price"]
    assert "get_option_greeks" in error_text(bad) and "bad_option_identifier" in error_text(bad)


async def test_option_analysis_reads_iv_against_hv(world):
    async with world.stdio("--client", "reader", "--toolsets", "options") as mcp:
        result = ok(await mcp.call_tool("get_option_analysis", {"symbols": ["TSLA", "AAPL"], "period": "13week"}))
        hidden = None
    async with world.stdio("--client", "reader") as mcp:
        hidden = await mcp.call_tool("get_option_analysis", {"symbols": ["TSLA"]})
    rows = {a["symbol"]: a for a in result["analyses"]}
    assert rows["TSLA"]["implied_vol_30d"] == "0.55" and rows["AAPL"]["implied_vol_30d"] == "0.27"
    for a in rows.values():
        assert a["period"] == "13week" and Decimal(a["historical_vol"]) > 0
        assert a["history"][-1]["historical_vol"] == a["historical_vol"] and len(a["history"]) == 10
    assert "options" in error_text(hidden) and "toolset_not_enabled" in error_text(hidden)


async def test_option_depth_starts_at_the_chains_bid_and_ask(world):
    async with world.stdio("--client", "reader", "--toolsets", "options") as mcp:
        expiry = ok(await mcp.call_tool("get_option_expirations", {"symbol": "AAPL"}))["expirations"][2]
        chain = ok(await mcp.call_tool("get_option_greeks", {"symbol": "AAPL", "expiry": expiry}))
        liquid = [o for o in chain["options"] if o["bid"] != "0"][:2]
        depth = ok(await mcp.call_tool("get_option_depth", {"identifiers": [o["identifier"] for o in liquid]}))
        bad = await mcp.call_tool("get_option_depth", {"identifiers": ["AAPL 190 CALL"]})
    books = {b["identifier"]: b for b in depth["books"]}
    assert list(books) == [o["identifier"] for o in liquid]
    for option in liquid:
        book = books[option["identifier"]]
        assert book["currency"] == "USD"
        assert book["asks"][0]["price"] == option["ask"] and book["bids"][0]["price"] == option["bid"]
        asks = [Decimal(lv["price"]) for lv in book["asks"]]
        bids = [Decimal(lv["price"]) for lv in book["bids"]]
        assert asks == sorted(asks) and bids == sorted(bids, reverse=True) and bids[0] < asks[0]
        assert all(lv["exchange"] and lv["time"].endswith("+00:00") and Decimal(lv["volume"]) > 0
                   for lv in book["asks"] + book["bids"])
    assert "bad_option_identifier" in error_text(bad)


async def test_hk_options_by_option_symbol_or_stock_code(world):
    async with world.stdio("--client", "reader", "--toolsets", "options") as mcp:
        symbols = ok(await mcp.call_tool("get_option_symbols", {}))
        by_root = ok(await mcp.call_tool("get_option_expirations", {"symbol": "TCH.HK"}))["expirations"]
        by_code = ok(await mcp.call_tool("get_option_expirations", {"symbol": "00700"}))["expirations"]
        chain = ok(await mcp.call_tool("get_option_greeks", {"symbol": "TCH.HK", "expiry": by_root[0]}))
        alibaba = ok(await mcp.call_tool("get_option_greeks", {"symbol": "09988", "expiry": by_root[0]}))
        near = min((o for o in chain["options"] if o["put_call"] == "CALL"),
                   key=lambda o: abs(Decimal(o["delta"]) - Decimal("0.5")))
        depth = ok(await mcp.call_tool("get_option_depth", {"identifiers": [near["identifier"]]}))
        bars = ok(await mcp.call_tool("get_option_bars", {"identifiers": [near["identifier"]], "limit": 2}))
        ticks = ok(await mcp.call_tool("get_option_ticks", {"identifiers": [near["identifier"]]}))
        mixed = await mcp.call_tool("get_option_bars", {"identifiers": [near["identifier"], "AAPL  260320C00190000"]})
    assert symbols["market"] == "HK"
    assert {(s["symbol"], s["underlying"]) for s in symbols["symbols"]} >= {
        ("TCH.HK", "00700"), ("ALB.HK", "09988"), ("MET.HK", "03690"), ("HKB.HK", "00005")}
    assert by_root == by_code and len(by_root) == 4
    assert chain["currency"] == "HKD" and chain["multiplier"] == "100" and alibaba["multiplier"] == "500"
    assert near["identifier"].startswith("TCH.HK" + by_root[0][2:].replace("-", ""))
    [book] = depth["books"]
    assert book["identifier"] == near["identifier"] and book["currency"] == "HKD"
    assert book["asks"][0]["price"] == near["ask"] and {lv["exchange"] for lv in book["asks"]} == {"SEHK"}
    assert bars["currency"] == ticks["currency"] == "HKD"
    # 23:00 in Hong Kong: the day's last bar and trade are at the close, inside the chain's spread.
    close = bars["bars"][near["identifier"]][-1]["close"]
    assert ticks["ticks"][near["identifier"]][-1]["price"] == close
    assert ticks["ticks"][near["identifier"]][-1]["time"] == "2026-03-10T08:00:00+00:00"
    assert Decimal(near["bid"]) <= Decimal(close) <= Decimal(near["ask"])
    assert "separate calls" in error_text(mixed)
