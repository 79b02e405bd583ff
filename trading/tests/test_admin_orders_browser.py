"""The portfolio page, the New order form and an order's page in a real headless Chromium: an operator
logs in, looks at the positions, enters an order, previews it and confirms it, and reads the order's
risk checks and audit trail."""

import re
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import grant_set
from accounts.tests.test_admin_browser import login
from broker.client import broker_for
from broker.types import OrderIntent
from marketdata.services import portfolio_snapshot_create
from trading.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Any element (cell, header, button) squeezed to about one character's width.
NARROWEST = """
let narrow = [];
for (const el of document.querySelectorAll('#content th, #content td, #content input[type=submit], #content a.button')) {
  const r = el.getBoundingClientRect();
  if (el.textContent.trim().length > 2 && r.width > 0 && r.width < 14) narrow.push(el.textContent.trim());
}
return {narrow: narrow, scroll: document.documentElement.scrollWidth > document.documentElement.clientWidth};
"""


def test_an_operator_reads_positions_then_enters_previews_and_confirms_an_order(browser, live_server, sim,
                                                                                 make_tiger_account, tmp_path):
    from django.contrib.auth import get_user_model

    account = make_tiger_account(label="Desk", cash={"USD": Decimal("2500000")})
    broker_for(account).place_order(OrderIntent(symbol="MSFT", side="BUY", quantity=Decimal(1200), order_type="MKT"))
    for _ in range(5):  # the simulator fills a large order over several matching rounds
        sim.match()
    held = next(p.quantity for p in broker_for(account).positions() if p.symbol == "MSFT")
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    login(browser, live_server)
    grant_set(actor=Actor.system("cli", "test"), account=account, scope=Scope.TRADE,
              user=get_user_model().objects.get(username="ops"))

    browser.get(f"{live_server.url}/admin/marketdata/portfoliosnapshot/positions/")
    row = browser.find_element(By.XPATH, '//table[@id="positions"]//tr[td[1]="MSFT"]')
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[2] == f"{held:,.0f}" and re.fullmatch(r"\d{1,3}(,\d{3})+\.\d\d USD", cells[3]), cells
    assert browser.execute_script(NARROWEST) == {"narrow": [], "scroll": False}
    browser.save_screenshot(str(tmp_path / "positions.png"))

    # New order: from the order list's button, through the preview, to the confirmation.
    browser.get(f"{live_server.url}/admin/trading/order/")
    browser.find_element(By.ID, "new-order").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "new-order-form"))
    price = (broker_for(account).quotes(["AAPL"])[0].latest_price * Decimal("0.99")).quantize(Decimal("0.01"))
    Select(browser.find_element(By.NAME, "account")).select_by_value(account.account_number)
    browser.find_element(By.NAME, "symbol").send_keys("AAPL")
    browser.find_element(By.NAME, "quantity").send_keys("25")
    Select(browser.find_element(By.NAME, "order_type")).select_by_value("LMT")
    browser.find_element(By.NAME, "limit_price").send_keys(str(price))
    browser.find_element(By.ID, "preview-order").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "confirm-order"))
    assert browser.find_element(By.ID, "preview-summary").text == f"BUY 25 AAPL LMT @ {price:,.2f} USD"
    assert "yes" in browser.find_element(By.CSS_SELECTOR, "table.risk-decision").text
    assert not Order.objects.exists()  # previewed, not sent
    browser.find_element(By.ID, "confirm-order").click()

    WebDriverWait(browser, 10).until(lambda b: "/change/" in b.current_url)
    order = Order.objects.get()
    assert (order.symbol, order.quantity, order.door, order.status) == ("AAPL", Decimal(25), "admin", "SUBMITTED")
    assert browser.current_url.endswith(f"/admin/trading/order/{order.pk}/change/")
    # The order's page: its risk checks as a table, its audit trail, and the buttons for a working order.
    page = browser.find_element(By.ID, "content").text
    assert f"Order {order.pk} BUY 25 AAPL: Submitted" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    assert "Rules checked" in browser.find_element(By.CSS_SELECTOR, "table.risk-decision").text
    trail = browser.find_element(By.CSS_SELECTOR, "table.audit-trail").text
    assert "order.transition" in trail and "admin" in trail
    assert browser.find_element(By.ID, "order-cancel") and browser.find_element(By.ID, "order-modify")
    assert "25.000000" not in page
    assert browser.execute_script(NARROWEST)["narrow"] == []
    browser.save_screenshot(str(tmp_path / "order.png"))
