"""Live order updates cross processes: an order placed through a run_mcp subprocess reaches the
admin's websocket on the web process (daphne serving tigermcp.asgi:application) through the Redis
channel layer, the way an operator watches an assistant trade."""

import json
import re
import subprocess
import sys
from decimal import Decimal

import anyio
import httpx2
import pytest
import websocket
from channels_redis.core import RedisChannelLayer

from mcp_bridge.tests.conftest import ROOT

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

PASSWORD = "watch-the-orders-8841"


def _staff_session(world, base_url: str) -> str:
    """Logs a superuser (who may watch every account's orders) in through the admin's own login page;
    returns the session cookie."""
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.contrib.auth import get_user_model; "
         f"get_user_model().objects.create_superuser('watcher', password={PASSWORD!r})"],
        cwd=ROOT, env=world.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with httpx2.Client(base_url=base_url, timeout=30) as http:
        form = http.get("/admin/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        login = http.post("/admin/login/?next=/admin/", data={
            "username": "watcher", "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/admin/"})
        assert login.status_code == 302 and login.headers["location"] == "/admin/", login.text[:500]
        return f"sessionid={http.cookies['sessionid']}"


async def test_an_order_placed_through_run_mcp_reaches_the_admins_websocket(world, http_server):
    # No pings (daphne sends one every 20 s): each would restart the client's 30 s wait for an update.
    web = http_server(command=[sys.executable, "-m", "daphne", "--ping-interval", "600", "-b", "127.0.0.1", "-p", "{port}",
                               "tigermcp.asgi:application"])
    base_url = f"http://127.0.0.1:{web.port}"
    ws = websocket.create_connection(f"ws://127.0.0.1:{web.port}/ws/orders/", cookie=_staff_session(world, base_url),
                                     origin=base_url, timeout=30)
    try:
        # An admin's page sits idle longer than the channel layer's blocking read for the next message
        # (the feed once died there: redis-py's 5 s socket timeout cut channels_redis' 5 s wait).
        await anyio.sleep(RedisChannelLayer.brpop_timeout + 1)
        price = (world.sim.quote("AAPL").regular_latest * Decimal("0.95")).quantize(Decimal("0.01"))
        order = {"symbol": "AAPL", "side": "BUY", "quantity": "3", "order_type": "LMT", "limit_price": str(price)}
        async with world.stdio("--client", "trader") as mcp:
            preview = (await mcp.call_tool("preview_order", order)).structured_content
            placed = (await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        assert placed.structured_content["status"] == "SUBMITTED", placed.content[0].text
        order_id = int(placed.structured_content["order"]["order_ref"])

        # The web process relays each committed transition of the order, in order, ending with SUBMITTED.
        seen = []
        while not seen or seen[-1]["status"] != "SUBMITTED":
            try:
                update = json.loads(ws.recv())  # at most 30 s each: a lost update fails here
            except (websocket.WebSocketException, OSError) as exc:
                pytest.fail(f"no update from the web process ({exc!r}); its log:\n{web.output()}")
            assert update["order_id"] == order_id, update
            seen.append(update)
    finally:
        ws.close()
    assert seen[-1]["account_number"] == world.accounts["paper_a"] and seen[-1]["symbol"] == "AAPL"
    assert Decimal(seen[-1]["quantity"]) == 3 and seen[-1]["currency"] == "USD"
