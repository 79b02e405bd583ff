from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import api_token_create, grant_set
from marketdata.services import portfolio_snapshot_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(sim, make_tiger_account, system_actor):
    developer = sim.create_developer()
    mine = make_tiger_account(developer=developer, label="Mine")
    other = make_tiger_account(developer=developer, label="Other")
    token, plain = api_token_create(actor=system_actor, name="script")
    grant_set(actor=system_actor, account=mine, scope=Scope.READ, api_token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return {"mine": mine, "other": other, "client": client}


def test_quotes_bars_and_market_status_over_rest(setup):
    client = setup["client"]
    reply = client.get("/api/quotes/", {"symbols": "AAPL,MSFT"})
    assert reply.status_code == 200, reply.content
    quotes = reply.json()["quotes"]
    assert [q["symbol"] for q in quotes] == ["AAPL", "MSFT"]
    assert isinstance(quotes[0]["latest_price"], str) and Decimal(quotes[0]["latest_price"]) > 0
    bars = client.get("/api/bars/", {"symbols": "AAPL", "period": "5min", "limit": 3}).json()
    assert len(bars["bars"]["AAPL"]) == 3 and bars["period"] == "5min"
    assert client.get("/api/market-status/", {"market": "US"}).json()["markets"][0]["market"] == "US"


def test_errors_say_how_to_fix_the_call(setup):
    client = setup["client"]
    reply = client.get("/api/quotes/", {"symbols": "AAPL", "account": setup["other"].account_number})
    assert reply.status_code == 404
    error = reply.json()["error"]
    assert error["code"] == "unknown_account" and setup["mine"].account_number in error["message"]
    reply = client.get("/api/bars/", {"symbols": "AAPL", "period": "2day"})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_period"
    assert APIClient().get("/api/quotes/", {"symbols": "AAPL"}).status_code == 401  # no credentials: say how to authenticate


def test_bad_query_parameters_are_named_with_what_they_need(setup):
    reply = setup["client"].get("/api/bars/", {"symbols": "AAPL", "limit": "ten", "begin_time": "yesterday"})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "bad_query" and error["message"].startswith("Fix the query parameters: ")
    assert "limit: A valid integer is required." in error["message"] and "begin_time: " in error["message"]
    missing = setup["client"].get("/api/quotes/").json()["error"]
    assert missing["code"] == "bad_query" and "symbols: This field is required." in missing["message"]


def test_portfolio_over_rest_covers_only_granted_accounts(setup):
    body = setup["client"].get("/api/portfolio/", {"base_currency": "USD"}).json()
    assert [a["account_number"] for a in body["accounts"]] == [setup["mine"].account_number]
    assert body["totals"]["net_liquidation"]["currency"] == "USD"
    assert Decimal(body["totals"]["net_liquidation"]["amount"]) == Decimal(body["accounts"][0]["net_liquidation"])
    # Snapshots combine every account: not for a token limited to one.
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    assert setup["client"].get("/api/portfolio/snapshots/latest/").status_code == 404


def test_latest_snapshot_for_an_admin(setup, admin_client):
    assert admin_client.get("/api/portfolio/snapshots/latest/").status_code == 404
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    body = admin_client.get("/api/portfolio/snapshots/latest/").json()
    assert {a["account_number"] for a in body["accounts"]} == {setup["mine"].account_number, setup["other"].account_number}
