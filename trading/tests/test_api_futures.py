"""Futures orders over REST (DRF token client) against the simulator: a product previews its front
contract, placed and read back with its contract; a named month; an unlisted contract is a 400
naming the listed ones."""

from decimal import Decimal

import pytest

from accounts.models import Scope
from trading import services

pytestmark = pytest.mark.django_db
FRONT = "ES2612"  # the simulator's clock is 2026-11-23


@pytest.fixture
def api(account, api_client_for, sim, system_actor):
    sim.transfer_to_futures(account.account_number, "USD", Decimal("100000"))
    policy = services.risk_policy_for(account=account)
    policy.max_order_notional, policy.max_open_exposure = Decimal("2000000"), Decimal("5000000")
    services.risk_policy_save(actor=system_actor, policy=policy)
    return api_client_for(account, Scope.TRADE, name="script")


def test_a_future_by_product_previews_its_front_contract_places_and_reads_back(api, account, sim):
    n = account.account_number
    r = api.post("/api/orders/preview/", {"account_number": n, "sec_type": "FUT", "symbol": "ES", "side": "BUY",
                                          "quantity": "2", "order_type": "MKT"}, format="json")
    assert r.status_code == 200, r.json()
    preview = r.json()
    assert (preview["order"]["symbol"], preview["order"]["sec_type"], preview["order"]["multiplier"]) == (FRONT, "FUT", "50")
    assert Decimal(preview["risk"]["notional"]) == 2 * 50 * Decimal(preview["risk"]["reference_price"])
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": preview["confirmation_token"],
                                        "idempotency_key": "fut-api-1"}, format="json")
    assert r.status_code == 201, r.json()
    order = r.json()["order"]
    assert (order["symbol"], order["sec_type"], order["multiplier"], order["expiry"]) == (FRONT, "FUT", "50", "2026-12-18")
    assert sim.exchange.accounts[n].orders[int(order["broker_id"])].symbol == FRONT


def test_an_unlisted_contract_is_a_400_naming_the_listed_ones(api, account):
    r = api.post("/api/orders/preview/", {"account_number": account.account_number, "sec_type": "FUT",
                                          "symbol": "ES2708", "side": "BUY", "quantity": "1", "order_type": "MKT"},
                 format="json")
    assert r.status_code == 400
    assert "Listed: ES2612, ES2703, ES2706, ES2709" in str(r.json())
