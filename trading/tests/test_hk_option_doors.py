"""Hong Kong options through the REST API and the admin's New order form (the services and MCP are
tested in test_hk_option_orders and mcp_bridge): named by the stock's code over REST, previewed in HKD
through the contract's size, rested and cancelled; entered by identifier in the admin, filled in HKD."""

import re
from decimal import Decimal

import pytest

from accounts.models import Scope
from trading.models import Order
from trading.tests.test_admin_new_order import NEW, _token
from trading.tests.factories import hk_call

pytestmark = pytest.mark.django_db


def test_rest_previews_an_hk_option_by_stock_code_in_hkd_places_and_cancels(account, api_client_for, sim,
                                                                              system_actor, hk_session):
    call = hk_call(system_actor, account, root="ALB.HK")
    low = max(Decimal("0.01"), (call.bid * Decimal("0.5")).quantize(Decimal("0.01")))
    api, n = api_client_for(account, Scope.TRADE), account.account_number
    r = api.post("/api/orders/preview/", {"account_number": n, "symbol": "09988", "expiry": call.expiry.isoformat(),
                                          "strike": str(call.strike), "right": "CALL", "side": "BUY", "quantity": "2",
                                          "order_type": "LMT", "limit_price": str(low)}, format="json")
    assert r.status_code == 200, r.json()
    preview = r.json()
    assert (preview["order"]["symbol"], preview["order"]["currency"], preview["order"]["multiplier"]) == (
        "ALB.HK", "HKD", "500")
    assert preview["risk"]["currency"] == "HKD" and Decimal(preview["risk"]["notional"]) == 2 * 500 * low
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": preview["confirmation_token"],
                                        "idempotency_key": "hk-opt-rest-1"}, format="json")
    assert r.status_code == 201, r.json()
    order = r.json()["order"]
    assert (order["identifier"], order["status"]) == (call.identifier, "SUBMITTED")
    r = api.post(f"/api/orders/{order['order_id']}/cancel/", {"account_number": n}, format="json")
    r = api.post(f"/api/orders/{order['order_id']}/cancel/",
                 {"account_number": n, "confirmation_token": r.json()["confirmation_token"]}, format="json")
    assert r.status_code == 200 and r.json()["order"]["status"] in ("CANCEL_PENDING", "CANCELLED")
    assert sim.exchange.accounts[n].orders[int(order["broker_id"])].status in ("PendingCancel", "Cancelled")


def test_the_admin_form_takes_an_hk_option_by_identifier_and_it_fills_in_hkd(trader, account, sim, system_actor,
                                                                               hk_session):
    call = hk_call(system_actor, account)
    entered = {"account": account.account_number, "sec_type": "OPT", "identifier": call.identifier, "side": "BUY",
               "quantity": "1", "order_type": "MKT", "time_in_force": "DAY"}
    preview = trader.post(NEW, entered).content.decode()
    assert 'id="order-error"' not in preview, re.search(r'id="order-error">(.*?)<', preview).group(1)
    contract = re.search(r'id="preview-contract">(.*?)</td>', preview, re.S).group(1)
    assert contract.startswith(f"TCH.HK {call.expiry.isoformat()}") and "100 shares per contract" in contract
    trader.post(NEW, {"confirmation_token": _token(preview), "account_number": account.account_number})
    order = Order.objects.get()
    assert (order.identifier, order.currency, order.multiplier, order.door) == (call.identifier, "HKD", 100, "admin")
    at_broker = sim.exchange.accounts[account.account_number].orders[int(order.broker_id)]
    assert at_broker.status == "Filled" and at_broker.currency == "HKD"
