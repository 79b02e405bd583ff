"""Estimated tradable quantity (Tiger's estimate_tradable_quantity): the real SDK against the simulator,
checked against what the simulator then accepts, through the selector, REST and errors."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import api_token_create, grant_set
from core.errors import InvalidInput
from tigersim import protocol as sim_protocol
from trading.selectors import tradable_quantity_get

pytestmark = pytest.mark.django_db


def price_below(sim, symbol="AAPL") -> Decimal:
    return (sim.quote(symbol).regular_latest * Decimal("0.95")).quantize(Decimal("0.01"))


@pytest.mark.parametrize("capability", ["MGRN", "CASH"])
def test_the_estimate_is_exactly_what_the_simulator_then_accepts(system_actor, sim, make_tiger_account, capability):
    developer = sim.create_developer()
    number = sim.open_account(developer.tiger_id, cash={"USD": Decimal("50000")}, capability=capability)
    account = make_tiger_account(developer=developer, account_number=number)
    price = price_below(sim)
    _, q = tradable_quantity_get(actor=system_actor, account_number=number, symbol="AAPL", side="BUY",
                                 limit_price=price)
    assert q.currency == "USD" and q.position_quantity == 0 and q.salable_quantity == 0
    assert q.cash_quantity == Decimal("50000") // price or capability == "CASH"
    if capability == "MGRN":
        assert q.margin_quantity > q.cash_quantity  # margin buys more than cash
    else:
        assert q.cash_quantity == q.margin_quantity
    ex, acct = sim.exchange, sim.exchange.accounts[number]
    order = {"symbol": "AAPL", "action": "BUY", "order_type": "LMT", "limit_price": str(price)}
    with pytest.raises(sim_protocol.GatewayError):
        ex.place(acct, {**order, "total_quantity": str(q.margin_quantity + 1)})
    placed = ex.place(acct, {**order, "total_quantity": str(q.margin_quantity)})
    assert placed.quantity == q.margin_quantity
    assert account.account_number == number


def test_selling_without_a_position_and_bad_input(system_actor, sim, make_tiger_account):
    developer = sim.create_developer()
    number = sim.open_account(developer.tiger_id, capability="CASH")
    make_tiger_account(developer=developer, account_number=number)
    _, q = tradable_quantity_get(actor=system_actor, account_number=number, symbol="AAPL", side="SELL", order_type="MKT")
    assert q.cash_quantity == q.margin_quantity == q.position_quantity == 0
    with pytest.raises(InvalidInput, match="limit_price"):
        tradable_quantity_get(actor=system_actor, account_number=number, symbol="AAPL", side="BUY", order_type="LMT")


def test_rest_tradable_quantity(system_actor, sim, make_tiger_account):
    account = make_tiger_account(developer=sim.create_developer())
    token, plain = api_token_create(actor=Actor.system("cli"), name="sizer")
    grant_set(actor=Actor.system("cli"), account=account, scope=Scope.READ, api_token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    r = client.get("/api/orders/tradable-quantity/", {"symbol": "AAPL", "side": "BUY", "limit_price": str(price_below(sim))})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["account_number"] == account.account_number and body["currency"] == "USD"
    assert Decimal(body["cash_quantity"]) > 0 and isinstance(body["margin_quantity"], str)
    bad = client.get("/api/orders/tradable-quantity/", {"symbol": "AAPL", "side": "buy?"})
    assert bad.status_code == 400 and "side:" in bad.json()["error"]["message"]
