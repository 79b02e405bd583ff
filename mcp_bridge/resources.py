"""Order resources: what an assistant subscribes to for order events (mcp_bridge.events), and reads
again when told a resource changed. Both show TigerMCP's own record of the order (the state its
last committed transition left), as JSON."""

from __future__ import annotations

import json

from core.errors import ApplicationError
from mcp_bridge.context import current_actor, run_service
from mcp_bridge.events import ACCOUNT_ORDERS_URI, ORDER_URI, refused

# An account's order resource lists its most recent orders, newest first.
ACCOUNT_ORDERS_LIMIT = 50


def _order_json(actor, order_id: int) -> str:
    from mcp_bridge.shapes import our_order_out
    from trading.selectors import order_readable_get

    order = order_readable_get(actor=actor, order_id=order_id)
    return our_order_out(order).model_dump_json(indent=1)


def _account_orders_json(actor, account: str) -> str:
    from mcp_bridge.shapes import our_order_out
    from trading.selectors import orders_list

    rows = orders_list(actor=actor, account_number=account, limit=ACCOUNT_ORDERS_LIMIT)
    return json.dumps({"account": account, "orders": [our_order_out(o).model_dump(mode="json") for o in rows]}, indent=1)


async def _read(fn, *args) -> str:
    try:
        return await run_service(fn, current_actor(), *args)
    except ApplicationError as exc:
        raise refused(exc) from None


async def order_resource(order_id: str) -> str:
    """One of your orders as TigerMCP recorded it (status, fills, prices), as JSON. Subscribe to it
    to be told at each change of its status."""
    if not order_id.isdigit():
        from core.errors import InvalidInput

        raise refused(InvalidInput(f"Order ids are numbers (order_ref); got {order_id[:32]!r}.", code="bad_order_id"))
    return await _read(_order_json, int(order_id))


async def account_orders_resource(account: str) -> str:
    """The 50 most recent orders TigerMCP placed in one of your accounts, newest first, as JSON.
    Subscribe to it to be told whenever one of them changes status."""
    return await _read(_account_orders_json, account)


def register(server) -> None:
    server.resource(ORDER_URI, name="order", title="An order", mime_type="application/json")(order_resource)
    server.resource(ACCOUNT_ORDERS_URI, name="account_orders", title="An account's orders",
                    mime_type="application/json")(account_orders_resource)
