"""Each kind of order through the admin's New order form in a real headless Chromium, as an operator
enters it: trailing stop, GTD limit, bracket, future and order by amount. Each is previewed (nothing
sent), confirmed, and then, as its kind allows, modified, cancelled or filled from the order's page;
the simulator (Tiger over tigeropen's HTTP protocol) holds the outcome."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import grant_set
from accounts.tests.test_admin_browser import login
from trading import services
from trading.models import Order, OrderStatus
from trading.services import last_price

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHOICES = {"account", "sec_type", "side", "order_type", "time_in_force", "right"}


@pytest.fixture
def desk(browser, live_server, make_tiger_account):
    from django.contrib.auth import get_user_model

    account = make_tiger_account(label="Kinds desk")
    login(browser, live_server)
    grant_set(actor=Actor.system("cli", "test"), account=account, scope=Scope.TRADE,
              user=get_user_model().objects.get(username="ops"))
    return account


def enter_and_preview(browser, live_server, fields: dict) -> str:
    """Type the order into the New order form, press Preview; the previewed order's summary line."""
    browser.get(f"{live_server.url}/admin/trading/order/new/")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "new-order-form"))
    for name, value in fields.items():
        element = browser.find_element(By.NAME, name)
        if name in CHOICES:
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)
    browser.find_element(By.ID, "preview-order").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "confirm-order") or b.find_elements(By.ID, "order-error"))
    assert not browser.find_elements(By.ID, "order-error"), browser.find_element(By.ID, "order-error").text
    assert not Order.objects.exists()  # previewed, not sent
    return browser.find_element(By.ID, "preview-summary").text


def confirm(browser) -> Order:
    browser.find_element(By.ID, "confirm-order").click()
    WebDriverWait(browser, 10).until(lambda b: "/change/" in b.current_url)
    order = Order.objects.get(parent__isnull=True)
    assert browser.current_url.endswith(f"/admin/trading/order/{order.pk}/change/")
    assert order.door == "admin" and order.status == OrderStatus.SUBMITTED
    return order


def modify(browser, order: Order, fields: dict) -> Order:
    """From the order's page: Modify…, the new values, the risk-checked preview, the confirmation."""
    browser.find_element(By.ID, "order-modify").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "modify-form"))
    for name, value in fields.items():
        browser.find_element(By.NAME, name).send_keys(value)
    browser.find_element(By.ID, "preview-modify").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "confirm-modify") or b.find_elements(By.ID, "modify-error"))
    assert not browser.find_elements(By.ID, "modify-error"), browser.find_element(By.ID, "modify-error").text
    browser.find_element(By.ID, "confirm-modify").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith(f"/admin/trading/order/{order.pk}/change/"))
    assert "modified" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    order.refresh_from_db()
    return order


def cancel(browser, sim, order: Order) -> None:
    """From the order's page: Cancel at Tiger…, yes; the simulator's order is cancelled, and so is ours."""
    browser.find_element(By.ID, "order-cancel").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "confirm-cancel"))
    browser.find_element(By.ID, "confirm-cancel").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith(f"/admin/trading/order/{order.pk}/change/"))
    assert f"Cancel requested for order {order.pk}" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    sim_order = sim.exchange.accounts[order.account.account_number].orders[int(order.broker_id)]
    assert sim_order.status in ("Cancelled", "PendingCancel"), sim_order.status


def test_a_trailing_stop_is_entered_modified_and_cancelled(browser, live_server, sim, desk):
    summary = enter_and_preview(browser, live_server, {
        "account": desk.account_number, "symbol": "AAPL", "quantity": "2", "order_type": "TRAIL",
        "trailing_percent": "5", "time_in_force": "GTC"})
    assert summary == "BUY 2 AAPL TRAIL trailing 5 %"
    order = confirm(browser)
    assert (order.order_type, order.trailing_percent, order.time_in_force) == ("TRAIL", Decimal(5), "GTC")

    order = modify(browser, order, {"trailing_percent": "7"})
    assert order.trailing_percent == Decimal(7)
    assert sim.exchange.accounts[desk.account_number].orders[int(order.broker_id)].trailing_percent == 7
    cancel(browser, sim, order)


def test_a_gtd_limit_order_carries_its_expiry_and_is_repriced_then_cancelled(browser, live_server, sim, desk):
    expiry = (max(sim.clock.now(), timezone.now()) + timedelta(days=2)).replace(second=0, microsecond=0)
    price = (last_price(desk, "MSFT") * Decimal("0.9")).quantize(Decimal("0.01"))
    summary = enter_and_preview(browser, live_server, {
        "account": desk.account_number, "symbol": "MSFT", "quantity": "3", "order_type": "LMT",
        "limit_price": str(price), "time_in_force": "GTD", "expire_time": expiry.strftime("%Y-%m-%d %H:%M")})
    assert summary == f"BUY 3 MSFT LMT @ {price:,.2f} USD"
    order = confirm(browser)
    assert (order.time_in_force, order.expire_time) == ("GTD", expiry)
    sim_order = sim.exchange.accounts[desk.account_number].orders[int(order.broker_id)]
    assert sim_order.expire_time == int(expiry.timestamp() * 1000)

    lower = price - Decimal("1.00")
    order = modify(browser, order, {"limit_price": str(lower)})
    assert order.limit_price == lower and sim_order.limit_price == lower
    cancel(browser, sim, order)


def test_a_bracket_is_entered_with_its_legs_and_cancelled_with_them(browser, live_server, sim, desk):
    price = (last_price(desk, "AAPL") * Decimal("0.95")).quantize(Decimal("0.01"))
    enter_and_preview(browser, live_server, {
        "account": desk.account_number, "symbol": "AAPL", "quantity": "4", "order_type": "LMT",
        "limit_price": str(price), "take_profit_price": str(price + 10), "stop_loss_price": str(price - 10)})
    assert browser.find_element(By.ID, "preview-bracket").text.startswith(
        f"take-profit {price + 10:,.2f} USD, stop-loss {price - 10:,.2f} USD (SELL 4)")
    entry = confirm(browser)
    assert sorted(entry.legs.values_list("leg", "side", "quantity")) == [("LOSS", "SELL", 4), ("PROFIT", "SELL", 4)]
    cancel(browser, sim, entry)


def test_a_future_entered_by_its_product_is_placed_as_its_front_contract(browser, live_server, sim, desk):
    sim.transfer_to_futures(desk.account_number, "USD", Decimal("100000"))
    policy = services.risk_policy_for(account=desk)
    policy.max_order_notional, policy.max_open_exposure = Decimal("2000000"), Decimal("5000000")
    services.risk_policy_save(actor=Actor.system("cli", "test"), policy=policy)
    summary = enter_and_preview(browser, live_server, {
        "account": desk.account_number, "sec_type": "FUT", "symbol": "ES", "quantity": "1", "order_type": "MKT"})
    assert summary.startswith("BUY 1 ES2612 MKT")
    assert browser.find_element(By.ID, "preview-contract").text.startswith("ES2612, last trading day 2026-12-18, multiplier 50")
    order = confirm(browser)
    assert (order.sec_type, order.symbol, order.multiplier) == ("FUT", "ES2612", 50)
    assert sim.exchange.accounts[desk.account_number].orders[int(order.broker_id)].symbol == "ES2612"


def test_an_order_by_amount_is_placed_and_fills_in_fractional_shares(browser, live_server, sim, desk):
    summary = enter_and_preview(browser, live_server, {
        "account": desk.account_number, "symbol": "AAPL", "amount": "500", "order_type": "MKT"})
    assert summary == "BUY 500.00 USD of AAPL MKT"
    order = confirm(browser)
    assert order.amount == Decimal(500)
    sim.match()
    sim_order = sim.exchange.accounts[desk.account_number].orders[int(order.broker_id)]
    assert sim_order.status == "Filled", sim_order.status
    filled = sim_order.filled
    assert 0 < filled < 500 and filled != filled.to_integral_value()  # fractional shares worth 500 USD
