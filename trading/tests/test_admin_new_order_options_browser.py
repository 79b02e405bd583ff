"""The New order form with an option, in a real headless Chromium: the operator picks the security
type, names the contract by underlying, expiry, strike and right, reads the previewed contract and its
multiplier, and confirms; the order reaches the simulator as that option."""

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import grant_set
from accounts.tests.test_admin_browser import login
from core.formatting import format_money
from trading.models import Order
from trading.tests.test_admin_orders_browser import NARROWEST
from tigermcp.testing import listed_option

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_enters_previews_and_confirms_an_option_order(browser, live_server, sim, make_tiger_account,
                                                                   tmp_path):
    from django.contrib.auth import get_user_model

    account = make_tiger_account(label="Options desk")
    login(browser, live_server)
    grant_set(actor=Actor.system("cli", "test"), account=account, scope=Scope.TRADE,
              user=get_user_model().objects.get(username="ops"))
    expiry, strike, quote = listed_option(sim, right="PUT")
    low = max(Decimal("0.01"), (Decimal(str(quote["bidPrice"])) / 2).quantize(Decimal("0.01")))

    browser.get(f"{live_server.url}/admin/trading/order/new/")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "new-order-form"))
    Select(browser.find_element(By.NAME, "account")).select_by_value(account.account_number)
    Select(browser.find_element(By.NAME, "sec_type")).select_by_value("OPT")
    browser.find_element(By.NAME, "symbol").send_keys("AAPL")
    browser.find_element(By.NAME, "expiry").send_keys(expiry.isoformat())
    browser.find_element(By.NAME, "strike").send_keys(str(strike))
    Select(browser.find_element(By.NAME, "right")).select_by_value("PUT")
    browser.find_element(By.NAME, "quantity").send_keys("2")
    Select(browser.find_element(By.NAME, "order_type")).select_by_value("LMT")
    browser.find_element(By.NAME, "limit_price").send_keys(str(low))
    browser.find_element(By.ID, "preview-order").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "confirm-order") or b.find_elements(By.ID, "order-error"))
    assert not browser.find_elements(By.ID, "order-error"), browser.find_element(By.ID, "order-error").text
    contract = browser.find_element(By.ID, "preview-contract").text
    assert contract.startswith(f"AAPL {expiry.isoformat()} {strike.normalize():f} PUT, 100 shares per contract")
    # What the order will do, as every door's preview says it: the premium through the multiplier.
    premium = format_money(low * 2 * 100, "USD")
    assert browser.find_element(By.ID, "preview-net").text == f"Net debit: {premium} paid if it fills."
    assert browser.find_element(By.ID, "preview-max-loss").text.startswith(
        f"Maximum loss {premium}: the premium paid, if the option expires worthless")
    assert browser.find_element(By.ID, "preview-legs").text.startswith(
        f"Entry: BUY 2 {' '.join(quote['identifier'].split())} LMT at {low:.2f} USD = {premium}")  # HTML folds spaces
    assert browser.find_element(By.ID, "preview-session").text == "Trades now, in the US regular session."
    assert browser.find_element(By.ID, "preview-commission").text == "Commission 1.30 USD (Tiger's preview)."
    assert browser.execute_script(NARROWEST) == {"narrow": [], "scroll": False}
    browser.save_screenshot(str(tmp_path / "option-preview.png"))
    assert not Order.objects.exists()
    browser.find_element(By.ID, "confirm-order").click()

    WebDriverWait(browser, 10).until(lambda b: "/change/" in b.current_url)
    order = Order.objects.get()
    assert (order.sec_type, order.identifier, order.quantity, order.multiplier) == ("OPT", quote["identifier"], 2, 100)
    assert sim.exchange.accounts[account.account_number].orders[int(order.broker_id)].symbol == quote["identifier"]
