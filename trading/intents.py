"""Normalising the order a caller asks for (broker.types.OrderIntent), and its canonical hash.

The confirmation token is bound to this hash and the idempotency check compares it, so two spellings
of the same order ("aapl", 10.0) and ("AAPL", 10) hash alike and any real difference does not.
"""

import re
from dataclasses import asdict
from datetime import date, datetime, timezone as dt_timezone
from decimal import Decimal, InvalidOperation

from django.utils import timezone

# The order value type lives in the broker layer (one type from the door to Tiger); re-exported here
# where trading's callers have always found it.
from broker.types import OrderIntent, canonical_decimal, clean_symbol, currency_for, market_for

__all__ = ["OrderIntent", "canonical_decimal", "intent_with_changes", "normalise_intent"]
from trading.oca import oca_normalise
from trading.combos import (COMBO_NOT_HERE, COMBO_ORDER_TYPE, COMBO_ORDER_TYPES, COMBO_TIF, COMBO_TIFS, COMBO_WHOLE,
                            combo_legs_normalise, combo_price)
from trading.models import OptionRight, OrderType, SecType, Side, TimeInForce
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
WHOLE_SHARES = ("quantity must be a whole number of shares (got {value}); fractions are only for US stocks that "
                "support them.")
# Orders by amount and fractional quantities: Tiger's cash_amount and quantity_scale, for US stocks
# whose contract supports fractional shares. Tiger documents no further terms; ours are conservative:
# market orders, DAY, regular hours, no bracket; amounts in cents, quantities to 5 decimal places.
QUANTITY_OR_AMOUNT = ("Give either quantity (shares, e.g. \"10\") or amount (money in the instrument's currency, "
                      "e.g. \"500\" to buy 500 USD of it), not both.")
NEEDS_QUANTITY = ("quantity is required: the number of shares, e.g. \"10\"; or give amount instead, e.g. \"500\" "
                  "to buy 500 USD of a US stock.")
FRACTION_TERMS = ("{what} is for a US stock's MKT order, DAY, in regular hours, without take-profit or stop-loss "
                  "(got {got}); use order_type MKT, time_in_force DAY and outside_rth false, or a whole quantity.")
AMOUNT_US_STOCKS = ("amount is for US stocks that support fractional shares; give an option's or a Hong Kong "
                    "stock's quantity instead (contracts, or whole board lots).")
AMOUNT_CENTS = "amount has more than 2 decimal places ({value}); round it to cents."
FRACTION_PLACES = 5
TOO_FINE = "quantity has more than 5 decimal places ({value}); round it, e.g. to {rounded}."
NEEDS_TRAIL = ("A TRAIL (trailing stop) order needs exactly one of trailing_amount (e.g. \"2.50\", in the "
               "instrument's currency) or trailing_percent (e.g. \"5\" for 5 %).")
NO_TRAIL_HERE = "trailing_amount and trailing_percent are only for TRAIL orders; remove them or use order_type TRAIL."
BAD_PERCENT = "trailing_percent must be above 0 and below 100 (got {value})."
BAD_SEC_TYPE = "sec_type must be STK (a stock), OPT (an option) or FUT (a future) (got {value!r})."
WHOLE_CONTRACTS = "quantity must be a whole number of option contracts (got {value})."
NO_OPTION_FIELDS_HERE = ("identifier, expiry, strike, right and multiplier are only for options; use sec_type OPT "
                         "or remove them.")
OPTION_NEEDS_CONTRACT = ("An option order needs either identifier (e.g. \"AAPL  260116C00150000\") or all of "
                         "symbol (the underlying), expiry (e.g. \"2026-01-16\"), strike (e.g. \"150\") and right "
                         "(CALL or PUT). Call get_option_chain for the contracts you can trade.")
OPTION_TWO_WAYS = ("Give the option either by identifier or by expiry, strike and right, not both "
                   "(identifier {identifier!r} names {named}).")
BAD_OPTION_IDENTIFIER = ("'{value}' is not an option identifier: root, yymmdd, C or P, strike x 1000 in 8 digits, "
                         "e.g. \"AAPL  260116C00150000\". Call get_option_chain for the identifiers.")
IDENTIFIER_OTHER_SYMBOL = "identifier {identifier!r} is an option on {root}, not on symbol {symbol}; give one of them."
BAD_OPTION_EXPIRY = "expiry must be a date like \"2026-01-16\" (got {value!r}); call get_option_expirations for valid dates."
BAD_RIGHT = "right must be CALL or PUT (got {value!r})."
BAD_MULTIPLIER = "multiplier must be a whole number of shares per contract, e.g. \"100\" (got {value!r}); or leave it out."
WHOLE_FUTURES = "quantity must be a whole number of futures contracts (got {value})."
NO_OPTION_FIELDS_FOR_FUTURES = ("identifier, strike and right are for options; a future is named by its product (e.g. "
                                "\"ES\", its front contract) or its contract code (e.g. \"ES2612\") as symbol.")
NO_RTH_FOR_FUTURES = "outside_rth is not used for futures: they trade in their own (nearly 24-hour) sessions; remove it."
OPTION_ORDER_TYPES = ("MKT", "LMT")
OPTION_ORDER_TYPE = "Option orders are MKT or LMT (got {value}); use one of them."
NO_RTH_FOR_OPTIONS = "outside_rth is not offered for options: they trade in the regular session only."
BRACKET_NEEDS_LMT = ("take_profit_price and stop_loss_price attach to a limit entry only (Tiger's attached orders "
                     "need a LMT order); use order_type LMT with a limit_price (got {value}).")
BRACKET_NOT_OPTIONS = ("take_profit_price and stop_loss_price are for stock orders; an option's stop-loss would be a "
                       "stop order, which option orders do not offer.")
BRACKET_SIDE = ("{field} {price} must be {where} the limit_price {limit} of this {side} entry (the {leg} {verb}); "
                "give a {field} {where} {limit}.")
OCC = re.compile(r"^([A-Z][A-Z0-9.]{0,5})\s*(\d{6})([CP])(\d{8})$")


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


def _option_expiry(value) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for form in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise InvalidInput(BAD_OPTION_EXPIRY.format(value=value), code="bad_expiry")


def parse_option_identifier(identifier: str) -> tuple[str, date, Decimal, str]:
    """(underlying, expiry, strike, right) of a Tiger (OCC) option identifier; InvalidInput if it is not one."""
    match = OCC.match(" ".join(str(identifier or "").upper().split()))
    if match is None:
        raise InvalidInput(BAD_OPTION_IDENTIFIER.format(value=str(identifier)[:40]), code="bad_option_identifier")
    root, yymmdd, right, strike = match.groups()
    try:
        expiry = datetime.strptime(yymmdd, "%y%m%d").date()
    except ValueError:
        raise InvalidInput(BAD_OPTION_IDENTIFIER.format(value=str(identifier)[:40]), code="bad_option_identifier") from None
    return root, expiry, (Decimal(strike) / 1000).normalize(), "CALL" if right == "C" else "PUT"


def _option_contract(*, symbol, identifier, expiry, strike, right, multiplier) -> tuple:
    """(underlying, expiry, strike, right, multiplier) of an option order, from either spelling."""
    named = (expiry, strike, right)
    if identifier:
        root, expiry_n, strike_n, right_n = parse_option_identifier(identifier)
        if any(v not in (None, "") for v in named):
            raise InvalidInput(OPTION_TWO_WAYS.format(identifier=identifier, named=f"{root} {expiry_n} {strike_n} {right_n}"),
                               code="option_contract_twice")
        if symbol not in (None, "") and clean_symbol(symbol) != root:
            raise InvalidInput(IDENTIFIER_OTHER_SYMBOL.format(identifier=identifier, root=root, symbol=clean_symbol(symbol)),
                               code="option_contract_twice")
        symbol_n = clean_symbol(root)
    else:
        if any(v in (None, "") for v in (symbol, *named)):
            raise InvalidInput(OPTION_NEEDS_CONTRACT, code="option_contract_needed")
        symbol_n = clean_symbol(symbol)
        expiry_n = _option_expiry(expiry)
        strike_n = _decimal("strike", strike, required=True).normalize()
        right_n = {"C": "CALL", "P": "PUT"}.get(str(right).strip().upper(), str(right).strip().upper())
        if right_n not in OptionRight.values:
            raise InvalidInput(BAD_RIGHT.format(value=right), code="bad_right")
    return symbol_n, expiry_n, strike_n, right_n, _multiplier(multiplier)


def _multiplier(multiplier) -> Decimal | None:
    """A contract's multiplier as a caller states it (checked against the contract's own later)."""
    if multiplier in (None, ""):
        return None
    try:
        multiplier_n = Decimal(str(multiplier).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(BAD_MULTIPLIER.format(value=multiplier), code="bad_multiplier") from None
    if not multiplier_n.is_finite() or multiplier_n <= 0 or multiplier_n != multiplier_n.to_integral_value():
        raise InvalidInput(BAD_MULTIPLIER.format(value=multiplier), code="bad_multiplier")
    return multiplier_n.normalize()


def intent_with_changes(intent: OrderIntent, **changes) -> OrderIntent:
    """The same order with some fields changed, normalised again (a modification's new order)."""
    return normalise_intent(**{**asdict(intent), **changes})


def normalise_intent(*, account_number: str, symbol: str | None = None, side: str, quantity, order_type: str = "LMT",
                     limit_price=None, stop_price=None, time_in_force: str = "DAY", outside_rth: bool = False,
                     sec_type: str | None = None, market: str | None = None, currency: str | None = None,
                     trailing_amount=None, trailing_percent=None, expire_time=None, identifier: str | None = None,
                     expiry=None, strike=None, right: str | None = None, multiplier=None,
                     take_profit_price=None, stop_loss_price=None, amount=None, combo_type=None,
                     legs=None, oca_orders=None, oca=None, trading_session_type=None) -> OrderIntent:
    """market and currency default to the symbol's (five digits: HK/HKD, else US/USD), as every door
    must agree on them: they are part of the hash the confirmation token is bound to.
    An option (sec_type OPT, implied by its fields) is named by identifier, or by symbol (its
    underlying), expiry, strike and right; both spellings give the same intent (and hash).
    A bracket: a LMT entry with take_profit_price and/or stop_loss_price, on the profitable and
    the losing side of its limit price.
    An order by amount gives `amount` (money in the instrument's currency) instead of `quantity`;
    it, and a fractional quantity, are MKT DAY regular-hours orders of a US stock (whether the stock
    trades in fractions is its contract's to say: trading.services checks it).
    A combo (sec_type MLEG, implied by combo_type and legs): see trading.combos.
    An OCA group: the order and `oca_orders` (or `oca`, as OrderIntent holds them): see trading.oca."""
    oca_orders = oca_orders or oca or None
    if oca_orders is not None:
        single = normalise_intent(
            account_number=account_number, symbol=symbol, side=side, quantity=quantity, order_type=order_type,
            limit_price=limit_price, stop_price=stop_price, time_in_force=time_in_force, outside_rth=outside_rth,
            sec_type=sec_type, market=market, currency=currency, trailing_amount=trailing_amount,
            trailing_percent=trailing_percent, expire_time=expire_time, identifier=identifier, expiry=expiry,
            strike=strike, right=right, multiplier=multiplier, take_profit_price=take_profit_price,
            stop_loss_price=stop_loss_price, amount=amount, combo_type=combo_type, legs=legs,
            trading_session_type=trading_session_type)
        return oca_normalise(single, oca_orders, decimal=_decimal)
    if legs or combo_type not in (None, "") or (sec_type or "").strip().upper() == "MLEG":
        return _normalise_combo(
            account_number=account_number, symbol=symbol, side=side, quantity=quantity, order_type=order_type,
            limit_price=limit_price, time_in_force=time_in_force, combo_type=combo_type, legs=legs,
            multiplier=multiplier, market=market, currency=currency,
            others={"stop_price": stop_price, "trailing_amount": trailing_amount, "trailing_percent": trailing_percent,
                    "expire_time": expire_time, "identifier": identifier, "expiry": expiry, "strike": strike,
                    "right": right, "take_profit_price": take_profit_price, "stop_loss_price": stop_loss_price,
                    "amount": amount, "outside_rth": outside_rth or None,
                    "trading_session_type": trading_session_type})
    option_fields = any(v not in (None, "") for v in (identifier, expiry, strike, right, multiplier))
    sec_n = (sec_type or ("OPT" if option_fields else "STK")).strip().upper()
    if sec_n not in SecType.values:
        raise InvalidInput(BAD_SEC_TYPE.format(value=sec_type), code="bad_sec_type")
    expiry_n = strike_n = right_n = multiplier_n = None
    if sec_n == SecType.OPT:
        symbol_n, expiry_n, strike_n, right_n, multiplier_n = _option_contract(
            symbol=symbol, identifier=identifier, expiry=expiry, strike=strike, right=right, multiplier=multiplier)
    elif sec_n == SecType.FUT:
        # The product ("ES": its front contract) or a contract code ("ES2612"); the contract, its last
        # trading day (expiry) and multiplier are checked against Tiger's contract list by the service.
        if any(v not in (None, "") for v in (identifier, strike, right)):
            raise InvalidInput(NO_OPTION_FIELDS_FOR_FUTURES, code="bad_sec_type")
        symbol_n = clean_symbol(symbol)
        expiry_n = None if expiry in (None, "") else _option_expiry(expiry)
        multiplier_n = _multiplier(multiplier)
    else:
        if option_fields:
            raise InvalidInput(NO_OPTION_FIELDS_HERE, code="bad_sec_type")
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
    cash = _decimal("amount", amount, required=False)
    if cash is not None and quantity not in (None, ""):
        raise InvalidInput(QUANTITY_OR_AMOUNT, code="quantity_or_amount")
    if cash is None and quantity in (None, ""):
        raise InvalidInput(NEEDS_QUANTITY, code="quantity_or_amount")
    qty = None if cash is not None else _decimal("quantity", quantity, required=True)
    if cash is not None and cash != cash.quantize(Decimal("0.01")):
        raise InvalidInput(AMOUNT_CENTS.format(value=amount), code="bad_amount")
    fractional = cash is not None or qty != qty.to_integral_value()
    if fractional and (sec_n != SecType.STK or (market or market_for(symbol_n)).strip().upper() != "US"):
        if qty is None:
            raise InvalidInput(AMOUNT_US_STOCKS, code="not_fractional")
        raise InvalidInput({SecType.OPT: WHOLE_CONTRACTS, SecType.FUT: WHOLE_FUTURES}.get(sec_n, WHOLE_SHARES)
                           .format(value=quantity), code="not_fractional")
    if qty is not None and fractional and qty != qty.quantize(Decimal(1).scaleb(-FRACTION_PLACES)):
        raise InvalidInput(TOO_FINE.format(value=quantity, rounded=canonical_decimal(
            qty.quantize(Decimal(1).scaleb(-FRACTION_PLACES), rounding="ROUND_DOWN"))), code="not_fractional")
    if sec_n == SecType.OPT and type_n not in OPTION_ORDER_TYPES:
        raise InvalidInput(OPTION_ORDER_TYPE.format(value=type_n), code="bad_order_type")
    if sec_n == SecType.OPT and outside_rth:
        raise InvalidInput(NO_RTH_FOR_OPTIONS, code="bad_outside_rth")
    if sec_n == SecType.FUT and outside_rth:
        raise InvalidInput(NO_RTH_FOR_FUTURES, code="bad_outside_rth")
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
    expire_at = _expiry(expire_time)
    if tif_n == TimeInForce.GTD and expire_at is None:
        raise InvalidInput(NEEDS_EXPIRY)
    if tif_n != TimeInForce.GTD and expire_at is not None:
        raise InvalidInput(NO_EXPIRY_HERE)
    market_n = (market or market_for(symbol_n)).strip().upper()
    if outside_rth and market_n != "US":
        raise InvalidInput(NO_RTH_HERE.format(market=market_n))
    take_profit = _decimal("take_profit_price", take_profit_price, required=False)
    stop_loss = _decimal("stop_loss_price", stop_loss_price, required=False)
    _check_bracket(sec_n, type_n, side_n, limit, take_profit, stop_loss)
    if fractional and (type_n != OrderType.MKT or tif_n != TimeInForce.DAY or outside_rth
                       or take_profit is not None or stop_loss is not None):
        got = ", ".join(filter(None, (type_n, tif_n, "outside_rth" if outside_rth else "",
                                      "a bracket" if take_profit is not None or stop_loss is not None else "")))
        raise InvalidInput(FRACTION_TERMS.format(
            what="An order by amount" if cash is not None else f"A fractional quantity ({canonical_decimal(qty)})",
            got=got), code="fraction_terms")
    session = _trading_session(trading_session_type, sec_n=sec_n, market_n=market_n, type_n=type_n,
                               outside_rth=outside_rth, bracket=take_profit is not None or stop_loss is not None,
                               fractional=fractional)
    return OrderIntent(
        trading_session_type=session,
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
        expire_time=expire_at,
        expiry=expiry_n,
        strike=strike_n,
        right=right_n,
        multiplier=multiplier_n,
        take_profit_price=take_profit,
        stop_loss_price=stop_loss,
        amount=cash,
    )


def _normalise_combo(*, account_number, symbol, side, quantity, order_type, limit_price, time_in_force, combo_type,
                     legs, multiplier, market, currency, others: dict) -> OrderIntent:
    for field, value in others.items():
        if value not in (None, ""):
            raise InvalidInput(COMBO_NOT_HERE.format(field=field), code="bad_combo")
    combo, underlying, legs_n = combo_legs_normalise(
        combo_type, legs, symbol=None if symbol in (None, "") else clean_symbol(symbol), option_contract=_option_contract)
    side_n = (side or "").strip().upper()
    if side_n not in Side.values:
        raise InvalidInput(BAD_SIDE.format(value=side))
    type_n = (order_type or "").strip().upper()
    if type_n not in COMBO_ORDER_TYPES:
        raise InvalidInput(COMBO_ORDER_TYPE.format(value=type_n or order_type), code="bad_order_type")
    tif_n = (time_in_force or "DAY").strip().upper()
    if tif_n not in COMBO_TIFS:
        raise InvalidInput(COMBO_TIF.format(value=tif_n), code="bad_time_in_force")
    qty = _decimal("quantity", quantity, required=True)
    if qty != qty.to_integral_value():
        raise InvalidInput(COMBO_WHOLE.format(value=quantity), code="not_fractional")
    return OrderIntent(
        account_number=str(account_number).strip(), symbol=underlying, side=side_n, quantity=qty, order_type=type_n,
        limit_price=combo_price(limit_price, type_n), time_in_force=tif_n, sec_type="MLEG",
        market=(market or market_for(underlying)).strip().upper(),
        currency=(currency or currency_for(underlying)).strip().upper(), multiplier=_multiplier(multiplier),
        combo_type=combo, legs=legs_n)


OVERNIGHT = "OVERNIGHT"
BAD_SESSION = ("trading_session_type must be \"OVERNIGHT\" (the US overnight session, 20:00 to 04:00 New York time) "
               "or left out for the regular session (got {value!r}).")
OVERNIGHT_TERMS = ("The overnight session takes a US stock's LMT order (got {got}); use order_type LMT with a "
                   "limit_price on a US stock, without outside_rth, take-profit or stop-loss, or leave "
                   "trading_session_type out.")


def _trading_session(value, *, sec_n, market_n, type_n, outside_rth, bracket, fractional) -> str | None:
    """Tiger's trading_session_type: OVERNIGHT, for a US stock's whole-share LMT order, or None."""
    if value in (None, "") or str(value).strip().upper() == "RTH":
        return None
    session = str(value).strip().upper()
    if session != OVERNIGHT:
        raise InvalidInput(BAD_SESSION.format(value=value), code="bad_trading_session")
    wrong = [what for what, bad in ((f"sec_type {sec_n}", sec_n != SecType.STK), (f"market {market_n}", market_n != "US"),
                                    (f"order_type {type_n}", type_n != OrderType.LMT), ("outside_rth", bool(outside_rth)),
                                    ("a bracket", bracket), ("a fractional quantity or amount", fractional)) if bad]
    if wrong:
        raise InvalidInput(OVERNIGHT_TERMS.format(got=", ".join(wrong)), code="bad_trading_session")
    return session


def _check_bracket(sec_type, order_type, side, limit, take_profit, stop_loss) -> None:
    """A bracket's legs: on a limit stock entry, the take-profit on the profitable side of the limit
    price (above for a BUY, below for a SELL), the stop-loss on the other."""
    if take_profit is None and stop_loss is None:
        return
    if sec_type != SecType.STK:
        raise InvalidInput(BRACKET_NOT_OPTIONS, code="bad_bracket")
    if order_type != OrderType.LMT:
        raise InvalidInput(BRACKET_NEEDS_LMT.format(value=order_type), code="bad_bracket")
    buy = side == Side.BUY
    for field, price, profit in (("take_profit_price", take_profit, True), ("stop_loss_price", stop_loss, False)):
        if price is None:
            continue
        above = profit == buy
        if (price <= limit) if above else (price >= limit):
            raise InvalidInput(BRACKET_SIDE.format(
                field=field, price=canonical_decimal(price), where="above" if above else "below",
                limit=canonical_decimal(limit), side=side, leg="take-profit" if profit else "stop-loss",
                verb="sells higher" if buy and profit else "sells lower" if buy else
                "buys back lower" if profit else "buys back higher"), code="bad_bracket")


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
