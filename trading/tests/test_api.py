from decimal import Decimal

import pytest

from accounts.models import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(account, api_client_for):
    return api_client_for(account, Scope.TRADE, name="script")


def test_preview_place_list_get_cancel_over_the_api(api, account, last_price):
    n = account.account_number
    limit = str((last_price() * 9 / 10).quantize(last_price().__class__("0.01")))
    r = api.post("/api/orders/preview/", {"account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "2",
                                          "order_type": "LMT", "limit_price": limit}, format="json")
    assert r.status_code == 200 and r.json()["risk"]["accepted"] is True
    token = r.json()["confirmation_token"]
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": token, "idempotency_key": "api-1"},
                 format="json")
    assert r.status_code == 201 and r.json()["order"]["status"] == "SUBMITTED"
    order = r.json()["order"]
    assert order["quantity"] == "2.000000" and order["currency"] == "USD"
    assert [o["order_id"] for o in api.get("/api/orders/").json()["orders"]] == [order["order_id"]]
    assert api.get(f"/api/orders/{order['order_id']}/", {"account_number": n}).json()["order"]["broker_id"]
    r = api.post(f"/api/orders/{order['order_id']}/cancel/", {"account_number": n}, format="json")
    token = r.json()["confirmation_token"]
    r = api.post(f"/api/orders/{order['order_id']}/cancel/", {"account_number": n, "confirmation_token": token},
                 format="json")
    assert r.status_code == 200 and r.json()["order"]["status"] == "CANCELLED"  # read back after Tiger's PendingCancel


def test_risk_refusal_is_a_422_with_rule_limit_value(api, account):
    r = api.post("/api/orders/preview/", {"account_number": account.account_number, "symbol": "AAPL", "side": "BUY",
                                          "quantity": "5000", "order_type": "MKT"}, format="json")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "risk_refused" and err["details"]["rule"] == "max_quantity"
    assert err["details"]["limit"] == "1000" and err["details"]["value"] == "5000"


def test_rest_preview_of_an_hk_symbol_is_priced_in_hk_and_hkd(api, account, last_price, system_actor):
    # The REST door passes no market or currency: they come from the symbol, as on the MCP door.
    from trading.services import risk_policy_for, risk_policy_save

    policy = risk_policy_for(account=account)
    policy.currency, policy.allowed_markets = "HKD", "HK"
    risk_policy_save(actor=system_actor, policy=policy)
    limit = str((last_price("00700") * 9 / 10).quantize(Decimal("1")))  # whole dollars: on HKEX's ladder there
    r = api.post("/api/orders/preview/", {"account_number": account.account_number, "symbol": "00700", "side": "BUY",
                                          "quantity": "100", "order_type": "LMT", "limit_price": limit}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["risk"]["accepted"] is True
    assert r.json()["order"]["market"] == "HK" and r.json()["order"]["currency"] == "HKD"


def test_rest_preview_of_an_hk_symbol_on_a_usd_policy_is_converted_or_refused_per_currency(api, account, last_price,
                                                                                           system_actor):
    from trading.services import risk_policy_for, risk_policy_save

    policy = risk_policy_for(account=account)
    policy.allowed_markets = "US,HK"
    risk_policy_save(actor=system_actor, policy=policy)
    limit = (last_price("00700") * 9 / 10).quantize(Decimal("1"))
    order = {"account_number": account.account_number, "symbol": "00700", "side": "BUY", "quantity": "100",
             "order_type": "LMT", "limit_price": str(limit)}
    r = api.post("/api/orders/preview/", order, format="json")
    assert r.status_code == 200, r.json()
    risk = r.json()["risk"]
    assert (risk["currency"], risk["limit_currency"], risk["fx_rate"]) == ("HKD", "USD", "0.128205")
    assert Decimal(risk["converted_notional"]) == (limit * 100 * Decimal("0.128205")).quantize(Decimal("0.01"), "ROUND_UP")
    policy.limits_mode = "per_currency"
    risk_policy_save(actor=system_actor, policy=policy)
    r = api.post("/api/orders/preview/", order, format="json")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["details"]["rule"] == "currency" and err["details"]["value"] == "HKD"
    assert "add HKD to the policy's currency limits" in err["message"]


def test_rest_refuses_an_odd_lot_and_an_off_tick_price_naming_the_nearest_valid_values(api, account, sim):
    r = api.post("/api/orders/preview/", {"account_number": account.account_number, "symbol": "00700", "side": "BUY",
                                          "quantity": "150", "order_type": "MKT"}, format="json")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "not_board_lot"
    assert err["message"] == "quantity 150 is not a multiple of the board lot 100 for 00700: use 100 or 200."
    r = api.post("/api/orders/preview/", {"account_number": account.account_number, "symbol": "AAPL", "side": "BUY",
                                          "quantity": "1", "order_type": "LMT", "limit_price": "100.005"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "off_tick"
    assert r.json()["error"]["message"].endswith("use 100 or 100.01.")
    assert list(sim.exchange.accounts[account.account_number].orders.values()) == []


def test_rest_places_and_modifies_a_trailing_stop(api, account, sim):
    n = account.account_number
    r = api.post("/api/orders/preview/", {"account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "1",
                                          "order_type": "TRAIL", "trailing_amount": "2.5"}, format="json")
    assert r.status_code == 200, r.json()
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"],
                                        "idempotency_key": "trail-1"}, format="json")
    order = r.json()["order"]
    assert r.status_code == 201 and order["order_type"] == "TRAIL" and order["trailing_amount"] == "2.500000"
    at_broker = sim.exchange.accounts[n].orders[int(order["broker_id"])]
    assert at_broker.aux_price == Decimal("2.5") and at_broker.trailing_percent is None
    r = api.post(f"/api/orders/{order['order_id']}/modify/", {"account_number": n, "trailing_percent": "3"},
                 format="json")
    assert r.status_code == 200, r.json()
    r = api.post(f"/api/orders/{order['order_id']}/modify/", {"account_number": n, "trailing_percent": "3",
                                                               "confirmation_token": r.json()["confirmation_token"]},
                 format="json")
    assert r.status_code == 200 and Decimal(r.json()["order"]["trailing_percent"]) == 3
    assert r.json()["order"]["trailing_amount"] is None and at_broker.trailing_percent == 3


def test_rest_takes_gtd_with_an_expiry_and_refuses_one_in_the_past(api, account, sim, last_price):
    from datetime import timedelta

    from django.utils import timezone

    n = account.account_number
    limit = str((last_price() * 9 / 10).quantize(Decimal("0.01")))
    order = {"account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "LMT",
             "limit_price": limit, "time_in_force": "GTD"}
    r = api.post("/api/orders/preview/", {**order, "expire_time": "2020-01-01T00:00:00Z"}, format="json")
    assert r.status_code == 400 and "in the past" in r.json()["error"]["message"]
    expiry = (max(sim.clock.now(), timezone.now()) + timedelta(days=1)).replace(microsecond=0)
    r = api.post("/api/orders/preview/", {**order, "expire_time": expiry.isoformat()}, format="json")
    assert r.status_code == 200, r.json()
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"],
                                        "idempotency_key": "gtd-1"}, format="json")
    assert r.status_code == 201 and r.json()["order"]["expire_time"] == expiry.isoformat()
    at_broker = sim.exchange.accounts[n].orders[int(r.json()["order"]["broker_id"])]
    assert at_broker.time_in_force == "GTD" and at_broker.expire_time == int(expiry.timestamp() * 1000)


def test_without_an_account_number_orders_go_to_the_default_account(api, account, last_price):
    """The REST API has the same default-account rule as MCP (accounts.selectors.account_route): with
    one account the token may trade, preview, place, get and cancel need no account_number."""
    limit = str((last_price() * 9 / 10).quantize(last_price().__class__("0.01")))
    r = api.post("/api/orders/preview/", {"symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "LMT",
                                          "limit_price": limit}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["account_number"] == account.account_number
    r = api.post("/api/orders/place/", {"confirmation_token": r.json()["confirmation_token"], "idempotency_key": "d-1"},
                 format="json")
    assert r.status_code == 201, r.content
    order = r.json()["order"]
    assert order["account_number"] == account.account_number and order["status"] == "SUBMITTED"
    assert api.get(f"/api/orders/{order['order_id']}/").json()["order"]["order_id"] == order["order_id"]
    token = api.post(f"/api/orders/{order['order_id']}/cancel/", {}, format="json").json()["confirmation_token"]
    r = api.post(f"/api/orders/{order['order_id']}/cancel/", {"confirmation_token": token}, format="json")
    assert r.status_code == 200 and r.json()["order"]["status"] == "CANCELLED"  # read back after Tiger's PendingCancel


def test_modify_over_the_api_previews_then_confirms_the_same_change(api, account, last_price, sim):
    n = account.account_number
    cent = last_price().__class__("0.01")
    low = str((last_price() * 9 / 10).quantize(cent))
    r = api.post("/api/orders/preview/", {"symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT",
                                          "limit_price": low}, format="json")
    r = api.post("/api/orders/place/", {"confirmation_token": r.json()["confirmation_token"], "idempotency_key": "mod-1"},
                 format="json")
    order = r.json()["order"]
    lower = str((last_price() * 8 / 10).quantize(cent))
    preview = api.post(f"/api/orders/{order['order_id']}/modify/", {"limit_price": lower}, format="json")
    assert preview.status_code == 200, preview.json()
    token = preview.json()["confirmation_token"]
    mismatched = api.post(f"/api/orders/{order['order_id']}/modify/", {"limit_price": low, "confirmation_token": token},
                          format="json")
    assert mismatched.status_code >= 400 and mismatched.json()["error"]["code"]
    at_broker = sim.exchange.accounts[n].orders[int(order["broker_id"])]
    assert at_broker.limit_price == Decimal(low)  # a mismatched confirmation changes nothing
    preview = api.post(f"/api/orders/{order['order_id']}/modify/", {"limit_price": lower}, format="json")
    done = api.post(f"/api/orders/{order['order_id']}/modify/",
                    {"limit_price": lower, "confirmation_token": preview.json()["confirmation_token"]}, format="json")
    assert done.status_code == 200, done.json()
    assert Decimal(done.json()["order"]["limit_price"]) == Decimal(lower)
    assert at_broker.limit_price == Decimal(lower)


def test_close_a_position_over_the_api(api, account, sim):
    n = account.account_number
    r = api.post("/api/orders/preview/", {"account_number": n, "symbol": "AAPL", "side": "BUY", "quantity": "5",
                                          "order_type": "MKT"}, format="json")
    api.post("/api/orders/place/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"],
                                    "idempotency_key": "open-1"}, format="json")
    sim.match()
    r = api.post("/api/positions/close/preview/", {"account_number": n, "symbol": "AAPL", "quantity": "2"}, format="json")
    assert r.status_code == 200, r.json()
    assert (r.json()["order"]["side"], Decimal(r.json()["order"]["quantity"])) == ("SELL", 2)
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"],
                                        "idempotency_key": "close-1"}, format="json")
    assert r.status_code == 201 and r.json()["order"]["side"] == "SELL"
    r = api.post("/api/positions/close/preview/", {"account_number": n, "symbol": "AAPL", "quantity": "9"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "more_than_held"
    r = api.post("/api/positions/close/preview/", {"account_number": n, "symbol": "TSLA"}, format="json")
    assert r.status_code == 404 and "get_positions" in r.json()["error"]["message"]
