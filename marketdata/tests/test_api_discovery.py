"""REST: symbol search, the trading calendar and the market scanner; a token caller, the real SDK over
HTTP to the simulator."""

from decimal import Decimal

import pytest

from accounts.models import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_tiger_account, api_client_for):
    return api_client_for(make_tiger_account(label="Discovery"), Scope.READ)


def test_symbol_search_by_name_and_ticker(client):
    apple = client.get("/api/symbols/search/", {"q": "apple"}).json()["matches"]
    assert apple == [{"symbol": "AAPL", "name": "Apple Inc."}]
    tencent = client.get("/api/symbols/search/", {"q": "tenc", "market": "HK"}).json()["matches"]
    assert [m["symbol"] for m in tencent] == ["00700"]
    by_code = client.get("/api/symbols/search/", {"q": "700"}).json()["matches"]
    assert by_code[0]["symbol"] == "00700"  # the HK code without its leading zeros
    assert client.get("/api/symbols/search/", {"q": "zzzz-nothing"}).json()["matches"] == []


def test_trading_calendar_knows_weekends_and_holidays(client):
    days = client.get("/api/market/calendar/", {"market": "US", "start": "2026-11-25",
                                                 "end": "2026-11-30"}).json()["days"]
    assert [(d["date"], d["trading"]) for d in days] == [
        ("2026-11-25", True), ("2026-11-26", False),  # Thanksgiving
        ("2026-11-27", True), ("2026-11-28", False), ("2026-11-29", False), ("2026-11-30", True)]
    hk = client.get("/api/market/calendar/", {"market": "HK", "start": "2026-12-24", "end": "2026-12-28"}).json()
    assert [d["trading"] for d in hk["days"]] == [True, False, False, False, True]  # Christmas, then Sat (Boxing Day), Sun
    reversed_ = client.get("/api/market/calendar/", {"start": "2026-12-02", "end": "2026-12-01"})
    assert reversed_.status_code == 400 and reversed_.json()["error"]["code"] == "bad_date_range"


def test_market_scanner_filters_and_sorts(client, sim):
    from tigersim.instruments import UNIVERSE

    for symbol in UNIVERSE:  # a cold price model builds years of daily levels per symbol: not the scanner's cost
        sim.quote(symbol)
    body = client.get("/api/market/scanner/", {"filters": "price:100:500", "sort_by": "change_pct", "page_size": 100}).json()
    rows = body["rows"]
    assert body["total"] == len(rows) > 0
    assert all(100 <= Decimal(r["values"]["price"]) <= 500 for r in rows)
    changes = [Decimal(r["values"]["change_pct"]) for r in rows]
    assert changes == sorted(changes, reverse=True)
    page = client.get("/api/market/scanner/", {"sort_by": "volume", "page_size": 2, "page": 1}).json()
    assert page["page"] == 1 and len(page["rows"]) == 2 and page["pages"] == (page["total"] + 1) // 2
    bad = client.get("/api/market/scanner/", {"filters": "pe:1:10"})
    assert bad.status_code == 400 and "change_pct" in bad.json()["error"]["message"]
