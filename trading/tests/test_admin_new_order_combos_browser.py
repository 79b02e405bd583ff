"""The New order form with a combo, in a real headless Chromium: the operator picks security type Combo
and a combo type, fills in the two legs, reads every leg, the net debit or credit and the maximum loss
in the preview, and confirms; the combo reaches the simulator with its legs, and the order's page shows
them. A wrong shape is refused on the page, saying what the combo needs."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import grant_set
from accounts.tests.test_admin_browser import login
from mcp_bridge.tests.test_combo_order_tools import strikes
from trading.models import Order
from trading.tests.test_admin_orders_browser import NARROWEST

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_combo(browser, account, combo_type, legs, *, quantity="1", limit_price=None, order_type="LMT"):
    Select(browser.find_element(By.NAME, "account")).select_by_value(account.account_number)
    Select(browser.find_element(By.NAME, "sec_type")).select_by_value("MLEG")
    browser.find_element(By.NAME, "symbol").send_keys("AAPL")
    Select(browser.find_element(By.NAME, "combo_type")).select_by_value(combo_type)
    for n, (side, expiry, strike, right) in enumerate(legs, start=1):
        Select(browser.find_element(By.NAME, f"leg{n}_side")).select_by_value(side)
        browser.find_element(By.NAME, f"leg{n}_expiry").send_keys(expiry.isoformat())
        browser.find_element(By.NAME, f"leg{n}_strike").send_keys(str(strike))
        Select(browser.find_element(By.NAME, f"leg{n}_right")).select_by_value(right)
    browser.find_element(By.NAME, "quantity").send_keys(quantity)
    Select(browser.find_element(By.NAME, "order_type")).select_by_value(order_type)
    if limit_price is not None:
        browser.find_element(By.NAME, "limit_price").send_keys(limit_price)
    browser.find_element(By.ID, "preview-order").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "confirm-order") or b.find_elements(By.ID, "order-error"))


def test_an_operator_enters_previews_and_confirms_a_credit_vertical(browser, live_server, sim, make_tiger_account,
                                                                    tmp_path):
    from django.contrib.auth import get_user_model

    account = make_tiger_account(label="Combo desk")
    login(browser, live_server)
    grant_set(actor=Actor.system("cli", "test"), account=account, scope=Scope.TRADE,
              user=get_user_model().objects.get(username="ops"))
    expiry, listed, mid = strikes(sim)
    low, high = listed[mid - 2], listed[mid]

    browser.get(f"{live_server.url}/admin/trading/order/new/")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "new-order-form"))
    fill_combo(browser, account, "VERTICAL", [("BUY", expiry, low, "PUT"), ("SELL", expiry, high, "PUT")],
               quantity="2", limit_price="-4.90")
    assert not browser.find_elements(By.ID, "order-error"), browser.find_element(By.ID, "order-error").text
    assert browser.find_element(By.ID, "preview-combo").text.startswith("VERTICAL on AAPL: 2 combo(s) at a net -4.9")
    legs = browser.find_element(By.ID, "preview-legs").text
    # (HTML shows the identifier's padding as one space)
    assert f"BUY 2 AAPL {expiry:%y%m%d}P{int(low * 1000):08d}" in legs
    assert f"SELL 2 AAPL {expiry:%y%m%d}P{int(high * 1000):08d}" in legs
    assert browser.find_element(By.ID, "preview-net").text.startswith("Net credit: 980.00 USD received")
    width = (high - low) * 100
    assert f"Maximum loss {(width - 490) * 2:,.2f} USD" in browser.find_element(By.ID, "preview-max-loss").text
    assert browser.execute_script(NARROWEST) == {"narrow": [], "scroll": False}
    browser.save_screenshot(str(tmp_path / "combo-preview.png"))
    assert not Order.objects.exists()
    browser.find_element(By.ID, "confirm-order").click()

    WebDriverWait(browser, 10).until(lambda b: "/change/" in b.current_url)
    order = Order.objects.get()
    assert (order.sec_type, order.combo_type, order.quantity) == ("MLEG", "VERTICAL", 2)
    assert [(l["side"], l["right"]) for l in order.combo_legs] == [("BUY", "PUT"), ("SELL", "PUT")]
    at_broker = sim.exchange.accounts[account.account_number].orders[int(order.broker_id)]
    assert at_broker.combo_type == "VERTICAL" and len(at_broker.legs) == 2
    page = browser.find_element(By.ID, "content-main").text
    assert "VERTICAL" in page and "Combo legs" in page


def test_a_combo_of_the_wrong_shape_is_refused_on_the_page(browser, live_server, sim, make_tiger_account):
    from django.contrib.auth import get_user_model

    account = make_tiger_account(label="Combo desk")
    login(browser, live_server)
    grant_set(actor=Actor.system("cli", "test"), account=account, scope=Scope.TRADE,
              user=get_user_model().objects.get(username="ops"))
    expiry, listed, mid = strikes(sim)
    browser.get(f"{live_server.url}/admin/trading/order/new/")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "new-order-form"))
    fill_combo(browser, account, "STRADDLE", [("BUY", expiry, listed[mid], "CALL"), ("BUY", expiry, listed[mid + 1], "PUT")],
               limit_price="5")
    error = browser.find_element(By.ID, "order-error").text
    assert "a STRADDLE needs a call and a put of one expiry at the same strike" in error
    assert not Order.objects.exists()
