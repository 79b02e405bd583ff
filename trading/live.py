"""Live order updates: each committed transition is pushed to its account's channel group
(`orders.account.<pk>`), which the admin's order list listens to over a websocket (trading.consumers
subscribes a user to the groups of the accounts they may read). With REDIS_URL the channel layer
is Redis and updates cross processes (an order placed through run_mcp shows in the browser); the
embedded default's in-process layer only carries the web process's own updates, so there the page
polls the database's change feed instead (trading.selectors.order_changes_since): live_transport()."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.dispatch import receiver

from trading.models import Order, order_status_committed
from trading.selectors import order_live_row

logger = logging.getLogger("tigermcp.trading.live")

GROUP = "orders"


@receiver(order_status_committed, dispatch_uid="trading.live.order_update_publish")
def _on_status_committed(sender, order_id: int, account_id: int | None = None, **kwargs) -> None:
    order_update_publish(order_id, account_id=account_id)


def account_group(account_id: int) -> str:
    return f"{GROUP}.account.{account_id}"


def order_update_publish(order_id: int, *, account_id: int | None = None) -> None:
    """Called on commit: a lost update only costs a refresh, never the transition itself.

    The in-process layer (no Redis) only reaches this process's own websockets: when none of them
    listens to the account's group, as in run_mcp and Celery, the update would go nowhere, so the order
    is not read for it (issue 16: the order path's own cost)."""
    layer = get_channel_layer()
    if layer is None:
        return
    if account_id is not None and isinstance(layer, InMemoryChannelLayer) \
            and not layer.groups.get(account_group(account_id)):
        return
    try:
        order = Order.objects.select_related("account").get(pk=order_id)
        async_to_sync(layer.group_send)(account_group(order.account_id), {"type": "order.update", "order": order_live_row(order)})
    except Exception:
        logger.warning("live update for order %s not published", order_id, exc_info=True)


def live_transport() -> str:
    """How the admin's order list follows changes: "websocket" when the channel layer crosses processes
    (Redis), else "poll" (the database's change feed, which every process writes)."""
    from django.conf import settings

    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    return "websocket" if "Redis" in backend else "poll"
