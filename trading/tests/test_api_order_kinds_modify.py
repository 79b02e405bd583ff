"""Modifying each kind of working order over REST (DRF token client) against the simulator: an option's,
a named futures month's and a bracket entry's limit price are changed at Tiger (preview, then confirm
with the token), and the changed order is then cancelled."""

from decimal import Decimal

import pytest

from accounts.models import Scope
from trading import services
from tigermcp.testing import listed_option

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(account, api_client_for):
    return api_client_for(account, Scope.TRADE, name="script")


def _place(api, order: dict, key: str) -> dict:
    r = api.post("/api/orders/preview/", order, format="json")
    assert r.status_code == 200, r.json()
    r = api.post("/api/orders/place/", {"account_number": order["account_number"], "idempotency_key": key,
                                        "confirmation_token": r.json()["confirmation_token"]}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()["order"]


def _modify_then_cancel(api, order: dict, change: dict) -> dict:
    url, n = f"/api/orders/{order['order_id']}/", order["account_number"]
    r = api.post(url + "modify/", {"account_number": n, **change}, format="json")
    assert r.status_code == 200, r.json()
    r = api.post(url + "modify/", {"account_number": n, **change, "confirmation_token": r.json()["confirmation_token"]},
                 format="json")
    assert r.status_code == 200, r.json()
    changed = r.json()["order"]
    r = api.post(url + "cancel/", {"account_number": n}, format="json")
    r = api.post(url + "cancel/", {"account_number": n, "confirmation_token": r.json()["confirmation_token"]},
                 format="json")
    assert r.status_code == 200 and r.json()["order"]["status"] in ("CANCEL_PENDING", "CANCELLED"), r.json()
    return changed


def test_an_option_limit_is_repriced_at_tiger_then_cancelled(api, account, sim):
    _expiry, _strike, quote = listed_option(sim)
    low = max(Decimal("0.02"), (Decimal(str(quote["bidPrice"])) / 2).quantize(Decimal("0.01")))
    lower = (low / 2).quantize(Decimal("0.01"))
    order = _place(api, {"account_number": account.account_number, "identifier": quote["identifier"], "side": "BUY",
                         "quantity": "2", "order_type": "LMT", "limit_price": str(low)}, "opt-modify-1")
    changed = _modify_then_cancel(api, order, {"limit_price": str(lower)})
    assert Decimal(changed["limit_price"]) == lower and changed["identifier"] == quote["identifier"]
    at_broker = sim.exchange.accounts[account.account_number].orders[int(order["broker_id"])]
    assert (at_broker.symbol, at_broker.limit_price) == (quote["identifier"], lower)


def test_a_futures_month_limit_is_repriced_at_tiger_then_cancelled(api, account, sim, system_actor):
    sim.transfer_to_futures(account.account_number, "USD", Decimal("100000"))
    policy = services.risk_policy_for(account=account)
    policy.max_order_notional, policy.max_open_exposure = Decimal("2000000"), Decimal("5000000")
    services.risk_policy_save(actor=system_actor, policy=policy)
    bid = sim.quote("ES2703").bid
    low = (bid * Decimal("0.95") / Decimal("0.25")).quantize(Decimal(1)) * Decimal("0.25")
    order = _place(api, {"account_number": account.account_number, "sec_type": "FUT", "symbol": "ES2703",
                         "side": "BUY", "quantity": "1", "order_type": "LMT", "limit_price": str(low)}, "fut-modify-1")
    changed = _modify_then_cancel(api, order, {"limit_price": str(low - 1)})
    assert (changed["symbol"], Decimal(changed["limit_price"])) == ("ES2703", low - 1)
    at_broker = sim.exchange.accounts[account.account_number].orders[int(order["broker_id"])]
    assert at_broker.limit_price == low - 1 and at_broker.status in ("PendingCancel", "Cancelled")


def test_a_bracket_entry_is_repriced_at_tiger_and_its_legs_go_with_its_cancel(api, account, sim, last_price):
    limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    order = _place(api, {"account_number": account.account_number, "symbol": "AAPL", "side": "BUY", "quantity": "3",
                         "order_type": "LMT", "limit_price": str(limit), "take_profit_price": str(limit + 10),
                         "stop_loss_price": str(limit - 10)}, "bracket-modify-1")
    _modify_then_cancel(api, order, {"limit_price": str(limit - 1)})
    sim.match()
    at_broker = list(sim.exchange.accounts[account.account_number].orders.values())
    entry = next(o for o in at_broker if not o.parent_id)
    assert entry.limit_price == limit - 1 and len(at_broker) == 3
    assert {o.status for o in at_broker} <= {"PendingCancel", "Cancelled"}
