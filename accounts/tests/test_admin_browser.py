"""The admin as a person uses it: a real headless Chromium, logging in and typing into forms."""

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from accounts.models import TigerAccount, fingerprint
from accounts.tests.factories import CANARY_KEY
from audit.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(browser, live_server):
    get_user_model().objects.create_superuser("ops", password="pw-ops-7654321")
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("ops")
    browser.find_element(By.NAME, "password").send_keys("pw-ops-7654321")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # click() returns before the next page loads: wait for it, as a person would.
    WebDriverWait(browser, 10).until(lambda b: b.title == "Accounts, orders, risk and audit | TigerMCP")


def test_admin_adds_an_account_and_never_sees_the_key_again(browser, live_server, tmp_path):
    login(browser, live_server)
    browser.get(f"{live_server.url}/admin/accounts/tigeraccount/add/")
    form = {"label": "Browser account", "account_number": "20269999999999999", "tiger_id": "20159999",
            "private_key": CANARY_KEY, "license": "TBUS"}
    for name, value in form.items():
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    browser.find_element(By.NAME, "skip_connection_check").click()  # no gateway answers for this account
    browser.find_element(By.NAME, "_save").click()

    WebDriverWait(browser, 10).until(lambda b: "was added successfully" in b.page_source)
    account = TigerAccount.objects.get(account_number="20269999999999999")
    assert account.private_key == CANARY_KEY

    browser.get(f"{live_server.url}/admin/accounts/tigeraccount/{account.pk}/change/")
    page = browser.page_source
    assert fingerprint(CANARY_KEY) in page
    assert CANARY_KEY not in page and "20159999" not in page
    # What the browser actually holds in the form fields, not only the HTML source.
    for name in ("private_key", "tiger_id", "license"):
        assert browser.find_element(By.NAME, name).get_attribute("value") == ""
    browser.save_screenshot(str(tmp_path / "account.png"))

    browser.get(f"{live_server.url}/admin/audit/auditevent/")
    assert "account.created" in browser.page_source and CANARY_KEY not in browser.page_source
    assert AuditEvent.objects.filter(event_type="account.created", door="admin", actor_label="ops").exists()
