"""Order transitions reach the admin's websocket, through the whole ASGI application."""

import asyncio
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async as sync_to_async  # closes its DB connections
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.actors import Actor
from accounts.tests.factories import make_account
from tigermcp.asgi import application
from trading.models import OrderStatus
from trading.tests.factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(*, staff: bool) -> bytes:
    user = get_user_model().objects.create_user("watcher", password="pw-watch-123456", is_staff=staff)
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def communicator(cookie: bytes | None, origin: bytes = b"http://testserver"):
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/orders/", headers=headers)


def test_staff_sees_each_committed_transition():
    async def scenario():
        cookie = await sync_to_async(session_cookie)(staff=True)
        ws = communicator(cookie)
        connected, _ = await ws.connect()
        assert connected

        def transition():
            order = make_order(account=make_account())
            order.set_status(OrderStatus.SUBMITTED, actor=Actor.system("task"))
            return order

        order = await sync_to_async(transition)()
        update = await ws.receive_json_from(timeout=5)
        assert update["order_id"] == order.pk and update["status"] == "SUBMITTED"
        assert Decimal(update["quantity"]) == order.quantity and update["currency"] == order.currency
        await ws.disconnect()

    asyncio.run(scenario())


@pytest.mark.parametrize("who", ["anonymous", "not_staff", "foreign_origin"])
def test_others_are_refused(who):
    async def scenario():
        cookie = None if who == "anonymous" else await sync_to_async(session_cookie)(staff=who == "foreign_origin")
        origin = b"http://evil.example" if who == "foreign_origin" else b"http://testserver"
        connected, _ = await communicator(cookie, origin).connect()
        assert connected is False

    asyncio.run(scenario())
