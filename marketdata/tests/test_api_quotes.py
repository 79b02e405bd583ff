"""REST: depth, timelines, delayed quotes, capital flow and distribution, HK broker seats; a token
caller through DRF's APIClient, the real SDK over HTTP to the simulator."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_tiger_account, api_client_for):
    return api_client_for(make_tiger_account(label="Quotes"), Scope.READ)


def test_depth_is_an_ordered_book_in_each_symbols_currency(client):
    body = client.get("/api/quotes/depth/", {"symbols": "AAPL,00700"}).json()
    books = {b["symbol"]: b for b in body["books"]}
    assert set(books) == {"AAPL", "00700"}
    assert books["AAPL"]["currency"] == "USD" and books["00700"]["currency"] == "HKD"
    for book in books.values():
        asks = [Decimal(x["price"]) for x in book["asks"]]
        bids = [Decimal(x["price"]) for x in book["bids"]]
        assert len(asks) == len(bids) == 10
        assert asks == sorted(asks) and bids == sorted(bids, reverse=True) and bids[0] < asks[0]
        assert all(Decimal(x["volume"]) > 0 and x["orders"] >= 1 for x in book["asks"] + book["bids"])
    too_many = client.get("/api/quotes/depth/", {"symbols": ",".join(["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL",
                                                                       "META", "SPY", "QQQ", "00700", "00005"])})
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "too_many_symbols"


def test_timeline_today_and_a_past_day(client, sim):
    today = client.get("/api/quotes/timeline/", {"symbols": "AAPL"}).json()
    [aapl] = today["timelines"]
    assert today["date"] is None and aapl["currency"] == "USD" and aapl["points"]
    times = [datetime.fromisoformat(p["time"].replace("Z", "+00:00")) for p in aapl["points"]]
    assert times == sorted(times) and all(b - a == timedelta(minutes=1) for a, b in zip(times, times[1:]))
    assert Decimal(aapl["pre_close"]) == sim.quote("AAPL").pre_close
    past = client.get("/api/quotes/timeline/", {"symbols": "AAPL", "date": "2026-11-20"}).json()
    assert past["date"] == "2026-11-20" and len(past["timelines"][0]["points"]) == 390  # a full US session
    assert past["timelines"][0]["points"][0]["time"].startswith("2026-11-20T14:30")  # 09:30 New York
    future = client.get("/api/quotes/timeline/", {"symbols": "AAPL", "date": "2099-01-02"})
    assert future.status_code == 400 and "in the future" in future.json()["error"]["message"]


def test_delayed_quotes_are_marked_and_about_fifteen_minutes_old(client, sim):
    [q] = client.get("/api/quotes/delayed/", {"symbols": "MSFT"}).json()["quotes"]
    assert q["delayed"] is True and q["currency"] == "USD" and q["halted"] is False
    age = sim.clock.now() - datetime.fromisoformat(q["time"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < age < timedelta(minutes=16)
    assert Decimal(q["low"]) <= Decimal(q["latest_price"]) <= Decimal(q["high"])


def test_capital_flow_and_distribution_agree(client):
    dist = client.get("/api/quotes/capital-distribution/", {"symbol": "AAPL"}).json()
    inflow, outflow = dist["inflow"], dist["outflow"]
    assert dist["currency"] == "USD"
    assert Decimal(dist["net_inflow"]) == Decimal(inflow["all"]) - Decimal(outflow["all"])
    for side in (inflow, outflow):
        assert Decimal(side["big"]) + Decimal(side["mid"]) + Decimal(side["small"]) == Decimal(side["all"])
    days = client.get("/api/quotes/capital-flow/", {"symbol": "AAPL", "period": "day", "limit": 5}).json()
    assert days["period"] == "day" and len(days["points"]) == 5 and days["currency"] == "USD"
    assert [p["label"] for p in days["points"]] == sorted(p["label"] for p in days["points"])
    bad = client.get("/api/quotes/capital-flow/", {"symbol": "AAPL", "period": "hourly"})
    assert bad.status_code == 400 and "period" in bad.json()["error"]["message"]


def test_broker_seats_for_hong_kong_only(client):
    seats = client.get("/api/quotes/broker-seats/", {"symbol": "00700", "limit": 3}).json()
    assert seats["symbol"] == "00700" and seats["currency"] == "HKD"
    assert [lv["level"] for lv in seats["bid"]] == [1, 2, 3, 4, 5]
    assert all(1 <= len(lv["brokers"]) <= 3 and lv["brokers"][0]["id"] for lv in seats["bid"] + seats["ask"])
    assert Decimal(seats["bid"][0]["price"]) < Decimal(seats["ask"][0]["price"])
    us = client.get("/api/quotes/broker-seats/", {"symbol": "AAPL"})
    assert us.status_code == 400 and us.json()["error"]["code"] == "hk_only" and "get_depth" in us.json()["error"]["message"]


def test_without_a_real_time_permission_quotes_point_to_the_delayed_ones(sim, make_tiger_account, api_client_for):
    developer = sim.create_developer()
    sim.deny_realtime_quotes(developer.tiger_id)
    try:
        client = api_client_for(make_tiger_account(developer=developer, label="No RT"), Scope.READ)
        refused = client.get("/api/quotes/", {"symbols": "AAPL"})
        delayed = client.get("/api/quotes/delayed/", {"symbols": "AAPL"})
    finally:
        sim.deny_realtime_quotes(developer.tiger_id, denied=False)
    error = refused.json()["error"]
    assert refused.status_code >= 400 and error["code"] == "no_quote_permission"
    assert "get_delayed_quote" in error["message"] and "/api/quotes/delayed/" in error["message"]
    [q] = delayed.json()["quotes"]
    assert q["symbol"] == "AAPL" and q["delayed"] is True and Decimal(q["latest_price"]) > 0
