"""Order events pushed to the assistant: MCP resource subscriptions on orders.

An assistant subscribes to `tigermcp://orders/{order_id}` or `tigermcp://accounts/{account}/orders`
(`subscriptions/listen` on the current protocol, `resources/subscribe` on the session-based one) and
gets `notifications/resources/updated` for that URI at each committed transition of the order, then
reads the resource (or calls get_order) for the new state.

The transitions come from the one place that announces them: trading.live publishes each committed
transition to its account's channel group. This process joins the groups of the accounts someone
here subscribed to (for as long as they are subscribed), on a channel of its own. With REDIS_URL the
channel layer is Redis, so a transition committed by any process (a Celery worker, the web process,
another run_mcp) reaches this one. The embedded default's in-memory layer carries only this
process's own transitions.

Subscribing needs read permission on the account: checked when the subscription is made, and each
subscription's identity is the caller's, so a revoked grant stops new subscriptions, not the
events of one already made (they only say "read again": the read itself is checked every time).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Iterable
from contextlib import asynccontextmanager

import mcp_types as types
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated

from accounts.actors import Actor
from core.errors import ApplicationError

logger = logging.getLogger(__name__)

ORDER_URI = "tigermcp://orders/{order_id}"
ACCOUNT_ORDERS_URI = "tigermcp://accounts/{account}/orders"
_ORDER = re.compile(r"tigermcp://orders/(\d{1,18})")
_ACCOUNT_ORDERS = re.compile(r"tigermcp://accounts/([^/]{1,64})/orders")
# Group memberships expire in the channel layer (a day in channels_redis); renewed well before.
GROUP_RENEW_SECONDS = 3600
RETRY_SECONDS = 2.0
LEGACY_SEND_TIMEOUT = 5.0


def order_uris(order: dict) -> list[str]:
    """The resources one order update changes (the order, and its account's order list)."""
    return [ORDER_URI.format(order_id=order["order_id"]),
            ACCOUNT_ORDERS_URI.format(account=order["account_number"])]


def subscription_accounts(*, actor: Actor, uris: Iterable[str]) -> set[int]:
    """The accounts (pks) whose order updates the given URIs follow, after checking that the actor
    may read each of them. Raises the read check's own NotFound (which lists the accounts the
    caller may use). URIs that are not order resources follow nothing."""
    from accounts.models import Scope
    from accounts.selectors import account_for_actor
    from trading.selectors import order_readable_get

    accounts = set()
    for uri in uris:
        if m := _ORDER.fullmatch(uri):
            accounts.add(order_readable_get(actor=actor, order_id=int(m.group(1))).account_id)
        elif m := _ACCOUNT_ORDERS.fullmatch(uri):
            accounts.add(account_for_actor(actor, m.group(1), scope=Scope.READ).pk)
    return accounts


def refused(exc: ApplicationError) -> MCPError:
    return MCPError(types.INVALID_PARAMS, f"{exc.message} (code: {exc.code})", data={"code": exc.code})


class OrderEvents(InMemorySubscriptionBus):
    """This process's subscription bus (the SDK's in-process fan-out to listen streams), fed from the
    channel layer's account groups, plus the sessions subscribed with `resources/subscribe`."""

    def __init__(self) -> None:
        super().__init__()
        self._watched: Counter[int] = Counter()
        self._channel: str | None = None
        self._pump: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        # resources/subscribe (session-based protocol): session → {URI: the accounts it follows}.
        self._legacy: dict[object, dict[str, set[int]]] = {}

    # -- group membership, counted per account while anyone here follows it --------------------------

    async def _layer(self):
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("No channel layer is configured (CHANNEL_LAYERS): order events cannot be followed.")
        if self._channel is None:
            self._channel = await layer.new_channel("mcp.events.")
        return layer

    async def watch(self, accounts: Iterable[int]) -> None:
        from trading.live import account_group

        async with self._lock:
            layer = await self._layer()
            for pk in accounts:
                if self._watched[pk] == 0:
                    await layer.group_add(account_group(pk), self._channel)
                self._watched[pk] += 1
            if self._pump is None or self._pump.done():
                self._pump = asyncio.ensure_future(self._run())

    async def unwatch(self, accounts: Iterable[int]) -> None:
        from trading.live import account_group

        async with self._lock:
            layer = await self._layer()
            for pk in accounts:
                self._watched[pk] -= 1
                if self._watched[pk] <= 0:
                    del self._watched[pk]
                    await layer.group_discard(account_group(pk), self._channel)

    @asynccontextmanager
    async def watching(self, accounts: set[int]):
        await self.watch(accounts)
        try:
            yield
        finally:
            await asyncio.shield(self.unwatch(accounts))

    # -- delivery ------------------------------------------------------------------------------------

    async def _run(self) -> None:
        from trading.live import account_group

        layer = await self._layer()
        renew_at = asyncio.get_running_loop().time() + GROUP_RENEW_SECONDS
        while True:
            try:
                if asyncio.get_running_loop().time() >= renew_at:
                    for pk in list(self._watched):
                        await layer.group_add(account_group(pk), self._channel)
                    renew_at += GROUP_RENEW_SECONDS
                try:
                    message = await asyncio.wait_for(layer.receive(self._channel), GROUP_RENEW_SECONDS)
                except asyncio.TimeoutError:
                    continue
                if message.get("type") == "order.update":
                    await self.deliver(order_uris(message["order"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # the layer (Redis) failed: keep following once it is back
                logger.warning("order events: channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)

    async def deliver(self, uris: list[str]) -> None:
        for uri in uris:
            await self.publish(ResourceUpdated(uri=uri))
        for session, subscribed in list(self._legacy.items()):
            for uri in uris:
                if uri not in subscribed:
                    continue
                try:
                    await asyncio.wait_for(session.send_resource_updated(uri), LEGACY_SEND_TIMEOUT)
                except Exception:  # the session is gone (or stuck): forget it and what it watched
                    logger.info("order events: dropping a resources/subscribe session that no longer answers")
                    await self._legacy_forget(session)
                    break

    # -- resources/subscribe (the session-based protocol) -------------------------------------------

    async def legacy_subscribe(self, session, uri: str, accounts: set[int]) -> None:
        """`session`: anything with `async send_resource_updated(uri)`, hashable (the SDK's stdio
        session, or an HttpSession below)."""
        subscribed = self._legacy.setdefault(session, {})
        if uri in subscribed:
            return
        subscribed[uri] = accounts
        await self.watch(accounts)

    async def legacy_unsubscribe(self, session, uri: str) -> None:
        accounts = self._legacy.get(session, {}).pop(uri, None)
        if accounts is not None:
            await self.unwatch(accounts)

    async def _legacy_forget(self, session) -> None:
        for accounts in self._legacy.pop(session, {}).values():
            await self.unwatch(accounts)


class HttpSession:
    """A handshake-era session over streamable HTTP (mcp_bridge.sessions): its requests are served
    one by one, possibly by other processes, and its notifications go to its GET stream wherever
    that is held, through the session store."""

    def __init__(self, session_id: str):
        self.session_id = session_id

    def __hash__(self) -> int:
        return hash(self.session_id)

    def __eq__(self, other) -> bool:
        return isinstance(other, HttpSession) and other.session_id == self.session_id

    async def send_resource_updated(self, uri: str) -> None:
        from mcp_bridge.sessions import session_publish, session_store

        if await session_store().get(self.session_id) is None:
            raise LookupError("the session has ended")
        await session_publish(self.session_id, {"jsonrpc": "2.0", "method": "notifications/resources/updated",
                                                "params": {"uri": uri}})
