"""An overnight order over REST (DRF token client) against the simulator: a market order refused as a
400 saying what the overnight session takes; a limit order previewed as trading overnight, placed, and
read back as an overnight order that waits through the regular session."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_overnight_limit_order_is_previewed_placed_and_waits_for_the_night(api, account, sim):
    n = account.account_number
    limit = str(sim.quote("AAPL").ask)
    order = {"account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT",
             "limit_price": limit, "trading_session_type": "OVERNIGHT"}
    r = api.post("/api/orders/preview/", {**order, "order_type": "MKT", "limit_price": None}, format="json")
    assert r.status_code == 400 and "The overnight session takes a US stock's LMT order (got order_type MKT)" \
        in r.json()["error"]["message"]
    r = api.post("/api/orders/preview/", order, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["order"]["trading_session_type"] == "OVERNIGHT"
    assert r.json()["preview"]["session"]["name"] == "overnight"
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"],
                                        "idempotency_key": "night-api-1"}, format="json")
    assert r.status_code == 201, r.json()
    placed = r.json()["order"]
    assert placed["trading_session_type"] == "OVERNIGHT" and placed["status"] == "SUBMITTED"
    at_broker = sim.exchange.accounts[n].orders[int(placed["broker_id"])]
    sim.match()
    assert at_broker.trading_session_type == "OVERNIGHT" and at_broker.status != "Filled"  # a marketable limit, by day
