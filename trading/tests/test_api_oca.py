"""An OCA group over REST (DRF token client) against the simulator: a bad group refused as a 400 saying
how to fix it; preview (every order a leg) -> place (idempotent by key) -> both orders listed, the other
naming the first; the group counted once by the exposure limit; cancelling each order cancels it."""

from decimal import Decimal

import pytest

from broker.types import canonical_decimal
from trading import services

pytestmark = pytest.mark.django_db
D = Decimal
CENT = D("0.01")


def test_an_oca_group_previews_places_once_lists_both_orders_and_counts_once(api, account, sim, last_price,
                                                                            system_actor):
    n = account.account_number
    last = last_price("AAPL")
    below, above = (last * D("0.95")).quantize(CENT), (last * D("1.05")).quantize(CENT)
    order = {"account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "20", "order_type": "LMT",
             "limit_price": str(below), "oca_orders": [{"order_type": "STP", "stop_price": str(above)}]}
    r = api.post("/api/orders/preview/", {**order, "oca_orders": [{"order_type": "STP"}]}, format="json")
    assert r.status_code == 400 and "oca_orders[0] is a STP order: it needs stop_price" in str(r.json())
    # The exposure limit holds the group as its larger order (20 x the stop), not the two summed
    # (which the limit, 1.5 x the larger, would refuse).
    policy = services.risk_policy_for(account=account)
    policy.max_open_exposure = (above * 20 * D("1.5")).quantize(CENT)
    services.risk_policy_save(actor=system_actor, policy=policy)
    r = api.post("/api/orders/preview/", order, format="json")
    assert r.status_code == 200, r.json()
    body = r.json()
    # The canonical order writes prices without trailing zeros (214.20 is "214.2").
    assert body["order"]["oca"] == [{"order_type": "STP", "stop_price": canonical_decimal(above)}]
    assert [(leg["role"], leg["order_type"], leg["quantity"]) for leg in body["preview"]["legs"]] == [
        ("oca", "LMT", "20"), ("oca", "STP", "20")]
    assert D(body["preview"]["net"]["amount"]) == above * 20 and body["preview"]["max_loss"]["bounded"] is True
    place = {"account_number": n, "confirmation_token": body["confirmation_token"], "idempotency_key": "oca-api-1"}
    r = api.post("/api/orders/place/", place, format="json")
    assert r.status_code == 201, r.json()
    first = r.json()["order"]
    again = api.post("/api/orders/place/", place, format="json")
    assert again.status_code == 201 and again.json()["order"]["order_id"] == first["order_id"]
    listed = api.get("/api/orders/", {"account_number": n, "open_only": "true"}).json()["orders"]
    (other,) = [o for o in listed if o["parent_order_id"] == first["order_id"]]
    assert (other["leg"], other["order_type"], D(other["stop_price"]), D(other["quantity"])) == ("OCA", "STP", above, 20)
    held = sim.exchange.accounts[n].orders
    assert held[int(other["broker_id"])].oca_group == int(first["broker_id"])
    # Another group of the same size no longer fits: the first already counts as its larger order.
    r = api.post("/api/orders/preview/", {**order, "quantity": "19"}, format="json")
    assert r.status_code == 422, r.json()
    details = r.json()["error"]["details"]
    assert details["rule"] == "max_open_exposure" and D(details["value"]) == above * 20 + below * 19  # its first order already refused
    for order_id in (other["order_id"], first["order_id"]):
        step = api.post(f"/api/orders/{order_id}/cancel/", {"account_number": n}, format="json").json()
        done = api.post(f"/api/orders/{order_id}/cancel/", {"account_number": n,
                                                             "confirmation_token": step["confirmation_token"]},
                        format="json")
        assert done.status_code == 200, done.json()
    assert {held[int(first["broker_id"])].status, held[int(other["broker_id"])].status} == {"Cancelled"}
