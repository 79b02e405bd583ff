"""Option orders over REST (DRF token client) against the simulator: preview -> place by identifier
and by underlying/expiry/strike/right, the order read back with its contract, cancel, and the chain's
refusals as 400s that name the nearest valid values."""

from decimal import Decimal

import pytest

from accounts.models import Scope
from tigermcp.testing import listed_option

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(account, api_client_for):
    return api_client_for(account, Scope.TRADE, name="script")


def test_an_option_limit_order_by_fields_previews_places_reads_and_cancels(api, account, sim):
    expiry, strike, quote = listed_option(sim)
    n = account.account_number
    low = max(Decimal("0.01"), (Decimal(str(quote["bidPrice"])) / 2).quantize(Decimal("0.01")))
    r = api.post("/api/orders/preview/", {"account_number": n, "symbol": "AAPL", "expiry": expiry.isoformat(),
                                          "strike": str(strike), "right": "CALL", "side": "BUY", "quantity": "3",
                                          "order_type": "LMT", "limit_price": str(low)}, format="json")
    assert r.status_code == 200, r.json()
    preview = r.json()
    assert preview["order"]["sec_type"] == "OPT" and preview["order"]["multiplier"] == "100"
    assert Decimal(preview["risk"]["notional"]) == 3 * 100 * low
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": preview["confirmation_token"],
                                        "idempotency_key": "opt-api-1"}, format="json")
    assert r.status_code == 201 and r.json()["order"]["status"] == "SUBMITTED"
    order = r.json()["order"]
    assert (order["sec_type"], order["identifier"], order["right"], order["multiplier"]) == (
        "OPT", quote["identifier"], "CALL", "100")
    assert order["expiry"] == expiry.isoformat() and Decimal(order["strike"]) == strike
    at_broker = sim.exchange.accounts[n].orders[int(order["broker_id"])]
    assert at_broker.symbol == quote["identifier"] and at_broker.limit_price == low
    r = api.post(f"/api/orders/{order['order_id']}/cancel/", {"account_number": n}, format="json")
    r = api.post(f"/api/orders/{order['order_id']}/cancel/",
                 {"account_number": n, "confirmation_token": r.json()["confirmation_token"]}, format="json")
    assert r.status_code == 200 and r.json()["order"]["status"] in ("CANCEL_PENDING", "CANCELLED")


def test_an_option_market_order_by_identifier_fills(api, account, sim):
    _expiry, _strike, quote = listed_option(sim)
    n = account.account_number
    r = api.post("/api/orders/preview/", {"account_number": n, "identifier": quote["identifier"], "side": "BUY",
                                          "quantity": "1", "order_type": "MKT"}, format="json")
    assert r.status_code == 200, r.json()
    r = api.post("/api/orders/place/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"],
                                        "idempotency_key": "opt-api-2"}, format="json")
    assert r.status_code == 201
    at_broker = sim.exchange.accounts[n].orders[int(r.json()["order"]["broker_id"])]
    assert at_broker.status == "Filled" and sim.exchange.accounts[n].positions[quote["identifier"]].quantity == 1
    [held] = api.get(f"/api/accounts/{n}/positions/", {"sec_type": "OPT"}).json()["positions"]
    assert (held["identifier"], held["quantity"], held["multiplier"], held["sec_type"]) == (
        quote["identifier"], "1", "100", "OPT")
    assert api.get(f"/api/accounts/{n}/positions/").json()["positions"] == []  # stocks: none
    assert api.get(f"/api/accounts/{n}/positions/", {"sec_type": "WAR"}).status_code == 400


def test_an_unlisted_expiry_is_a_400_naming_the_nearest_expiries(api, account, sim):
    _expiry, strike, _quote = listed_option(sim)
    r = api.post("/api/orders/preview/", {"account_number": account.account_number, "symbol": "AAPL",
                                          "expiry": "2031-01-02", "strike": str(strike), "right": "PUT",
                                          "side": "BUY", "quantity": "1", "order_type": "MKT"}, format="json")
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == "unknown_option_expiry"
    last = sim.exchange.prices.option_expiries("AAPL", sim.clock.now())[-1][0]
    assert "Nearest expiries:" in err["message"] and last.isoformat() in err["message"]
    r = api.post("/api/orders/preview/", {"account_number": account.account_number, "identifier": "AAPL 190",
                                          "side": "BUY", "quantity": "1", "order_type": "MKT"}, format="json")
    assert r.status_code == 400 and "is not an option identifier" in r.json()["error"]["message"]
