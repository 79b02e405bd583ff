"""REST: option expirations, the chain with Greeks, IV/HV analysis, option bars and trades; a token
caller, the real SDK over HTTP to the simulator."""

from decimal import Decimal

import pytest

from accounts.models import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_tiger_account, api_client_for):
    return api_client_for(make_tiger_account(label="Options"), Scope.READ)


def test_greeks_chain_bars_and_ticks_of_one_option(client):
    expirations = client.get("/api/options/expirations/", {"symbol": "AAPL"}).json()["expirations"]
    assert expirations == sorted(expirations) and len(expirations) >= 8
    chain = client.get("/api/options/greeks/", {"symbol": "AAPL", "expiry": expirations[2]}).json()
    assert chain["currency"] == "USD" and chain["multiplier"] == "100" and chain["options"]
    calls = [o for o in chain["options"] if o["put_call"] == "CALL"]
    puts = [o for o in chain["options"] if o["put_call"] == "PUT"]
    assert len(calls) == len(puts)
    for call, put in zip(calls, puts):  # same strike: put-call parity of the deltas
        assert call["strike"] == put["strike"]
        assert abs(Decimal(call["delta"]) - Decimal(put["delta"]) - 1) < Decimal("0.01")
        assert Decimal(call["implied_vol"]) > 0 and Decimal(call["gamma"]) >= 0
    deltas = [Decimal(c["delta"]) for c in calls]
    assert deltas == sorted(deltas, reverse=True)  # higher strike, lower call delta
    atm = calls[len(calls) // 2]
    bars = client.get("/api/options/bars/", {"identifiers": atm["identifier"], "limit": 3}).json()
    [option] = bars["options"]
    assert option["identifier"] == atm["identifier"] and len(option["bars"]) == 3 and bars["currency"] == "USD"
    last = option["bars"][-1]
    assert Decimal(last["low"]) <= Decimal(last["close"]) <= Decimal(last["high"])
    ticks = client.get("/api/options/ticks/", {"identifiers": atm["identifier"]}).json()
    assert ticks["options"][0]["ticks"] and all(Decimal(t["price"]) > 0 for t in ticks["options"][0]["ticks"])
    bad = client.get("/api/options/bars/", {"identifiers": "AAPL-CALL-190"})
    assert bad.status_code == 400 and "get_option_greeks" in bad.json()["error"]["message"]


def test_option_analysis_compares_implied_and_historical_volatility(client):
    body = client.get("/api/options/analysis/", {"symbols": "AAPL,TSLA,KO", "period": "26week"}).json()
    rows = {a["symbol"]: a for a in body["analyses"]}
    assert set(rows) == {"AAPL", "TSLA"}  # KO has no listed options in the simulator
    for a in rows.values():
        assert a["period"] == "26week" and 0 <= Decimal(a["iv_rank"]) <= 1
        ratio = Decimal(a["implied_vol_30d"]) / Decimal(a["historical_vol"])
        assert abs(ratio - Decimal(a["iv_hv_ratio"])) < Decimal("0.001")
        assert len(a["history"]) == 10 and a["history"][-1]["historical_vol"] == a["historical_vol"]
    assert Decimal(rows["TSLA"]["implied_vol_30d"]) > Decimal(rows["AAPL"]["implied_vol_30d"])
    bad = client.get("/api/options/analysis/", {"symbols": "AAPL", "period": "1day"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_query"


def test_option_depth_and_hk_option_symbols(client):
    expiry = client.get("/api/options/expirations/", {"symbol": "SPY"}).json()["expirations"][1]
    chain = client.get("/api/options/greeks/", {"symbol": "SPY", "expiry": expiry}).json()["options"]
    liquid = [o for o in chain if o["bid"] != "0"][:2]
    body = client.get("/api/options/depth/", {"identifiers": ",".join(o["identifier"] for o in liquid)}).json()
    books = {b["identifier"]: b for b in body["books"]}
    for option in liquid:
        book = books[option["identifier"]]
        assert book["asks"][0]["price"] == option["ask"] and book["bids"][0]["price"] == option["bid"]
        assert book["currency"] == "USD" and all(lv["exchange"] for lv in book["asks"])
    symbols = client.get("/api/options/symbols/").json()
    assert symbols["market"] == "HK" and {"symbol": "TCH.HK", "name": "TCH", "underlying": "00700"} in symbols["symbols"]
    hk_expiry = client.get("/api/options/expirations/", {"symbol": "MET.HK"}).json()["expirations"][0]
    meituan = client.get("/api/options/greeks/", {"symbol": "03690", "expiry": hk_expiry}).json()
    assert meituan["currency"] == "HKD" and meituan["multiplier"] == "100"
    assert all(o["identifier"].startswith("MET.HK") for o in meituan["options"])
    bad = client.get("/api/options/symbols/", {"market": "US"})
    assert bad.status_code == 400
    refused = client.get("/api/options/depth/", {"identifiers": "SPY-CALL"})
    assert refused.status_code == 400 and "get_option_greeks" in refused.json()["error"]["message"]
