"""OCA (one-cancels-all) groups: an order and one or more others on the same stock and side, all
working at once at Tiger (its oca_order); the first to fill cancels the rest. Pure: no database, no
network.

The group is the order as given (its order_type, limit_price, stop_price, quantity) plus
`oca_orders`, each {"order_type", "limit_price", "stop_price", "quantity"} (quantity defaults to the
first order's). Every order is LMT, STP or STP_LMT (Tiger's OCA orders), DAY or GTC, on a stock.
"""

from dataclasses import replace
from decimal import Decimal

from broker.types import OcaOrder, OrderIntent
from core.errors import InvalidInput

OCA_ORDER_TYPES = ("LMT", "STP", "STP_LMT")
OCA_TIFS = ("DAY", "GTC")
MAX_OCA_ORDERS = 9  # others beside the first: ten orders in a group at most
OCA_EXAMPLE = ('e.g. {"order_type":"LMT","limit_price":"195"} beside a STP first order, or '
               '{"order_type":"STP","stop_price":"170","quantity":"5"}')
OCA_SHAPE = ("oca_orders must be a list of 1 to {most} orders, each an object with order_type (LMT, STP or STP_LMT), "
             "its limit_price and/or stop_price and optionally quantity, " + OCA_EXAMPLE + " (got {got}).")
OCA_STOCKS = "An OCA group is for stocks (US or HK); {what} cannot be part of one. Place it as its own order."
OCA_FIRST_TYPE = ("Every order of an OCA group is LMT, STP or STP_LMT (Tiger's OCA orders); the first order is {value}. "
                  "Use one of those.")
OCA_TIF = "An OCA group lives DAY or GTC (got {value}); use one of them."
OCA_ORDER_TYPE = "oca_orders[{index}].order_type must be LMT, STP or STP_LMT (got {value!r})."
OCA_NEEDS_LIMIT = "oca_orders[{index}] is a {order_type} order: it needs limit_price, e.g. \"195\"."
OCA_NEEDS_STOP = "oca_orders[{index}] is a {order_type} order: it needs stop_price, e.g. \"170\"."
OCA_NO_LIMIT = "oca_orders[{index}] is a STP order: remove its limit_price, or make it STP_LMT."
OCA_NO_STOP = "oca_orders[{index}] is a LMT order: remove its stop_price, or make it STP_LMT."
OCA_UNKNOWN_KEY = ("oca_orders[{index}] has {keys}: each order of the group trades the first order's symbol and side; "
                   "give only order_type, limit_price, stop_price and quantity.")
OCA_SAME_ORDER = "oca_orders[{index}] is the same order as {other}: an OCA group's orders differ in type or price."
KEYS = {"order_type", "limit_price", "stop_price", "quantity"}


def oca_normalise(intent: OrderIntent, oca_orders, *, decimal) -> OrderIntent:
    """`intent` as an OCA group with `oca_orders`, or InvalidInput saying how to fix it.
    `decimal(field, value, required=)` is trading.intents' positive-decimal parser."""
    if isinstance(oca_orders, dict) or not isinstance(oca_orders, (list, tuple)) \
            or not 1 <= len(oca_orders) <= MAX_OCA_ORDERS:
        raise InvalidInput(OCA_SHAPE.format(most=MAX_OCA_ORDERS, got=str(oca_orders)[:60]), code="bad_oca")
    if intent.trading_session_type:
        raise InvalidInput(OCA_STOCKS.format(what="an overnight order"), code="bad_oca")
    if intent.sec_type != "STK" or intent.is_bracket or intent.is_amount or intent.is_fractional:
        what = ("an option" if intent.is_option else "a future" if intent.is_future else
                "a bracket (take_profit_price, stop_loss_price)" if intent.is_bracket else
                "an order by amount or a fractional quantity")
        raise InvalidInput(OCA_STOCKS.format(what=what), code="bad_oca")
    if intent.order_type not in OCA_ORDER_TYPES:
        raise InvalidInput(OCA_FIRST_TYPE.format(value=intent.order_type), code="bad_oca")
    if intent.time_in_force not in OCA_TIFS:
        raise InvalidInput(OCA_TIF.format(value=intent.time_in_force), code="bad_oca")
    others = tuple(_other(index, raw, decimal) for index, raw in enumerate(oca_orders))
    seen = {(intent.order_type, intent.limit_price, intent.stop_price, intent.quantity): "the first order"}
    for index, other in enumerate(others):
        key = (other.order_type, other.limit_price, other.stop_price, other.quantity or intent.quantity)
        if key in seen:
            raise InvalidInput(OCA_SAME_ORDER.format(index=index, other=seen[key]), code="bad_oca")
        seen[key] = f"oca_orders[{index}]"
    return replace(intent, oca=others)


def _other(index: int, raw, decimal) -> OcaOrder:
    if isinstance(raw, OcaOrder):
        raw = {"order_type": raw.order_type, "limit_price": raw.limit_price, "stop_price": raw.stop_price,
               "quantity": raw.quantity}
    if not isinstance(raw, dict):
        raise InvalidInput(OCA_SHAPE.format(most=MAX_OCA_ORDERS, got=str(raw)[:60]), code="bad_oca")
    extra = sorted(k for k, v in raw.items() if k not in KEYS and v not in (None, ""))
    if extra:
        raise InvalidInput(OCA_UNKNOWN_KEY.format(index=index, keys=", ".join(extra)), code="bad_oca")
    order_type = str(raw.get("order_type") or "").strip().upper()
    if order_type not in OCA_ORDER_TYPES:
        raise InvalidInput(OCA_ORDER_TYPE.format(index=index, value=raw.get("order_type")), code="bad_oca")
    limit = decimal(f"oca_orders[{index}].limit_price", raw.get("limit_price"), required=False)
    stop = decimal(f"oca_orders[{index}].stop_price", raw.get("stop_price"), required=False)
    if order_type in ("LMT", "STP_LMT") and limit is None:
        raise InvalidInput(OCA_NEEDS_LIMIT.format(index=index, order_type=order_type), code="bad_oca")
    if order_type in ("STP", "STP_LMT") and stop is None:
        raise InvalidInput(OCA_NEEDS_STOP.format(index=index, order_type=order_type), code="bad_oca")
    if order_type == "STP" and limit is not None:
        raise InvalidInput(OCA_NO_LIMIT.format(index=index), code="bad_oca")
    if order_type == "LMT" and stop is not None:
        raise InvalidInput(OCA_NO_STOP.format(index=index), code="bad_oca")
    quantity = decimal(f"oca_orders[{index}].quantity", raw.get("quantity"), required=False)
    if quantity is not None and quantity != quantity.to_integral_value():
        raise InvalidInput(f"oca_orders[{index}].quantity must be a whole number of shares (got {quantity}).",
                           code="bad_oca")
    return OcaOrder(order_type=order_type, limit_price=limit, stop_price=stop,
                    quantity=None if quantity is None else Decimal(quantity))
