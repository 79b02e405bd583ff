"""The admin home in a real headless Chromium: charts drawn by the Chart.js the app serves itself,
headers wide enough to read, a long error wrapping instead of scrolling the page sideways."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from accounts.actors import Actor
from accounts.tests.test_admin_browser import login
from broker.client import broker_for
from broker.types import OrderIntent
from marketdata.models import AccountHealth, HealthStatus
from marketdata.services import portfolio_snapshot_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_ERROR = "Tiger rejected the request: " + "signature-mismatch-" * 20

# How many painted pixels each canvas has, and the narrowest header measured in widths of "abc"
# in that header's own font (a header one letter wide measures about 0.3).
PROBE = """
const painted = {};
for (const c of document.querySelectorAll('#tigermcp-dashboard canvas')) {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < data.length; i += 4) if (data[i]) n++;
  painted[c.id] = n;
}
let narrowest = null;
for (const h of document.querySelectorAll('#tigermcp-dashboard th, #tigermcp-dashboard h2, #tigermcp-dashboard h3, #tigermcp-dashboard h4, #tigermcp-dashboard dt')) {
  const probe = document.createElement('span');
  probe.textContent = 'abc'; probe.style.font = getComputedStyle(h).font; probe.style.position = 'absolute';
  document.body.appendChild(probe);
  const ratio = h.getBoundingClientRect().width / probe.getBoundingClientRect().width;
  probe.remove();
  if (narrowest === null || ratio < narrowest.ratio) narrowest = {text: h.textContent.trim(), ratio: ratio};
}
const doc = document.documentElement;
return {painted: painted, narrowest: narrowest, scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
        dashboardWidth: document.getElementById('tigermcp-dashboard').getBoundingClientRect().width,
        contentWidth: parseFloat(getComputedStyle(document.getElementById('content')).width),
        chart: typeof Chart};
"""


def test_home_draws_the_charts_and_keeps_headers_and_errors_readable(browser, live_server, sim, make_tiger_account, tmp_path):
    account = make_tiger_account(cash={"USD": Decimal("1128205.1282")})
    second = make_tiger_account(label="Second desk")
    broker_for(account).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(10), order_type="MKT"))
    broker_for(second).place_order(OrderIntent(symbol="MSFT", side="BUY", quantity=Decimal(3), order_type="MKT"))
    sim.match()
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    AccountHealth.objects.update_or_create(account=account, defaults={
        "status": HealthStatus.FAILING, "last_error": LONG_ERROR, "consecutive_failures": 3, "checked_at": timezone.now()})

    login(browser, live_server)
    for width in (1280, 1920):
        browser.set_window_size(width, 1000)
        browser.get(f"{live_server.url}/admin/")
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return typeof Chart") == "function")
        facts = browser.execute_script(PROBE)
        browser.save_screenshot(str(tmp_path / f"home-{width}.png"))

        assert facts["chart"] == "function"  # served by the app: the page loads nothing from elsewhere
        assert set(facts["painted"]) == {"chart-by-account", "chart-by-symbol", "chart-over-time"}
        assert all(n > 500 for n in facts["painted"].values()), (width, facts["painted"])
        assert facts["narrowest"]["ratio"] >= 1, (width, facts["narrowest"])  # at least ~3 characters wide
        assert facts["scrollWidth"] <= facts["clientWidth"], f"the page scrolls sideways at {width} px"
        assert facts["dashboardWidth"] >= 0.95 * facts["contentWidth"]  # the dashboard takes the full width
    page = browser.page_source
    assert LONG_ERROR in page
    total = browser.find_element(By.ID, "total-net-liquidation").text
    assert re.fullmatch(r"\d{1,3}(,\d{3})+\.\d\d USD", total), total
