"""Combo (multi-leg) orders over REST (DRF token client) against the simulator: the preview endpoint
takes combo_type and legs and shows every leg, the net debit or credit and the maximum loss; place
fills every leg at once or rests; the order reads back with its legs; cancel; refusals as 4xx that
say what to fix."""

from decimal import Decimal

import pytest

from accounts.models import Scope
from mcp_bridge.tests.test_combo_order_tools import leg, strikes

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(account, api_client_for):
    return api_client_for(account, Scope.TRADE, name="script")


def preview_and_place(api, n, order, key):
    r = api.post("/api/orders/preview/", {"account_number": n, **order}, format="json")
    assert r.status_code == 200, r.json()
    preview = r.json()
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": preview["confirmation_token"],
                                        "idempotency_key": key}, format="json")
    assert r.status_code == 201, r.json()
    return preview, r.json()["order"]


def test_a_debit_vertical_previews_its_legs_places_fills_and_reads_back_with_its_legs(api, account, sim):
    expiry, listed, mid = strikes(sim)
    low, high = listed[mid], listed[mid + 2]
    n = account.account_number
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT", "limit_price": "9",
             "combo_type": "VERTICAL", "legs": [leg(expiry, high, "CALL", "SELL"), leg(expiry, low, "CALL", "BUY")]}
    preview, placed = preview_and_place(api, n, order, "combo-api-1")
    summary = preview["preview"]
    assert [(l["side"], l["quantity"], l["sec_type"]) for l in summary["legs"]] == [("BUY", "2", "OPT"),
                                                                                 ("SELL", "2", "OPT")]
    assert summary["net"]["direction"] == "debit" and Decimal(summary["net"]["amount"]) == 1800
    assert summary["max_loss"]["bounded"] and Decimal(summary["max_loss"]["amount"]) == 1800
    assert preview["order"]["sec_type"] == "MLEG" and Decimal(preview["risk"]["notional"]) == 1800
    assert placed["combo_type"] == "VERTICAL" and placed["sec_type"] == "MLEG" and Decimal(placed["limit_price"]) == 9
    assert [(l["side"], l["strike"], l["right"]) for l in placed["legs"]] == [
        ("BUY", f"{low.normalize():f}", "CALL"), ("SELL", f"{high.normalize():f}", "CALL")]
    at_broker = sim.exchange.accounts[n].orders[int(placed["broker_id"])]
    assert at_broker.combo_type == "VERTICAL" and at_broker.status == "Filled"
    read = api.get(f"/api/orders/{placed['order_id']}/", {"account_number": n}).json()["order"]
    assert read["legs"] == placed["legs"] and read["combo_type"] == "VERTICAL"
    held = {p["identifier"]: p["quantity"] for p in api.get(f"/api/accounts/{n}/positions/",
                                                            {"sec_type": "OPT"}).json()["positions"]}
    assert held == {f"AAPL  {expiry:%y%m%d}C{int(low * 1000):08d}": "2",
                    f"AAPL  {expiry:%y%m%d}C{int(high * 1000):08d}": "-2"}


def test_a_protective_put_rests_at_its_net_price_and_is_cancelled(api, account, sim):
    expiry, listed, mid = strikes(sim)
    n = account.account_number
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "LMT", "limit_price": "50",
             "combo_type": "PROTECTIVE", "legs": [{"sec_type": "STK", "side": "BUY"},
                                                  leg(expiry, listed[mid - 2], "PUT", "BUY")]}
    preview, placed = preview_and_place(api, n, order, "combo-api-2")
    assert Decimal(preview["preview"]["max_loss"]["amount"]) == max(Decimal(0), 5000 - listed[mid - 2] * 100)
    assert placed["status"] == "SUBMITTED" and placed["legs"][0]["sec_type"] == "STK"
    r = api.post(f"/api/orders/{placed['order_id']}/cancel/", {"account_number": n}, format="json")
    r = api.post(f"/api/orders/{placed['order_id']}/cancel/",
                 {"account_number": n, "confirmation_token": r.json()["confirmation_token"]}, format="json")
    assert r.status_code == 200 and r.json()["order"]["status"] in ("CANCEL_PENDING", "CANCELLED")
    assert sim.exchange.accounts[n].orders[int(placed["broker_id"])].status in ("PendingCancel", "Cancelled")
    r = api.post(f"/api/orders/{placed['order_id']}/modify/", {"account_number": n, "limit_price": "51"}, format="json")
    assert r.status_code in (400, 409)


def test_a_combo_of_the_wrong_shape_or_unbounded_risk_is_refused_saying_what_to_fix(api, account, sim):
    expiry, listed, mid = strikes(sim)
    n = account.account_number
    r = api.post("/api/orders/preview/", {
        "account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "1", "limit_price": "1",
        "combo_type": "CALENDAR", "legs": [leg(expiry, listed[mid], "CALL", "BUY"),
                                           leg(expiry, listed[mid], "CALL", "SELL")]}, format="json")
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == "bad_combo_shape"
    assert "a CALENDAR needs two calls or two puts at the same strike" in err["message"]
    r = api.post("/api/orders/preview/", {
        "account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "MKT",
        "combo_type": "STRANGLE", "legs": [leg(expiry, listed[mid + 1], "CALL", "SELL"),
                                           leg(expiry, listed[mid - 1], "PUT", "SELL")]}, format="json")
    err = r.json()["error"]
    assert r.status_code == 422 and err["code"] == "risk_refused" and err["details"]["rule"] == "combo_unbounded"
    assert "grows without limit as AAPL rises" in err["message"]
    assert sim.exchange.accounts[n].orders == {}
