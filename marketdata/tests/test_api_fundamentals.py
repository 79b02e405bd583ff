"""REST: daily valuation, financial reports, corporate actions and industry lists; a token caller, the
real SDK over HTTP to the simulator (its clock: 2026-11-23)."""

from decimal import Decimal

import pytest

from accounts.models import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_tiger_account, api_client_for):
    return api_client_for(make_tiger_account(label="Fundamentals"), Scope.READ)


def test_the_pe_is_the_close_over_the_last_four_reported_quarters(client):
    daily = client.get("/api/fundamentals/daily/", {"symbols": "MSFT", "start": "2026-11-16", "end": "2026-11-20",
                                                     "fields": "p_to_ltm_diluted_eps_before_extra,market_capitalization"}
                       ).json()["values"]
    pe = {v["date"]: Decimal(v["value"]) for v in daily if v["field"] == "p_to_ltm_diluted_eps_before_extra"}
    assert sorted(pe) == ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]
    report = client.get("/api/fundamentals/report/", {"symbols": "MSFT", "fields": "diluted_eps_excl_extra_items",
                                                       "period": "quarterly", "start": "2025-10-01"}).json()
    quarters = [v for v in report["values"] if v["filed"] <= "2026-11-20"][-4:]
    assert [q["period_end"] for q in quarters] == ["2025-12-31", "2026-03-31", "2026-06-30", "2026-09-30"]
    ltm = sum(Decimal(q["value"]["amount"]) for q in quarters)
    bars = client.get("/api/bars/", {"symbols": "MSFT", "period": "day", "limit": 10}).json()["bars"]["MSFT"]
    close = {b["time"][:10]: Decimal(b["close"]["amount"] if isinstance(b["close"], dict) else b["close"]) for b in bars}
    for day, value in pe.items():
        assert abs(value * ltm - close[day]) < Decimal("0.01"), day
    caps = [Decimal(v["value"]) for v in daily if v["field"] == "market_capitalization"]
    assert caps[-1] == close["2026-11-20"] * Decimal("7430000000")
    annual = client.get("/api/fundamentals/report/", {"symbols": "MSFT", "fields": "net_income", "period": "annual",
                                                       "start": "2025-01-01"}).json()["values"]
    assert [(v["period_end"], v["value"]["currency"]) for v in annual] == [("2025-12-31", "USD")]
    mixed = client.get("/api/fundamentals/daily/", {"symbols": "MSFT,00700", "fields": "market_capitalization"})
    assert mixed.status_code == 400 and mixed.json()["error"]["code"] == "mixed_markets"


def test_corporate_actions_and_industries(client):
    splits = client.get("/api/corporate-actions/", {"kind": "split", "symbols": "NVDA", "start": "2020-01-01"}).json()
    assert [(a["date"], a["details"]["ratio"]) for a in splits["actions"]] == [("2021-07-20", "4"), ("2024-06-10", "10")]
    dividends = client.get("/api/corporate-actions/", {"kind": "dividend", "symbols": "00005", "start": "2026-01-01",
                                                        "end": "2026-11-23"}).json()["actions"]
    assert len(dividends) == 4 and {a["details"]["currency"] for a in dividends} == {"HKD"}
    assert all(a["details"]["pay_date"] > a["date"] for a in dividends)
    earnings = client.get("/api/corporate-actions/", {"kind": "earnings", "market": "US", "start": "2026-10-25",
                                                       "end": "2027-02-05"}).json()["actions"]
    aapl = [a for a in earnings if a["symbol"] == "AAPL"]
    assert [a["date"] for a in aapl] == ["2026-10-30", "2027-01-30"]
    assert aapl[0]["details"]["actual_eps"] is not None and aapl[1]["details"]["actual_eps"] is None  # not yet reported
    report = client.get("/api/fundamentals/report/", {"symbols": "AAPL", "fields": "diluted_eps_excl_extra_items",
                                                       "start": "2026-09-30"}).json()["values"]
    assert report[0]["filed"] == "2026-10-30" and report[0]["value"]["amount"] == aapl[0]["details"]["actual_eps"]
    sectors = client.get("/api/industries/").json()
    assert sectors["level"] == "GSECTOR" and len(sectors["industries"]) == 11
    assert {"id": "45", "name": "Information Technology"} in sectors["industries"]
    bad = client.get("/api/corporate-actions/", {"kind": "split"})
    assert bad.status_code == 400 and "symbol" in bad.json()["error"]["message"].lower()
