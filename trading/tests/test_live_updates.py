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
from accounts.models import TigerAccount
from accounts.tests.factories import make_account
from tigermcp.asgi import application
from trading.models import OrderStatus
from trading.tests.factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(*, staff: bool, superuser: bool = False, perms=(), grants=()) -> bytes:
    from django.contrib.auth.models import Permission

    from accounts.models import Scope
    from accounts.services import grant_set

    make = get_user_model().objects.create_superuser if superuser else get_user_model().objects.create_user
    user = make("watcher", password="pw-watch-123456", is_staff=staff)
    user.user_permissions.set(Permission.objects.filter(codename__in=perms))
    for account in grants:
        grant_set(actor=Actor.system("cli"), account=account, scope=Scope.READ, user=user)
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def communicator(cookie: bytes | None, origin: bytes = b"http://testserver"):
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/orders/", headers=headers)


def test_a_superuser_sees_each_committed_transition():
    async def scenario():
        await sync_to_async(make_account)()
        cookie = await sync_to_async(session_cookie)(staff=True, superuser=True)
        ws = communicator(cookie)
        connected, _ = await ws.connect()
        assert connected

        def transition():
            order = make_order(account=TigerAccount.objects.get())
            order.set_status(OrderStatus.SUBMITTED, actor=Actor.system("task"))
            return order

        order = await sync_to_async(transition)()
        update = await ws.receive_json_from(timeout=5)
        assert update["order_id"] == order.pk and update["status"] == "SUBMITTED"
        assert Decimal(update["quantity"]) == order.quantity and update["currency"] == order.currency
        await ws.disconnect()

    asyncio.run(scenario())


def test_staff_get_only_the_accounts_they_may_read():
    """A staff user with the permission to view orders and a grant on A: B's orders never reach them."""

    async def scenario():
        a, b = await sync_to_async(make_account)(), await sync_to_async(make_account)()
        cookie = await sync_to_async(session_cookie)(staff=True, perms=["view_order"], grants=[a])
        ws = communicator(cookie)
        connected, _ = await ws.connect()
        assert connected

        def transitions():
            made = []
            for account in (b, a):  # B's first: were it delivered, it would arrive first
                order = make_order(account=account)
                order.set_status(OrderStatus.SUBMITTED, actor=Actor.system("task"))
                made.append(order)
            return made

        on_b, on_a = await sync_to_async(transitions)()
        update = await ws.receive_json_from(timeout=5)
        assert update["order_id"] == on_a.pk and update["account_number"] == a.account_number
        await ws.disconnect()

    asyncio.run(scenario())


@pytest.mark.parametrize("perms", [(), ("view_order",)])
def test_staff_without_the_permission_or_any_grant_get_nothing(perms):
    """No permission: refused. The permission but no grant: connected to no account's feed."""

    async def scenario():
        account = await sync_to_async(make_account)()
        cookie = await sync_to_async(session_cookie)(staff=True, perms=perms)
        ws = communicator(cookie)
        connected, _ = await ws.connect()
        assert connected is bool(perms)
        if not connected:
            return

        def transition():
            order = make_order(account=account)
            order.set_status(OrderStatus.SUBMITTED, actor=Actor.system("task"))

        await sync_to_async(transition)()
        # Published synchronously before this line; a subscribed socket would have it at once.
        assert await ws.receive_nothing(timeout=1)
        await ws.disconnect()

    asyncio.run(scenario())


@pytest.mark.parametrize("who", ["anonymous", "not_staff", "foreign_origin"])
def test_others_are_refused(who):
    async def scenario():
        cookie = None if who == "anonymous" else await sync_to_async(session_cookie)(staff=who == "foreign_origin")
        origin = b"http://evil.example" if who == "foreign_origin" else b"http://testserver"
        ws = communicator(cookie, origin)
        connected, _ = await ws.connect()
        assert connected is False
        # As a browser's socket closes: the application ends here, instead of being cancelled by
        # asyncio.run's shutdown (which once hung CI for 300 s with a database call in flight).
        await ws.disconnect()

    asyncio.run(scenario())


def test_without_redis_an_update_no_socket_of_this_process_listens_to_is_not_read(settings):
    # The in-process layer reaches only this process's sockets (run_mcp and Celery have none): the
    # order is read for an update only when one of them listens to its account.
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trading.live import account_group, order_update_publish

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    account = make_account()
    order = make_order(account=account)
    layer = get_channel_layer()
    with CaptureQueriesContext(connection) as unheard:
        order_update_publish(order.pk, account_id=account.pk)
    assert unheard.captured_queries == []

    async def listen():
        channel = await layer.new_channel()
        await layer.group_add(account_group(account.pk), channel)
        return channel

    channel = async_to_sync(listen)()
    with CaptureQueriesContext(connection) as heard:
        order_update_publish(order.pk, account_id=account.pk)
    assert len(heard.captured_queries) == 1
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "order.update" and message["order"]["order_id"] == order.pk
