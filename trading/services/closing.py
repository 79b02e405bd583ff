"""Closing a position (a stock, an option or a future): the order that takes all or part of it off
(SELL a long, BUY back a short), previewed by order_preview and placed by order_place with its token
like any order. Being no larger than the position, it is risk-reducing, so the kill switch and
"closing only" let it through (trading.risk.evaluate decides that from the position it reads under
the lock, not from here).

One position per close: a held option spread is closed leg by leg here, or as one combo order (its legs
as bought, side SELL) through order_preview, which trading.risk also counts as risk-reducing when every
leg takes off a held leg. A two-leg close here would need combo_order's confirmation, not place_order's,
and would repeat the combo's own normalisation."""

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from accounts.actors import Actor
from accounts.models import Scope
from accounts.selectors import account_route
from broker.client import broker_for
from broker.types import Position, clean_symbol
from core.errors import InvalidInput, NotFound
from trading.services.confirmations import OrderPreview
from trading.services.orders import order_preview

NO_POSITION = ("Account {account} holds no {what}. Call get_positions (REST: GET /api/accounts/{account}/positions/) "
               "to see what it holds.")
TOO_MUCH = ("Account {account} holds {held} of {what}: close at most {held}, or leave quantity out to close it all "
            "(you asked for {quantity}).")
BAD_QUANTITY = "quantity must be a positive number, or left out to close the whole position (you sent {quantity!r})."
NAME_ONE = ("Name the position to close: a symbol (e.g. AAPL, 00700), a futures contract (e.g. ES2612, or its product ES "
            "when one month is held) or an option's identifier (e.g. 'AAPL  260320C00190000').")
WHICH_MONTH = ("Account {account} holds {product} futures in more than one month ({codes}): name the contract to close, "
               "e.g. symbol {first}.")


def _held(account, symbol: str | None, identifier: str | None) -> Position:
    """The position, read from Tiger now: one stock (summed over its rows), one futures contract (when
    no shares of that symbol are held) or one option contract."""
    client = broker_for(account)
    if identifier:
        wanted = " ".join(identifier.upper().split())
        rows = [p for p in client.positions(sec_type="OPT") if " ".join((p.identifier or "").split()) == wanted]
        what = f"option {identifier.strip()}"
    else:
        wanted = clean_symbol(symbol)
        rows = [p for p in client.positions() if p.symbol.upper() == wanted and p.sec_type in ("STK", "", None)]
        what = f"shares of {wanted}"
        if not rows:
            rows = _futures_held(account, client, wanted)
    total = sum((p.quantity for p in rows), Decimal(0))
    if not rows or total == 0:
        raise NotFound(NO_POSITION.format(account=account.account_number, what=what), code="no_position")
    return replace(rows[0], quantity=total)


def _futures_held(account, client, wanted: str) -> list[Position]:
    """The futures position a symbol names: its contract's code (ES2612), or its product (ES) when the
    account holds one month of it."""
    rows = [p for p in client.positions(sec_type="FUT") if p.quantity]
    exact = [p for p in rows if p.symbol.upper() == wanted]
    if exact:
        return exact
    months = sorted({p.symbol.upper() for p in rows if _product_of(p.symbol.upper()) == wanted})
    if len(months) > 1:
        raise InvalidInput(WHICH_MONTH.format(account=account.account_number, product=wanted, codes=", ".join(months),
                                              first=months[0]), code="which_month")
    return [p for p in rows if p.symbol.upper() in months]


def _product_of(code: str) -> str:
    """ES of ES2612: the contract code less its yymm."""
    return code[:-4] if len(code) > 4 and code[-4:].isdigit() else code


def _quantity(quantity, held: Decimal, account, what: str) -> Decimal:
    if quantity is None or quantity == "":
        return abs(held)
    try:
        value = Decimal(str(quantity))
    except (InvalidOperation, ValueError):
        raise InvalidInput(BAD_QUANTITY.format(quantity=quantity), code="invalid_quantity") from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(BAD_QUANTITY.format(quantity=quantity), code="invalid_quantity")
    if value > abs(held):
        raise InvalidInput(TOO_MUCH.format(account=account.account_number, held=f"{abs(held).normalize():f}", what=what,
                                           quantity=f"{value.normalize():f}"), code="more_than_held")
    return value


def position_close_preview(*, actor: Actor, account_number: str | None, symbol: str | None = None,
                           identifier: str | None = None, quantity=None, order_type: str = "MKT", limit_price=None,
                           time_in_force: str = "DAY", outside_rth: bool = False) -> OrderPreview:
    """Preview the order closing all (quantity None) or part of one position; confirm it with
    order_place and the returned token. Raises NotFound (no such position), InvalidInput (more than
    held), and whatever order_preview raises (RiskRefused, BrokerRejected, ...)."""
    if not (symbol or identifier) or (symbol and identifier):
        raise InvalidInput(NAME_ONE, code="invalid_arguments")
    account = account_route(actor, account_number, scope=Scope.TRADE)
    held = _held(account, symbol, identifier)
    what = f"option {held.identifier}" if identifier else held.symbol
    amount = _quantity(quantity, held.quantity, account, what)
    side = "SELL" if held.quantity > 0 else "BUY"
    if identifier:
        contract = {"sec_type": "OPT", "identifier": held.identifier}
    else:  # a future is named by its contract's code, as Tiger lists the position
        contract = {"sec_type": "FUT"} if held.sec_type == "FUT" else {}
    return order_preview(actor=actor, account_number=account.account_number, symbol=None if identifier else held.symbol,
                         side=side, quantity=amount, order_type=order_type, limit_price=limit_price,
                         time_in_force=time_in_force, outside_rth=outside_rth, **contract)
