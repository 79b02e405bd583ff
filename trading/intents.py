"""Normalising the order a caller asks for (broker.types.OrderIntent), and its canonical hash.

The confirmation token is bound to this hash and the idempotency check compares it, so two spellings
of the same order ("aapl", 10.0) and ("AAPL", 10) hash alike and any real difference does not.
"""

from dataclasses import asdict
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal, InvalidOperation

from django.utils import timezone

# The order value type lives in the broker layer (one type from the door to Tiger); re-exported here
# where trading's callers have always found it.
from broker.types import OrderIntent, canonical_decimal, clean_symbol, currency_for, market_for

__all__ = ["OrderIntent", "canonical_decimal", "intent_with_changes", "normalise_intent"]
from trading.models import OrderType, Side, TimeInForce
from core.errors import InvalidInput

BAD_SIDE = "side must be BUY or SELL (got {value!r})."
BAD_ORDER_TYPE = "order_type must be one of MKT, LMT, STP, STP_LMT, TRAIL (got {value!r})."
BAD_TIF = "time_in_force must be DAY, GTC or GTD (got {value!r})."
NEEDS_EXPIRY = ("A GTD order needs expire_time: when it should be cancelled, ISO 8601 with a zone, "
                "e.g. \"2026-12-31T21:00:00Z\".")
NO_EXPIRY_HERE = "expire_time is only for GTD orders; remove it or use time_in_force GTD."
BAD_EXPIRY = ("expire_time must be an ISO 8601 time with a zone, e.g. \"2026-12-31T21:00:00Z\" "
              "(got {value!r}).")
PAST_EXPIRY = "expire_time {value} is in the past; give a later time."
NO_RTH_HERE = "outside_rth is only offered for US stocks; Tiger has no extended hours for {market}."
BAD_DECIMAL = "{field} must be a positive decimal number given as a string or integer, e.g. \"10\" or \"187.25\" (got {value!r})."
TOO_PRECISE = "{field} has more than 6 decimal places ({value}); round it."
NEEDS_LIMIT = "A {order_type} order needs limit_price; give one or use order_type MKT."
NEEDS_STOP = "A {order_type} order needs stop_price."
NO_LIMIT_HERE = "limit_price is only for LMT and STP_LMT orders; remove it or change order_type."
NO_STOP_HERE = "stop_price is only for STP and STP_LMT orders; remove it or change order_type."
WHOLE_SHARES = "quantity must be a whole number of shares (got {value}); fractional orders are not supported."
NEEDS_TRAIL = ("A TRAIL (trailing stop) order needs exactly one of trailing_amount (e.g. \"2.50\", in the "
               "instrument's currency) or trailing_percent (e.g. \"5\" for 5 %).")
NO_TRAIL_HERE = "trailing_amount and trailing_percent are only for TRAIL orders; remove them or use order_type TRAIL."
BAD_PERCENT = "trailing_percent must be above 0 and below 100 (got {value})."
ONLY_STOCKS = "Only stock orders (sec_type STK) are supported (got {value!r})."


def _decimal(field: str, value, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(BAD_DECIMAL.format(field=field, value=value))
        return None
    if isinstance(value, float):
        # Floats carry binary noise (0.1 + 0.2): accept only what round-trips through its repr.
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(BAD_DECIMAL.format(field=field, value=value)) from None
    if not number.is_finite() or number <= 0:
        raise InvalidInput(BAD_DECIMAL.format(field=field, value=value))
    if number.as_tuple().exponent < -6 and number != number.quantize(Decimal("0.000001")):
        raise InvalidInput(TOO_PRECISE.format(field=field, value=value))
    return number


def intent_with_changes(intent: OrderIntent, **changes) -> OrderIntent:
    """The same order with some fields changed, normalised again (a modification's new order)."""
    return normalise_intent(**{**asdict(intent), **changes})


def normalise_intent(*, account_number: str, symbol: str, side: str, quantity, order_type: str = "LMT",
                     limit_price=None, stop_price=None, time_in_force: str = "DAY", outside_rth: bool = False,
                     sec_type: str = "STK", market: str | None = None, currency: str | None = None,
                     trailing_amount=None, trailing_percent=None, expire_time=None) -> OrderIntent:
    """market and currency default to the symbol's (five digits: HK/HKD, else US/USD), as every door
    must agree on them: they are part of the hash the confirmation token is bound to."""
    symbol_n = clean_symbol(symbol)
    side_n = (side or "").strip().upper()
    if side_n not in Side.values:
        raise InvalidInput(BAD_SIDE.format(value=side))
    type_n = (order_type or "").strip().upper()
    if type_n not in OrderType.values:
        raise InvalidInput(BAD_ORDER_TYPE.format(value=order_type))
    tif_n = (time_in_force or "DAY").strip().upper()
    if tif_n not in TimeInForce.values:
        raise InvalidInput(BAD_TIF.format(value=time_in_force))
    sec_n = (sec_type or "STK").strip().upper()
    if sec_n != "STK":
        raise InvalidInput(ONLY_STOCKS.format(value=sec_type))
    qty = _decimal("quantity", quantity, required=True)
    if qty != qty.to_integral_value():
        raise InvalidInput(WHOLE_SHARES.format(value=quantity))
    limit = _decimal("limit_price", limit_price, required=False)
    stop = _decimal("stop_price", stop_price, required=False)
    if type_n in (OrderType.LMT, OrderType.STP_LMT) and limit is None:
        raise InvalidInput(NEEDS_LIMIT.format(order_type=type_n))
    if type_n in (OrderType.STP, OrderType.STP_LMT) and stop is None:
        raise InvalidInput(NEEDS_STOP.format(order_type=type_n))
    if type_n in (OrderType.MKT, OrderType.STP, OrderType.TRAIL) and limit is not None:
        raise InvalidInput(NO_LIMIT_HERE)
    if type_n in (OrderType.MKT, OrderType.LMT, OrderType.TRAIL) and stop is not None:
        raise InvalidInput(NO_STOP_HERE)
    amount = _decimal("trailing_amount", trailing_amount, required=False)
    percent = _decimal("trailing_percent", trailing_percent, required=False)
    if type_n == OrderType.TRAIL and (amount is None) == (percent is None):
        raise InvalidInput(NEEDS_TRAIL)
    if type_n != OrderType.TRAIL and (amount is not None or percent is not None):
        raise InvalidInput(NO_TRAIL_HERE)
    if percent is not None and percent >= 100:
        raise InvalidInput(BAD_PERCENT.format(value=trailing_percent))
    expiry = _expiry(expire_time)
    if tif_n == TimeInForce.GTD and expiry is None:
        raise InvalidInput(NEEDS_EXPIRY)
    if tif_n != TimeInForce.GTD and expiry is not None:
        raise InvalidInput(NO_EXPIRY_HERE)
    market_n = (market or market_for(symbol_n)).strip().upper()
    if outside_rth and market_n != "US":
        raise InvalidInput(NO_RTH_HERE.format(market=market_n))
    return OrderIntent(
        account_number=str(account_number).strip(),
        symbol=symbol_n,
        side=side_n,
        quantity=qty,
        order_type=type_n,
        limit_price=limit,
        stop_price=stop,
        time_in_force=tif_n,
        outside_rth=bool(outside_rth),
        sec_type=sec_n,
        market=market_n,
        currency=(currency or currency_for(symbol_n)).strip().upper(),
        trailing_amount=amount,
        trailing_percent=percent,
        expire_time=expiry,
    )


def _expiry(value) -> datetime | None:
    """Aware UTC, in the future; a time without a zone is refused rather than guessed."""
    if value is None or value == "":
        return None
    raw = value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(BAD_EXPIRY.format(value=value[:40])) from None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(BAD_EXPIRY.format(value=str(raw)[:40]))
    value = value.astimezone(dt_timezone.utc).replace(microsecond=0)
    if value <= timezone.now():
        raise InvalidInput(PAST_EXPIRY.format(value=value.isoformat()))
    return value
