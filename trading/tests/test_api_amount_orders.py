"""An order by amount over REST (DRF token client) against the simulator: preview -> place -> filled in
fractions and read back with its amount; both quantity and amount refused as a 400 saying how to fix it."""

from decimal import Decimal

import pytest

from accounts.models import Scope
from trading import intents, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(account, api_client_for):
    return api_client_for(account, Scope.TRADE, name="script")


def test_an_amount_order_previews_places_and_fills_in_fractions(api, account, sim, system_actor):
    n = account.account_number
    order = {"account_number": n, "symbol": "AAPL", "side": "BUY", "amount": "300", "order_type": "MKT"}
    r = api.post("/api/orders/preview/", {**order, "quantity": "2"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["message"] == intents.QUANTITY_OR_AMOUNT
    r = api.post("/api/orders/preview/", order, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["order"]["amount"] == "300" and r.json()["order"]["quantity"] is None
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"],
                                        "idempotency_key": "amount-api-1"}, format="json")
    assert r.status_code == 201, r.json()
    placed = r.json()["order"]
    assert Decimal(placed["amount"]) == 300
    services.orders_reconcile(actor=system_actor, account_number=n)
    [seen] = [o for o in api.get("/api/orders/", {"account_number": n}).json()["orders"]
              if o["order_id"] == placed["order_id"]]
    held = sim.exchange.accounts[n].positions["AAPL"].quantity
    assert seen["status"] == "FILLED" and Decimal(seen["filled_quantity"]) == held
    assert held != held.to_integral_value()
