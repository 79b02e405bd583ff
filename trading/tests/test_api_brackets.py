"""A bracket over REST (DRF token client) against the simulator: preview -> place, the entry and its
two legs read back (the legs naming their entry), a wrong-side leg refused as a 400 saying how to fix
it, and cancelling the entry cancels the legs."""

from decimal import Decimal

import pytest

from accounts.models import Scope
from trading import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(account, api_client_for):
    return api_client_for(account, Scope.TRADE, name="script")


def test_a_bracket_previews_places_reads_its_legs_and_cancels_with_them(api, account, sim, last_price,
                                                                         system_actor):
    n = account.account_number
    limit = (last_price("AAPL") * Decimal("0.95")).quantize(Decimal("0.01"))
    order = {"account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "5", "order_type": "LMT",
             "limit_price": str(limit), "take_profit_price": str(limit + 8), "stop_loss_price": str(limit - 8)}
    r = api.post("/api/orders/preview/", {**order, "stop_loss_price": str(limit + 1)}, format="json")
    assert r.status_code == 400 and f"give a stop_loss_price below {limit.normalize():f}" in str(r.json())
    r = api.post("/api/orders/preview/", order, format="json")
    assert r.status_code == 200, r.json()
    assert Decimal(r.json()["order"]["take_profit_price"]) == limit + 8
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"],
                                        "idempotency_key": "bracket-api-1"}, format="json")
    assert r.status_code == 201, r.json()
    entry = r.json()["order"]
    assert entry["status"] == "SUBMITTED" and Decimal(entry["stop_loss_price"]) == limit - 8
    listed = api.get("/api/orders/", {"account_number": n, "open_only": "true"}).json()["orders"]
    legs = sorted((o for o in listed if o["parent_order_id"] == entry["order_id"]), key=lambda o: o["leg"])
    assert [(o["leg"], o["side"], o["order_type"], Decimal(o["quantity"])) for o in legs] == [
        ("LOSS", "SELL", "STP", 5), ("PROFIT", "SELL", "LMT", 5)]
    assert Decimal(legs[0]["stop_price"]) == limit - 8 and Decimal(legs[1]["limit_price"]) == limit + 8
    r = api.post(f"/api/orders/{entry['order_id']}/cancel/", {"account_number": n}, format="json")
    r = api.post(f"/api/orders/{entry['order_id']}/cancel/",
                 {"account_number": n, "confirmation_token": r.json()["confirmation_token"]}, format="json")
    assert r.status_code == 200
    sim.match()
    services.orders_reconcile(actor=system_actor, account_number=n)
    for leg in legs:
        assert api.get(f"/api/orders/{leg['order_id']}/", {"account_number": n}).json()["order"]["status"] == "CANCELLED"
