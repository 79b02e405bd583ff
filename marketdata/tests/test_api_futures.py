"""REST: futures contracts, quotes and daily bars; a token caller, the real SDK over HTTP to the
simulator (its clock: Monday 2026-11-23)."""

from decimal import Decimal

import pytest

from accounts.models import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_tiger_account, api_client_for):
    return api_client_for(make_tiger_account(label="Futures"), Scope.READ)


def test_contracts_quotes_and_bars(client):
    cme = client.get("/api/futures/contracts/", {"exchange": "CME"}).json()["contracts"]
    es = [c for c in cme if c["type"] == "ES"]
    assert [c["code"] for c in es] == ["ES2612", "ES2703", "ES2706", "ES2709"]
    assert es[0]["last_trading_date"] == "2026-12-18" and es[0]["multiplier"] == "50" and es[0]["min_tick"] == "0.25"
    [hsi] = client.get("/api/futures/contracts/", {"product": "HSI"}).json()["contracts"]
    assert hsi["code"] == "HSI2612" and hsi["currency"] == "HKD" and hsi["exchange"] == "HKEX"
    quotes = {q["code"]: q for q in client.get("/api/futures/quotes/", {"codes": "ES2612,ES2703,HSI2612"}).json()["quotes"]}
    near, far = Decimal(quotes["ES2612"]["latest_price"]), Decimal(quotes["ES2703"]["latest_price"])
    assert far > near  # carry: the later contract costs more
    assert near % Decimal("0.25") == 0 and quotes["HSI2612"]["currency"] == "HKD"
    assert Decimal(quotes["ES2612"]["bid"]) < near < Decimal(quotes["ES2612"]["ask"])
    [contract] = client.get("/api/futures/bars/", {"codes": "ES2612", "limit": 5}).json()["contracts"]
    assert contract["code"] == "ES2612" and len(contract["bars"]) == 5
    assert all(Decimal(b["low"]) <= Decimal(b["close"]) <= Decimal(b["high"]) for b in contract["bars"])
    bad = client.get("/api/futures/quotes/", {"codes": "S&P"})
    assert bad.status_code == 400 and "get_future_contracts" in bad.json()["error"]["message"]
    neither = client.get("/api/futures/contracts/")
    assert neither.status_code == 400 and "exchange" in neither.json()["error"]["message"]


def test_intraday_bars_end_at_the_quote(client):
    quote = client.get("/api/futures/quotes/", {"codes": "HSI2612"}).json()["quotes"][0]
    body = client.get("/api/futures/bars/", {"codes": "HSI2612", "period": "15min", "limit": 3}).json()
    [contract] = body["contracts"]
    assert body["period"] == "15min" and len(contract["bars"]) == 3
    times = [b["time"] for b in contract["bars"]]
    assert times == sorted(times) and contract["bars"][-1]["close"] == quote["latest_price"]
    daily = client.get("/api/futures/bars/", {"codes": "HSI2612", "limit": 2}).json()
    assert daily["period"] == "day" and daily["contracts"][0]["bars"][-1]["close"] == quote["latest_price"]
    bad = client.get("/api/futures/bars/", {"codes": "HSI2612", "period": "2min"})
    assert bad.status_code == 400 and "period" in bad.json()["error"]["message"]
