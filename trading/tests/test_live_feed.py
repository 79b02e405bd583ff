"""The admin order list's change feed from the database: what the page polls when no channel layer
crosses processes (the embedded default), with the same texts as the list's own columns."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import grant_set
from trading.live import live_transport
from trading.selectors import order_changes_cursor, order_changes_since

pytestmark = pytest.mark.django_db

FEED = "/admin/trading/order/changes/"


@pytest.fixture
def watcher(client, account, system_actor):
    user = get_user_model().objects.create_superuser("watch", password="pw-watch-123456")
    client.force_login(user)
    return client


def test_the_feed_gives_each_changed_order_once_as_it_stands_then_nothing(watcher, place, account, make_tiger_account):
    cursor = order_changes_cursor()
    order = place(quantity="3", order_type="LMT", limit_price="1.5")
    feed = json.loads(watcher.get(FEED, {"after": cursor}).content)
    assert [o["order_id"] for o in feed["orders"]] == [order.pk] and feed["cursor"] > cursor
    row = feed["orders"][0]
    assert (row["summary"], row["status_display"], row["filled"], row["status"]) == (
        "BUY 3 AAPL LMT @ 1.50 USD", order.get_status_display(), "0", "SUBMITTED")
    # The list shows the same texts in its columns.
    page = watcher.get("/admin/trading/order/").content.decode()
    assert f'field-order_summary">{row["summary"]}<' in page and f'field-status">{row["status_display"]}<' in page
    assert json.loads(watcher.get(FEED, {"after": feed["cursor"]}).content) == {"cursor": feed["cursor"], "orders": []}
    assert watcher.get(FEED, {"after": "x"}).status_code == 400

    # Someone who may read only another account sees none of these changes.
    stranger = get_user_model().objects.create_user("other", password="pw-other-123456", is_staff=True)
    grant_set(actor=Actor.system("cli", "test"), account=make_tiger_account(), scope=Scope.READ, user=stranger)
    assert order_changes_since(actor=Actor.for_user(stranger), cursor=cursor)["orders"] == []


def test_the_feed_reads_in_constant_queries(place, system_actor):
    user = get_user_model().objects.create_superuser("count", password="pw-count-123456")
    actor = Actor.for_user(user)

    sizes = iter(range(1, 100))  # a new quantity each time: the duplicate-order rule stays quiet

    def queries(n: int) -> int:
        cursor = order_changes_cursor()
        for _ in range(n):
            place(quantity=str(next(sizes)), order_type="LMT", limit_price="1.5")
        with CaptureQueriesContext(connection) as captured:
            assert len(order_changes_since(actor=actor, cursor=cursor)["orders"]) == n
        return len(captured)

    assert queries(1) == queries(4)


def test_the_list_page_polls_without_redis_and_listens_with_it(watcher, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert live_transport() == "poll"
    page = watcher.get("/admin/trading/order/").content.decode()
    assert re.search(r'<script id="live-transport" type="application/json">"poll"</script>', page)
    assert re.search(r'<script id="live-cursor" type="application/json">\d+</script>', page)
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
    assert live_transport() == "websocket"
