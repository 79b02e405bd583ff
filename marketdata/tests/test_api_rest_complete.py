"""The rest of the REST API: account detail, positions, contracts, option chains, health, audit.
Token callers through DRF's APIClient, the real SDK against the simulator."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from accounts.models import Scope
from accounts.services import api_token_create, grant_set

pytestmark = pytest.mark.django_db


def client_for(system_actor, *accounts, owner=None, name="rest"):
    token, plain = api_token_create(actor=system_actor, name=name, owner=owner)
    for account in accounts:
        grant_set(actor=system_actor, account=account, scope=Scope.READ, api_token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


@pytest.fixture
def world(sim, make_tiger_account, system_actor):
    developer = sim.create_developer()
    mine = make_tiger_account(developer=developer, label="Mine")
    other = make_tiger_account(developer=developer, label="Other")
    acct = sim.exchange.accounts[mine.account_number]
    order = sim.exchange.place(acct, {"symbol": "AAPL", "action": "BUY", "order_type": "MKT", "total_quantity": 4})
    sim.exchange.accept(order)
    sim.exchange.match()
    return {"mine": mine, "other": other, "client": client_for(system_actor, mine)}


def test_account_detail_has_balances_with_currencies(world):
    n = world["mine"].account_number
    r = world["client"].get(f"/api/accounts/{n}/")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["account"]["account_number"] == n and body["account"]["label"] == "Mine"
    b = body["balances"]
    assert b["currency"] == "USD" and b["net_liquidation"]["currency"] == "USD"
    assert Decimal(b["cash"]["amount"]) < Decimal("1000000")  # it paid for 4 AAPL
    assert {m["currency"] for m in b["cash_by_currency"]} >= {"USD"}
    refused = world["client"].get(f"/api/accounts/{world['other'].account_number}/")
    assert refused.status_code == 404 and n in refused.json()["error"]["message"]


def test_positions_of_one_account(world, sim):
    n = world["mine"].account_number
    body = world["client"].get(f"/api/accounts/{n}/positions/").json()
    assert body["account_number"] == n
    [aapl] = body["positions"]
    assert aapl["symbol"] == "AAPL" and aapl["quantity"] == "4"
    assert aapl["market_value"]["currency"] == "USD" and Decimal(aapl["market_value"]["amount"]) > 0
    assert Decimal(aapl["average_cost"]["amount"]) == sim.exchange.accounts[n].positions["AAPL"].average_cost
    assert body["source"] == "live" and body["age_seconds"] == 0 and body["as_of"].endswith("+00:00")


def test_account_reads_are_shared_and_fresh_only_reads_tiger_now(world, sim, settings):
    settings.TIGER_ACCOUNT_READ_TTL = 30
    n = world["mine"].account_number
    for path, api in ((f"/api/accounts/{n}/positions/", "positions"), (f"/api/accounts/{n}/", "prime_assets")):
        before = sim.request_count(api)
        first = world["client"].get(path).json()
        again = world["client"].get(path).json()
        assert (first["source"], again["source"], again["as_of"]) == ("live", "cache", first["as_of"])
        fresh = world["client"].get(path, {"fresh_only": "true"}).json()
        assert fresh["source"] == "live" and sim.request_count(api) == before + 2
        bad = world["client"].get(path, {"fresh_only": "maybe"})
        assert bad.status_code == 400 and "fresh_only" in bad.json()["error"]["message"]


def test_contracts_and_option_chains(world):
    client = world["client"]
    c = client.get("/api/contracts/", {"symbol": "aapl"}).json()
    assert c["symbol"] == "AAPL" and c["currency"] == "USD" and c["sec_type"] == "STK"
    chain = client.get("/api/options/chain/", {"symbol": "AAPL"}).json()
    assert chain["expirations"] and chain["options"] == [] and chain["expiry"] is None
    expiry = chain["expirations"][0]
    chain = client.get("/api/options/chain/", {"symbol": "AAPL", "expiry": expiry}).json()
    assert chain["expiry"] == expiry and chain["options"]
    option = chain["options"][0]
    assert option["put_call"] in ("PUT", "CALL") and option["strike"]["currency"] == "USD"
    assert Decimal(option["strike"]["amount"]) > 0
    bad = client.get("/api/options/chain/", {"symbol": "AAPL", "expiry": "soon"})
    assert bad.status_code == 400 and "expiry:" in bad.json()["error"]["message"]
    assert client.get("/api/contracts/").json()["error"]["code"] == "bad_query"
    for far in ("0001-01-01", "9999-12-31"):
        reply = client.get("/api/options/chain/", {"symbol": "AAPL", "expiry": far})
        assert reply.status_code == 200 and reply.json()["options"] == [], reply.json()


def test_health_shows_only_the_callers_accounts(world):
    body = world["client"].get("/api/health/").json()
    assert body["status"] in ("ok", "degraded", "down") and body["components"]["database"]["status"] == "ok"
    assert {a["account"] for a in body["accounts"]} == {world["mine"].account_number}
    assert APIClient().get("/api/health/").status_code in (401, 403)


def test_audit_is_for_staff_tokens_and_filters(world, system_actor):
    mine, other = world["mine"], world["other"]
    refused = world["client"].get("/api/audit/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "audit_staff_only"

    boss = User.objects.create_superuser("boss", "boss@example.com", "pw-long-enough-1")
    everything = client_for(system_actor, owner=boss, name="boss").get("/api/audit/", {"limit": 500}).json()["events"]
    assert {e["account_number"] for e in everything} >= {mine.account_number, other.account_number}
    assert [e["seq"] for e in everything] == sorted((e["seq"] for e in everything), reverse=True)

    staff = User.objects.create_user("staff", "staff@example.com", "pw-long-enough-2", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client = client_for(system_actor, mine, owner=staff, name="staff")
    seen = client.get("/api/audit/").json()["events"]
    assert seen and {e["account_number"] for e in seen} == {mine.account_number}
    typed = client.get("/api/audit/", {"event_type": seen[-1]["event_type"].split(".")[0]}).json()["events"]
    assert typed and all(e["event_type"].startswith(seen[-1]["event_type"].split(".")[0]) for e in typed)
    foreign = client.get("/api/audit/", {"account": other.account_number})
    assert foreign.status_code == 404
