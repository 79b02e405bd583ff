"""The admin's New order form takes options: by identifier or by underlying/expiry/strike/right, the
preview shows the contract and its multiplier, and the confirmation places it at Tiger (the simulator)."""

import re
from decimal import Decimal

import pytest

from trading.models import Order
from trading.tests.test_admin_new_order import NEW, _token
from tigermcp.testing import listed_option

pytestmark = pytest.mark.django_db


def test_an_option_entered_by_its_fields_is_previewed_with_its_contract_and_placed(trader, account, sim):
    form = trader.get(NEW).content.decode()
    assert 'name="sec_type"' in form and 'name="identifier"' in form and 'name="strike"' in form
    expiry, strike, quote = listed_option(sim)
    low = max(Decimal("0.01"), (Decimal(str(quote["bidPrice"])) / 2).quantize(Decimal("0.01")))
    entered = {"account": account.account_number, "sec_type": "OPT", "symbol": "AAPL", "expiry": expiry.isoformat(),
               "strike": str(strike), "right": "CALL", "side": "BUY", "quantity": "2", "order_type": "LMT",
               "limit_price": str(low), "time_in_force": "DAY"}
    preview = trader.post(NEW, entered).content.decode()
    assert 'id="order-error"' not in preview, re.search(r'id="order-error">(.*?)<', preview).group(1)
    contract = re.search(r'id="preview-contract">(.*?)</td>', preview, re.S).group(1)
    assert contract.startswith(f"AAPL {expiry.isoformat()} {strike.normalize():f} CALL, 100 shares per contract")
    trader.post(NEW, {"confirmation_token": _token(preview), "account_number": account.account_number})
    order = Order.objects.get()
    assert (order.sec_type, order.identifier, order.multiplier, order.door) == ("OPT", quote["identifier"], 100, "admin")
    assert sim.exchange.accounts[account.account_number].orders[int(order.broker_id)].symbol == quote["identifier"]


def test_an_option_by_identifier_with_a_strike_beside_it_is_refused_with_the_reason(trader, account, sim):
    _expiry, strike, quote = listed_option(sim)
    page = trader.post(NEW, {"account": account.account_number, "identifier": quote["identifier"],
                             "strike": str(strike), "side": "BUY", "quantity": "1", "order_type": "MKT",
                             "time_in_force": "DAY"}).content.decode()
    assert "either by identifier or by expiry, strike and right" in re.search(r'id="order-error">(.*?)<', page).group(1)
    assert not Order.objects.exists()
