"""The embedded default (no Redis) in a real browser: an order placed by a `run_mcp` subprocess appears
in the admin's open order list, and in its live panel, without a reload. The web process (daphne
serving tigermcp.asgi:application) and run_mcp share only the database, so the page follows the
database's change feed."""

import sys
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from mcp_bridge.tests.test_live_updates_across_processes import _staff_session

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

NO_REDIS = {"REDIS_URL": ""}  # blank is unset: in-process channel layer and cache, as in the embedded default


async def test_an_order_placed_through_run_mcp_appears_in_the_open_order_list_without_reload(world, http_server, browser):
    web = http_server(env=NO_REDIS, command=[sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}",
                                             "tigermcp.asgi:application"])
    base_url = f"http://127.0.0.1:{web.port}"
    cookie = _staff_session(world, base_url).split("=", 1)[1]
    browser.get(f"{base_url}/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": cookie, "path": "/"})
    browser.get(f"{base_url}/admin/trading/order/")
    WebDriverWait(browser, 20).until(lambda b: b.find_element(By.ID, "live-state").text == "(live)",
                                     f"the page never followed the feed; the web log:\n{web.output()}")
    assert browser.execute_script('return JSON.parse(document.getElementById("live-transport").textContent)') == "poll"
    browser.execute_script("window.notReloaded = true;")

    price = (world.sim.quote("AAPL").regular_latest * Decimal("0.95")).quantize(Decimal("0.01"))
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "7", "order_type": "LMT", "limit_price": str(price)}
    async with world.stdio("--client", "trader", env=NO_REDIS) as mcp:
        preview = (await mcp.call_tool("preview_order", order)).structured_content
        placed = await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]})
    assert placed.structured_content["status"] == "SUBMITTED", placed.content[0].text
    order_id = int(placed.structured_content["order"]["order_ref"])

    link = f'#result_list a[href$="/trading/order/{order_id}/change/"]'
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, link),
                                     f"order {order_id} never appeared in the list; the web log:\n{web.output()}")
    row = browser.find_element(By.CSS_SELECTOR, link).find_element(By.XPATH, "./ancestor::tr")
    summary = f"BUY 7 AAPL LMT @ {price:,.2f} USD"
    WebDriverWait(browser, 10).until(lambda b: row.find_element(By.CSS_SELECTOR, ".field-status").text == "Submitted")
    assert row.find_element(By.CSS_SELECTOR, ".field-order_summary").text == summary
    assert browser.execute_script("return window.notReloaded === true")  # the same page, never reloaded
    panel = browser.find_element(By.ID, "live-rows").text
    assert f"#{order_id}" in panel and summary in panel and "Submitted" in panel  # the panel agrees with the table
