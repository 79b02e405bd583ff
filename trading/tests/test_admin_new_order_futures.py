"""The admin's New order form takes futures: a product (its front contract) as symbol with security
type FUT; the preview shows the contract, its last trading day and multiplier, and the confirmation
places it at Tiger (the simulator)."""

import re
from decimal import Decimal

import pytest

from trading import services
from trading.models import Order
from trading.tests.test_admin_new_order import NEW, _token

pytestmark = pytest.mark.django_db


def test_a_future_entered_by_its_product_is_previewed_with_its_contract_and_placed(trader, account, sim,
                                                                                  system_actor):
    sim.transfer_to_futures(account.account_number, "USD", Decimal("100000"))
    policy = services.risk_policy_for(account=account)
    policy.max_order_notional, policy.max_open_exposure = Decimal("2000000"), Decimal("5000000")
    services.risk_policy_save(actor=system_actor, policy=policy)
    form = trader.get(NEW).content.decode()
    assert '<option value="FUT">Future</option>' in form
    entered = {"account": account.account_number, "sec_type": "FUT", "symbol": "ES", "side": "BUY", "quantity": "1",
               "order_type": "MKT", "time_in_force": "DAY"}
    preview = trader.post(NEW, entered).content.decode()
    assert 'id="order-error"' not in preview, re.search(r'id="order-error">(.*?)<', preview).group(1)
    contract = re.search(r'id="preview-contract">(.*?)</td>', preview, re.S).group(1)
    assert contract.startswith("ES2612, last trading day 2026-12-18, multiplier 50")
    trader.post(NEW, {"confirmation_token": _token(preview), "account_number": account.account_number})
    order = Order.objects.get()
    assert (order.sec_type, order.symbol, order.multiplier, order.door) == ("FUT", "ES2612", 50, "admin")
    assert sim.exchange.accounts[account.account_number].orders[int(order.broker_id)].symbol == "ES2612"
