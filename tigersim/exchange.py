"""Broker and exchange state: developers, accounts, cash, positions, orders, fills, matching.

All money and quantities are ``Decimal``. One re-entrant lock guards the whole state: the
gateway is I/O-bound and the critical sections are short, so one lock keeps every invariant
(cash + positions + order fills move together) simple and true under 50 concurrent requests.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from . import protocol as p
from .clock import SimClock
from .combos import (COMBO_ORDER_TYPES, DESCRIPTIONS, MSG_COMBO_MODIFY, MSG_COMBO_ORDER_TYPE, effective, expiry_loss,
                     net_price, parse_legs)
from .commission import order_commission
from .futures import (FUTURE_INITIAL_MARGIN, FUTURE_MAINTENANCE_MARGIN, PRODUCTS, FutureContract,
                      future_from_code, listed)
from .instruments import (FRACTION_PLACES, LONG_INITIAL_MARGIN, LONG_MAINTENANCE_MARGIN, OPTION_LISTINGS,
                          SHORT_INITIAL_MARGIN, SHORT_MAINTENANCE_MARGIN, Instrument, OptionContract, get_instrument,
                          is_derivative, is_on_tick, option_contract, tradable)
from .market_calendar import CALENDARS, OVERNIGHT_END, TRADING, overnight_day, overnight_order_day
from .prices import QUOTE_BUCKET_SECONDS, PriceModel, Quote

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
CENT = Decimal("0.01")
BASE_CURRENCY = "USD"
# Units of each currency per US dollar; forexRate on the wire is the inverse (USD per unit).
FX_PER_USD = {"USD": Decimal("1"), "HKD": Decimal("7.8"), "CNH": Decimal("7.2")}

# Tiger's order statuses.
INITIAL = "Initial"
PENDING_NEW = "PendingNew"
SUBMITTED = "Submitted"
PARTIALLY_FILLED = "PartiallyFilled"
FILLED = "Filled"
PENDING_CANCEL = "PendingCancel"
CANCELLED = "Cancelled"
INACTIVE = "Inactive"
INVALID = "Invalid"
OPEN_STATUSES = {INITIAL, PENDING_NEW, SUBMITTED, PARTIALLY_FILLED, PENDING_CANCEL}
TERMINAL_STATUSES = {FILLED, CANCELLED, INACTIVE, INVALID}
ORDER_TYPES = {"MKT", "LMT", "STP", "STP_LMT", "TRAIL"}
TIME_IN_FORCE = {"DAY", "GTC", "GTD"}

# Messages as Tiger's paper/prime gateway words them (docs.itigerup.com error-code page).
MSG_INSUFFICIENT_BP = "bad_request:Insufficient buying power. Order requires {ccy} {need}, available {ccy} {have}"
MSG_NO_POSITION = "The order quantity you entered exceeds your currently available position"
# Tiger's overnight session (trading_session_type OVERNIGHT): US stocks' limit orders only.
MSG_OVERNIGHT_LIMIT = "bad_request:Overnight trading only supports limit orders"
MSG_OVERNIGHT_STOCKS = "bad_request:This contract does not support overnight trading"
MSG_SESSION_TYPE = "bad_request:trading_session_type {value} is not supported"
MSG_EXTENDED_HOURS = ("bad_request:You cannot place market or stop order during pre-market and "
                      "after-hours trading")
MSG_NOT_SUPPORTED = "bad_request:We don't support trading of this stock now"
MSG_NOT_SHORTABLE = "bad_request:This stock is not available for short selling"
MSG_TICK = "bad_request:The price {price} does not conform to the tick size"
MSG_LOT = "bad_request:The order quantity must be a multiple of the lot size {lot}"
MSG_TRAIL = "bad_request:A trailing stop order needs one of aux_price (trailing amount) or trailing_percent"
MSG_ORDER_NOT_FOUND = "order not found"
MSG_NOT_CANCELLABLE = "bad_request:The order cannot be cancelled in its current status ({status})"
MSG_NOT_MODIFIABLE = "bad_request:The order cannot be modified in its current status ({status})"
MSG_MODIFY_FIELD = "bad_request:{field} cannot be modified"
MSG_MODIFY_QTY = "bad_request:The quantity cannot be less than the filled quantity {filled}"
MSG_EXPIRED = "Order expired at the end of the trading day"
MSG_GTD_EXPIRED = "Order expired at its GTD expiry time"
MSG_GTD_TIME = "bad_request:A GTD order needs an expire_time in the future"
# An option the chain does not list, or one already expired (Tiger's contract refusals).
MSG_NO_OPTION = "bad_request:The option contract {contract} does not exist"
MSG_OPTION_EXPIRED = "bad_request:The option contract {contract} has expired"
MSG_OPTION_FIELDS = "bad_request:An option order needs symbol, expiry (yyyyMMdd), strike and right (CALL or PUT)"
# A futures contract not listed today, or one past its last trading day (Tiger's contract refusals).
MSG_NO_FUTURE = "bad_request:The futures contract {contract} does not exist"
MSG_FUTURE_EXPIRED = "bad_request:The futures contract {contract} has expired"
MSG_NO_FUTURES_PERMISSION = "bad_request:The account {account} has no futures trading permission"
# Short options in a margin account: the premium plus this share of the underlying's value.
SHORT_OPTION_UNDERLYING_RATE = Decimal("0.2")
# Attached orders (Tiger: "Attached Order currently only supports limit orders") and OCA groups.
MSG_LEGS_LMT = "bad_request:Attached orders are only supported on a limit order"
MSG_LEG_SIDE = ("bad_request:The {leg} price {price} must be {side} the limit price {limit} "
                "of the {action} order it is attached to")
MSG_OCA_EMPTY = "bad_request:An OCA order needs at least two orders (oca_orders)"
MSG_OCA_SAME = "bad_request:The orders of an OCA group must be for one symbol and one action"
REASON_OCA = "Cancelled: another order of its OCA group filled"
REASON_PARENT = "Cancelled with the order it is attached to ({id})"
# Fractional shares and orders by amount (cash_amount): US stocks whose contract supports them
# (supportFractionalShare), as market orders for the day in the regular session. Tiger documents
# fractional trading for prime accounts without its limits; these are the simulator's (conservative).
MSG_NOT_FRACTIONAL = "bad_request:{symbol} does not support fractional share trading"
MSG_FRACTIONAL_TERMS = ("bad_request:Fractional share and amount orders are only supported as market orders "
                        "(MKT), DAY, in regular trading hours")
MSG_AMOUNT_TOO_SMALL = "bad_request:The order amount {amount} is less than the smallest fractional share"
MSG_QUANTITY_AND_AMOUNT = "bad_request:An order gives total_quantity or cash_amount, not both"
FRACTION = Decimal(1).scaleb(-FRACTION_PLACES)
MSG_ACCOUNT = "account error(account '{account}' does not exist or is not authorized for this tiger_id)"


def check_trail(code: int, aux_price: Decimal | None, trailing_percent: Decimal | None) -> None:
    if (aux_price is None) == (trailing_percent is None) or (aux_price is not None and aux_price <= 0) or \
            (trailing_percent is not None and not ZERO < trailing_percent < 100):
        raise p.GatewayError(code, MSG_TRAIL)


def trail(order: "Order", latest: Decimal) -> None:
    """Move a trailing stop with the price: a sell's stop only rises, a buy's only falls."""
    if order.trailing_percent is not None:
        distance = latest * order.trailing_percent / 100
    else:
        distance = order.aux_price
    if order.action == "SELL":
        stop = latest - distance
        order.trail_stop = stop if order.trail_stop is None else max(order.trail_stop, stop)
    else:
        stop = latest + distance
        order.trail_stop = stop if order.trail_stop is None else min(order.trail_stop, stop)


def check_lot_and_tick(code: int, inst: Instrument, quantity: Decimal, prices) -> None:
    """Tiger's refusals of a quantity off the board lot and a price off the tick ladder (place, modify, preview)."""
    if quantity % inst.lot_size:
        raise p.GatewayError(code, MSG_LOT.format(lot=inst.lot_size))
    for price in prices:
        if price is not None and (price <= 0 or not is_on_tick(inst, price)):
            raise p.GatewayError(code, MSG_TICK.format(price=price))


def dec(value, name: str = "value") -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        out = Decimal(str(value))
    except Exception:
        raise p.biz_error(f"{name} is not a number")
    if not out.is_finite():
        raise p.biz_error(f"{name} is not a number")
    return out


def wire_quantity(biz: dict, name: str = "total_quantity") -> Decimal | None:
    """A quantity as the SDK sends it: an integer and its scale (1.5 shares = 15, scale 1)."""
    quantity = dec(biz.get(name), name)
    scale = dec(biz.get(f"{name}_scale"), f"{name}_scale")
    if quantity is None or not scale:
        return quantity
    return quantity.scaleb(-int(scale))


def order_size(code: int, inst, biz: dict, order_type: str, tif: str, outside_rth: bool,
               price: Decimal) -> tuple[Decimal, Decimal | None, bool]:
    """(quantity, cash_amount, fractional) of an order being placed or previewed: an amount order's
    quantity is what its amount buys at ``price`` (floored to the fractional scale), refused where
    Tiger refuses fractions."""
    cash_amount = dec(biz.get("cash_amount"), "cash_amount")
    quantity = wire_quantity(biz)
    if cash_amount is not None:
        if quantity:
            raise p.GatewayError(code, MSG_QUANTITY_AND_AMOUNT)
        if cash_amount <= 0:
            raise p.biz_error("cash_amount must be positive")
    elif quantity is None:
        raise p.field_empty("total_quantity")
    elif quantity <= 0:
        raise p.biz_error("total_quantity must be positive")
    fractional = cash_amount is not None or quantity != quantity.to_integral_value()
    if not fractional:
        return quantity, None, False
    if not getattr(inst, "fractional", False):
        raise p.GatewayError(code, MSG_NOT_FRACTIONAL.format(symbol=inst.symbol))
    if order_type != "MKT" or tif != "DAY" or outside_rth:
        raise p.GatewayError(code, MSG_FRACTIONAL_TERMS)
    if cash_amount is not None:
        quantity = shares_for(cash_amount, price)
        if quantity <= 0:
            raise p.GatewayError(code, MSG_AMOUNT_TOO_SMALL.format(amount=cash_amount))
    elif quantity != quantity.quantize(FRACTION):
        raise p.biz_error(f"total_quantity has more than {FRACTION_PLACES} decimal places")
    return quantity, cash_amount, True


def shares_for(amount: Decimal, price: Decimal) -> Decimal:
    """The shares an amount buys at a price, floored to the fractional scale."""
    return (amount / price).quantize(FRACTION, rounding="ROUND_FLOOR") if price > 0 else ZERO


def multiplier_of(symbol: str) -> int:
    """Units of the underlying one contract covers: an option's multiplier, 1 for a stock."""
    inst = tradable(symbol)
    return inst.multiplier if is_derivative(inst) else 1


def is_future(symbol: str) -> bool:
    return isinstance(tradable(symbol), FutureContract)


def option_from_order(code: int, biz: dict) -> OptionContract:
    """The option an order names as the SDK sends it (symbol, expiry yyyyMMdd, strike, right)."""
    underlying = str(biz.get("symbol") or "").strip().upper()
    expiry = str(biz.get("expiry") or "").replace("-", "").strip()
    right = str(biz.get("right") or "").strip().upper()
    right = {"C": "CALL", "P": "PUT"}.get(right, right)
    try:
        day = dt.datetime.strptime(expiry, "%Y%m%d").date()
        strike = Decimal(str(biz.get("strike")))
    except (ValueError, ArithmeticError):
        raise p.GatewayError(code, MSG_OPTION_FIELDS) from None
    if not underlying or right not in ("CALL", "PUT") or not strike.is_finite() or strike <= 0:
        raise p.GatewayError(code, MSG_OPTION_FIELDS)
    return option_contract(underlying, day, strike.normalize(), right)


def fx_per_usd(currency: str) -> Decimal:
    return FX_PER_USD.get(currency, Decimal("1"))


def to_base(amount: Decimal, currency: str) -> Decimal:
    return amount / fx_per_usd(currency)


@dataclass
class Developer:
    tiger_id: str
    public_key_b64: str
    license: str = "TBUS"
    private_key_b64: str | None = None  # kept only for developers the simulator generated
    accounts: list[str] = field(default_factory=list)


@dataclass
class Fill:
    time_ms: int
    quantity: Decimal
    price: Decimal
    commission: Decimal


@dataclass
class Order:
    id: int
    order_id: int
    account: str
    symbol: str
    market: str
    currency: str
    action: str
    order_type: str
    quantity: Decimal
    limit_price: Decimal | None
    aux_price: Decimal | None
    time_in_force: str
    outside_rth: bool
    status: str
    open_time: int
    update_time: int
    session_day: str
    user_mark: str = ""
    reason: str = ""
    # Tiger's trading_session_type: "OVERNIGHT" works only in the US overnight session of session_day.
    trading_session_type: str = ""
    filled: Decimal = ZERO
    filled_value: Decimal = ZERO
    commission: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    latest_time: int = 0
    triggered: bool = False
    trailing_percent: Decimal | None = None  # a TRAIL order trails by this percent, or by aux_price
    trail_stop: Decimal | None = None  # where a TRAIL order's stop stands now
    expire_time: int | None = None  # GTD: epoch milliseconds
    fill_cap: Decimal | None = None  # forced partial fill: stop filling at this quantity
    opens_position: bool = True
    # Attached orders (a bracket): each leg is an order of its own naming its entry; it is held
    # (PendingNew, not working) until the entry fills. leg_type is Tiger's PROFIT or LOSS.
    parent_id: int | None = None
    leg_type: str = ""
    # One-cancels-other: orders sharing a group (a bracket's two legs, or an OCA order's legs);
    # the first fill of one cancels the others.
    oca_group: int | None = None
    # An order by amount (Tiger's cash_amount): quantity is what it buys at the price it fills at.
    cash_amount: Decimal | None = None
    fills: list[Fill] = field(default_factory=list)
    # A combo (Tiger's MLEG): ``symbol`` is the underlying, the legs are rows {symbol (the stock or
    # the option's identifier), action, ratio, and what each filled}; quantity, prices and fills are
    # the combo's (net price per share of combo_multiplier, in the BUY orientation).
    combo_type: str = ""
    legs: list = field(default_factory=list)
    combo_multiplier: int = 1

    @property
    def fractional(self) -> bool:
        return self.cash_amount is not None or self.quantity != self.quantity.to_integral_value()

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def avg_fill_price(self) -> Decimal:
        return self.filled_value / self.filled if self.filled else ZERO

    @property
    def can_modify(self) -> bool:
        return self.status in (INITIAL, PENDING_NEW, SUBMITTED, PARTIALLY_FILLED) and self.order_type != "MKT"

    @property
    def can_cancel(self) -> bool:
        return self.status in (INITIAL, PENDING_NEW, SUBMITTED, PARTIALLY_FILLED)

    @property
    def wire_status(self) -> str:
        # The SDK maps "Submitted" + filledQuantity > 0 to PARTIALLY_FILLED, but maps the string
        # "PartiallyFilled" to PENDING_NEW; Tiger's gateway therefore sends "Submitted".
        return SUBMITTED if self.status == PARTIALLY_FILLED else self.status


@dataclass
class Position:
    symbol: str
    quantity: Decimal = ZERO
    average_cost: Decimal = ZERO  # includes commission, as Tiger's averageCost does
    realized_pnl: Decimal = ZERO


@dataclass
class Account:
    account: str
    tiger_id: str
    capability: str  # CASH or MGRN
    paper: bool
    cash: dict[str, Decimal]
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    next_order_id: int = 1
    realized_pnl: dict[str, Decimal] = field(default_factory=dict)
    # Cash of the futures segment (Tiger's "C"), kept apart from the securities cash above. The
    # simulator trades no futures, so it moves only by transfers; margin accounts may hold it.
    futures_cash: dict[str, Decimal] = field(default_factory=dict)
    # Transfers between the segments, oldest first, in the shape of Tiger's segment_fund_history.
    segment_transfers: list[dict] = field(default_factory=list)

    @property
    def has_futures(self) -> bool:
        """Futures permission: Tiger opens the futures segment to margin accounts."""
        return self.capability == "MGRN"

    @property
    def trade_error_code(self) -> int:
        return p.CODE_PAPER_ACCOUNT if self.paper else p.CODE_PRIME_ACCOUNT


class Changes:
    """What changed since the state was last written: the store writes exactly these rows."""

    def __init__(self):
        self.developers: set[str] = set()
        self.accounts: set[str] = set()
        self.orders: dict[int, Order] = {}
        self.counters = False

    def __bool__(self) -> bool:
        return bool(self.developers or self.accounts or self.orders or self.counters)

    def clear(self) -> None:
        self.developers.clear()
        self.accounts.clear()
        self.orders.clear()
        self.counters = False


class Exchange:
    def __init__(self, prices: PriceModel, clock: SimClock, always_open: bool = False):
        self.prices = prices
        self.clock = clock
        # Continuous trading (a demo at any hour): orders are accepted and fill outside every
        # session, at the quote of the last session. Off, the markets keep their real calendars.
        self.always_open = always_open
        self.lock = threading.RLock()
        self.developers: dict[str, Developer] = {}
        self.accounts: dict[str, Account] = {}
        self.next_global_id = 40_000_000_000_000_001
        self.next_account_seq = 1
        # Displayed liquidity already taken, per (symbol, side, quote bucket).
        self._taken: dict[tuple[str, str, int], Decimal] = {}
        # Read and cleared by the simulator's commit, under ``lock``.
        self.changes = Changes()

    def liquidity_reset(self) -> None:
        """Forget the displayed liquidity taken so far: tests sharing one simulator each start with
        the quotes' full sizes, as a new account would at a new quote."""
        with self.lock:
            self._taken.clear()

    # --- reads ----------------------------------------------------------------------------

    def quote(self, symbol: str, instant: dt.datetime | None = None) -> Quote:
        return self.prices.quote(symbol, instant or self.clock.now())

    def fx_rate(self, currency: str) -> Decimal:
        """Units of ``currency`` per US dollar (USD=1, HKD=7.8, CNH=7.2)."""
        return fx_per_usd(currency)

    def account_for(self, tiger_id: str, account: str | None) -> Account:
        if not account:
            raise p.field_empty("account")
        acct = self.accounts.get(str(account))
        if acct is None or acct.tiger_id != tiger_id:
            raise p.GatewayError(p.CODE_ACCOUNT, MSG_ACCOUNT.format(account=account))
        return acct

    def mark_price(self, symbol: str, instant: dt.datetime | None = None) -> Decimal:
        return self.quote(symbol, instant).latest

    def position_value(self, acct: Account, instant: dt.datetime) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for pos in acct.positions.values():
            if pos.quantity == 0 or is_future(pos.symbol):  # held in the futures segment
                continue
            inst = tradable(pos.symbol)
            out[inst.currency] = out.get(inst.currency, ZERO) + \
                pos.quantity * self.mark_price(pos.symbol, instant) * multiplier_of(pos.symbol)
        return out

    def summary(self, acct: Account, instant: dt.datetime | None = None) -> dict[str, Decimal]:
        """Account figures in the base currency (USD)."""
        instant = instant or self.clock.now()
        cash = sum((to_base(v, c) for c, v in acct.cash.items()), ZERO)
        gross = ZERO
        net_pos = ZERO
        init = ZERO
        maint = ZERO
        unrealized = ZERO
        for pos in acct.positions.values():
            if pos.quantity == 0 or is_future(pos.symbol):  # held in the futures segment
                continue
            inst = tradable(pos.symbol)
            mark = self.mark_price(pos.symbol, instant)
            units = pos.quantity * multiplier_of(pos.symbol)
            value = to_base(units * mark, inst.currency)
            net_pos += value
            gross += abs(value)
            unrealized += to_base((mark - pos.average_cost) * units, inst.currency)
            if isinstance(inst, OptionContract):
                # Options are not marginable: a long one is paid in full; a short one holds its
                # premium plus a share of the underlying's value.
                held = abs(value)
                if pos.quantity < 0:
                    held += to_base(abs(units) * self.mark_price(inst.underlying, instant), inst.currency) \
                        * SHORT_OPTION_UNDERLYING_RATE
                init += held
                maint += held
            elif acct.capability == "CASH":
                init += abs(value)
                maint += abs(value)
            elif pos.quantity > 0:
                init += value * LONG_INITIAL_MARGIN
                maint += value * LONG_MAINTENANCE_MARGIN
            else:
                init += abs(value) * SHORT_INITIAL_MARGIN
                maint += abs(value) * SHORT_MAINTENANCE_MARGIN
        net_liq = cash + net_pos
        realized = sum((to_base(v, c) for c, v in acct.realized_pnl.items()), ZERO)
        if acct.capability == "CASH":
            buying_power = max(ZERO, cash - self._reserved_base(acct, instant))
            excess = buying_power
        else:
            excess = net_liq - init
            buying_power = max(ZERO, (excess - self._reserved_base(acct, instant)) / LONG_INITIAL_MARGIN)
        return {"cash": cash, "net_liquidation": net_liq, "gross_position_value": gross,
                "init_margin": init, "maint_margin": maint, "equity_with_loan": net_liq,
                "excess_liquidity": excess, "buying_power": buying_power, "unrealized_pnl": unrealized,
                "realized_pnl": realized}

    def futures_summary(self, acct: Account, instant: dt.datetime | None = None,
                        exclude: int | None = None) -> dict[str, Decimal]:
        """The futures segment in USD: its cash, the open P&L and margin of futures positions, and
        what is left for new futures orders after the margin working ones hold."""
        instant = instant or self.clock.now()
        cash = sum((to_base(v, c) for c, v in acct.futures_cash.items()), ZERO)
        unrealized = init = maint = gross = realized = ZERO
        for pos in acct.positions.values():
            inst = tradable(pos.symbol)
            if not isinstance(inst, FutureContract):
                continue
            realized += to_base(pos.realized_pnl, inst.currency)
            if pos.quantity == 0:
                continue
            mark = self.mark_price(pos.symbol, instant)
            value = to_base(abs(pos.quantity) * mark * inst.multiplier, inst.currency)
            gross += value
            unrealized += to_base((mark - pos.average_cost) * pos.quantity * inst.multiplier, inst.currency)
            init += value * FUTURE_INITIAL_MARGIN
            maint += value * FUTURE_MAINTENANCE_MARGIN
        reserved = ZERO
        for order in self.working(acct, exclude):
            inst = tradable(order.symbol)
            if isinstance(inst, FutureContract) and order.remaining > 0:
                opening = self._future_opening(acct, order.symbol, order.action, order.remaining)
                price = self._estimate_price(order.order_type, order.action, order.limit_price, order.aux_price,
                                             self.quote(order.symbol, instant))
                reserved += to_base(opening * price * inst.multiplier, inst.currency) * FUTURE_INITIAL_MARGIN
        net_liq = cash + unrealized
        return {"cash": cash, "unrealized_pnl": unrealized, "realized_pnl": realized, "init_margin": init,
                "maint_margin": maint, "gross_position_value": gross, "net_liquidation": net_liq,
                "excess_liquidity": net_liq - init, "available": net_liq - init - reserved}

    @staticmethod
    def _future_opening(acct: Account, symbol: str, action: str, quantity: Decimal) -> Decimal:
        """The part of a futures order that opens or adds to a position (the rest closes one)."""
        pos = acct.positions.get(symbol)
        held = pos.quantity if pos else ZERO
        closable = max(ZERO, -held) if action == "BUY" else max(ZERO, held)
        return max(ZERO, quantity - closable)

    def listed_future(self, code: int, biz: dict, now: dt.datetime) -> FutureContract:
        """The future an order names if it is listed today: its code as symbol ("ES2612"), or the
        product with the expiry (last trading day, yyyyMMdd) as the SDK's future_contract sends it;
        Tiger's refusal otherwise (unknown or expired)."""
        symbol = str(biz.get("symbol") or "").strip().upper()
        expiry = str(biz.get("expiry") or "").replace("-", "").strip()
        today = CALENDARS["US"].local(now).date()
        contract = future_from_code(symbol)
        if contract is None and symbol in PRODUCTS and expiry:
            contract = next((c for c in listed(PRODUCTS[symbol], today)
                             if c.last_trading_day.strftime("%Y%m%d") == expiry
                             or f"{c.year}{c.month:02d}" == expiry[:6]), None)
            if contract is None:
                raise p.GatewayError(code, MSG_NO_FUTURE.format(contract=f"{symbol} {expiry}"))
        if contract is None:
            raise p.GatewayError(code, MSG_NO_FUTURE.format(contract=symbol))
        if contract.last_trading_day < today:
            raise p.GatewayError(code, MSG_FUTURE_EXPIRED.format(contract=contract.symbol))
        if contract not in listed(contract.product, today):
            raise p.GatewayError(code, MSG_NO_FUTURE.format(contract=contract.symbol))
        return contract

    # --- developer and account set-up -----------------------------------------------------

    def add_developer(self, dev: Developer) -> Developer:
        with self.lock:
            existing = self.developers.get(dev.tiger_id)
            if existing:
                dev.accounts = existing.accounts
            self.developers[dev.tiger_id] = dev
            self.changes.developers.add(dev.tiger_id)
            return dev

    def open_account(self, tiger_id: str, account: str | None, cash: dict[str, Decimal], paper: bool,
                     capability: str) -> str:
        with self.lock:
            dev = self.developers.get(tiger_id)
            if dev is None:
                raise KeyError(f"unknown tiger_id {tiger_id}")
            if account is None:
                # Paper accounts are all digits, 17+ characters, like Tiger's.
                account = f"2026{self.next_account_seq:013d}" if paper else f"U{self.next_account_seq:07d}"
                self.next_account_seq += 1
            if account in self.accounts:
                raise ValueError(f"account {account} already exists")
            capability = capability.upper()
            if capability not in ("CASH", "MGRN"):
                raise ValueError("capability must be CASH or MGRN")
            self.accounts[account] = Account(account, tiger_id, capability, paper,
                                             {c.upper(): Decimal(str(v)) for c, v in cash.items()})
            dev.accounts.append(account)
            self.changes.developers.add(tiger_id)
            self.changes.accounts.add(account)
            self.changes.counters = True
            return account

    def transfer_segment(self, acct: Account, from_segment: str, to_segment: str, currency: str,
                         amount: Decimal, now_ms: int) -> dict:
        """Move cash between the securities (SEC) and futures (FUT) segments, as Tiger's
        transfer_segment_fund does; ValueError says why one is refused."""
        with self.lock:
            if not acct.has_futures:
                raise ValueError(f"account {acct.account} has no futures permission (cash accounts have none)")
            if {from_segment, to_segment} != {"SEC", "FUT"}:
                raise ValueError("transfers go between SEC and FUT (from_segment and to_segment)")
            if amount <= 0:
                raise ValueError("amount must be positive")
            source, target = (acct.cash, acct.futures_cash) if from_segment == "SEC" else (acct.futures_cash, acct.cash)
            if source.get(currency, ZERO) < amount:
                raise ValueError(f"not enough {currency} in {from_segment} to move {amount}")
            source[currency] = source[currency] - amount
            target[currency] = target.get(currency, ZERO) + amount
            record = {"id": len(acct.segment_transfers) + 1, "fromSegment": from_segment, "toSegment": to_segment,
                      "currency": currency, "amount": amount, "status": "SUCC", "statusDesc": "Succeeded",
                      "message": None, "settledAt": now_ms, "updatedAt": now_ms, "createdAt": now_ms}
            acct.segment_transfers.append(record)
            self.changes.accounts.add(acct.account)
            return record

    def allocate_order_id(self, acct: Account) -> int:
        with self.lock:
            order_id = acct.next_order_id
            acct.next_order_id += 1
            self.changes.accounts.add(acct.account)
            return order_id

    # --- orders ---------------------------------------------------------------------------

    def place(self, acct: Account, biz: dict, fault=None) -> Order:
        with self.lock:
            return self._store(acct, self._build(acct, biz, fault))

    def _store(self, acct: Account, order: Order) -> Order:
        acct.orders[order.id] = order
        self.changes.orders[order.id] = order
        self.changes.counters = True
        return order

    def place_bracket(self, acct: Account, biz: dict, fault=None) -> list[Order]:
        """A limit entry with its attached PROFIT (limit) and/or LOSS (stop) orders, as the SDK sends them.

        Each leg is an order of its own (parentId = the entry), for the entry's quantity and the
        other side; it is held (PendingNew) until the entry fills and then works; the legs are one
        OCA group, so the fill of one cancels the other.
        """
        code = acct.trade_error_code
        if (biz.get("order_type") or "").upper() != "LMT":
            raise p.GatewayError(code, MSG_LEGS_LMT)
        with self.lock:
            parent = self._build(acct, biz, fault)
            opposite = "SELL" if parent.action == "BUY" else "BUY"
            legs = []
            for leg, price_key, prefix in (("PROFIT", "profit_taker_price", "profit_taker"),
                                           ("LOSS", "stop_loss_price", "stop_loss")):
                price = dec(biz.get(price_key), price_key)
                if price is None:
                    continue
                above = (leg == "PROFIT") == (parent.action == "BUY")
                if (price <= parent.limit_price) if above else (price >= parent.limit_price):
                    raise p.GatewayError(code, MSG_LEG_SIDE.format(
                        leg="take-profit" if leg == "PROFIT" else "stop-loss", price=price,
                        side="above" if above else "below", limit=parent.limit_price, action=parent.action))
                leg_biz = {"symbol": biz.get("symbol"), "sec_type": biz.get("sec_type"), "expiry": biz.get("expiry"),
                           "strike": biz.get("strike"), "right": biz.get("right"), "action": opposite,
                           "total_quantity": parent.quantity, "time_in_force": biz.get(f"{prefix}_tif") or "DAY",
                           "outside_rth": biz.get(f"{prefix}_rth"), "user_mark": parent.user_mark}
                if leg == "PROFIT":
                    leg_biz.update(order_type="LMT", limit_price=price)
                elif biz.get("stop_loss_limit_price") is not None:
                    leg_biz.update(order_type="STP_LMT", aux_price=price, limit_price=biz["stop_loss_limit_price"])
                else:
                    leg_biz.update(order_type="STP", aux_price=price)
                # The legs close what the entry opens: no buying-power or position check of their own.
                order = self._build(acct, leg_biz, None, check=False)
                order.parent_id, order.leg_type, order.status = parent.id, leg, PENDING_NEW
                legs.append(order)
            if not legs:
                raise p.field_empty("profit_taker_price")
            for order in legs:
                order.oca_group = parent.id if len(legs) > 1 else None
            return [self._store(acct, o) for o in (parent, *legs)]

    def place_oca(self, acct: Account, biz: dict, fault=None) -> list[Order]:
        """An OCA order: the orders of ``oca_orders`` (one symbol, one action), one group; a fill cancels the rest."""
        items = biz.get("oca_orders") or []
        if not isinstance(items, list) or len(items) < 2:
            raise p.GatewayError(acct.trade_error_code, MSG_OCA_EMPTY)
        with self.lock:
            orders = []
            for item in items:
                # Each is checked alone: the group works as one order, so its legs never add up.
                # Tiger echoes the group's user mark on each of its orders.
                mark = {"user_mark": biz.get("user_mark") or ""} if biz.get("user_mark") else {}
                orders.append(self._build(acct, {**mark, **item, "account": acct.account}, fault))
            if len({(o.symbol, o.action) for o in orders}) != 1:
                raise p.GatewayError(acct.trade_error_code, MSG_OCA_SAME)
            for order in orders:
                order.oca_group = orders[0].id
            return [self._store(acct, o) for o in orders]

    def _build(self, acct: Account, biz: dict, fault=None, check: bool = True, combo: bool = False) -> Order:
        now = self.clock.now()
        symbol = biz.get("symbol")
        if not symbol:
            raise p.field_empty("symbol")
        sec_type = (biz.get("sec_type") or "STK").upper()
        if sec_type == "OPT":
            inst = self.listed_option(acct.trade_error_code, option_from_order(acct.trade_error_code, biz), now)
        elif sec_type == "FUT":
            inst = self.listed_future(acct.trade_error_code, biz, now)
        else:
            inst = get_instrument(symbol)
            if inst is None or sec_type != "STK":
                raise p.GatewayError(acct.trade_error_code, MSG_NOT_SUPPORTED)
        action = (biz.get("action") or "").upper()
        if action not in ("BUY", "SELL"):
            raise p.biz_error("action must be BUY or SELL")
        order_type = (biz.get("order_type") or "").upper()
        if order_type not in ORDER_TYPES:
            raise p.biz_error(f"order_type {order_type or 'empty'} is not supported")
        limit_price = dec(biz.get("limit_price"), "limit_price")
        aux_price = dec(biz.get("aux_price"), "aux_price")
        if order_type in ("LMT", "STP_LMT") and limit_price is None:
            raise p.field_empty("limit_price")
        if order_type in ("STP", "STP_LMT") and aux_price is None:
            raise p.field_empty("aux_price")
        trailing_percent = dec(biz.get("trailing_percent"), "trailing_percent")
        if order_type == "TRAIL":
            check_trail(acct.trade_error_code, aux_price, trailing_percent)
        tif = (biz.get("time_in_force") or "DAY").upper()
        if tif not in TIME_IN_FORCE:
            raise p.biz_error(f"time_in_force {tif} is not supported")
        quantity, cash_amount, fractional = order_size(
            acct.trade_error_code, inst, biz, order_type, tif, bool(biz.get("outside_rth")),
            self._estimate_price(order_type, action, limit_price, aux_price, self.quote(inst.symbol, now)))
        if combo:  # a net price: a debit, a credit (negative) or even, in cents; whole combos
            if quantity != quantity.to_integral_value() or (limit_price is not None and limit_price != limit_price.quantize(CENT)):
                raise p.GatewayError(acct.trade_error_code, MSG_TICK.format(price=limit_price)
                                     if quantity == quantity.to_integral_value() else MSG_LOT.format(lot=1))
        else:
            check_lot_and_tick(acct.trade_error_code, inst, ZERO if fractional else quantity,
                               (limit_price, aux_price if order_type != "TRAIL" else None))
        expire_time = dec(biz.get("expire_time"), "expire_time")
        if tif == "GTD" and (expire_time is None or expire_time <= int(now.timestamp() * 1000)):
            raise p.GatewayError(acct.trade_error_code, MSG_GTD_TIME)
        # Options trade in the regular session only; futures in their own hours (nearly 24 a day).
        outside_rth = bool(biz.get("outside_rth")) and inst.market == "US" and inst.sec_type == "STK" and not combo
        cal = CALENDARS[inst.market]
        session_type = str(biz.get("trading_session_type") or "").upper()
        if session_type in ("RTH", "PRE_RTH_POST"):
            session_type = ""
        if session_type and session_type != "OVERNIGHT":
            raise p.GatewayError(acct.trade_error_code, MSG_SESSION_TYPE.format(value=session_type))
        if session_type:
            if inst.market != "US" or inst.sec_type != "STK" or fractional or combo:
                raise p.GatewayError(acct.trade_error_code, MSG_OVERNIGHT_STOCKS)
            if order_type != "LMT":
                raise p.GatewayError(acct.trade_error_code, MSG_OVERNIGHT_LIMIT)
        elif cal.is_extended(now) and order_type != "LMT" and not self.always_open and inst.sec_type != "FUT":
            raise p.GatewayError(acct.trade_error_code, MSG_EXTENDED_HOURS)
        user_mark = biz.get("user_mark")
        if user_mark is None:
            user_mark = biz.get("remark") or ""

        with self.lock:
            if fault is not None and fault.kind == "reject":
                raise p.GatewayError(fault.params.get("code", acct.trade_error_code),
                                     fault.params.get("message", "bad_request:Order rejected by the exchange"))
            quote = self.quote(inst.symbol, now)
            if check:
                self._check_order(acct, inst, action, order_type, quantity, limit_price, aux_price, quote, now,
                                  exclude=None)
            order_id = dec(biz.get("order_id"), "order_id")
            if order_id is None:
                order_id = self.allocate_order_id(acct)
            else:
                order_id = int(order_id)
                if any(o.order_id == order_id for o in acct.orders.values()):
                    raise p.GatewayError(p.CODE_ACCOUNT, "TRADE DUPLICATE ORDER ID")
            now_ms = int(now.timestamp() * 1000)
            position = acct.positions.get(inst.symbol)
            held = position.quantity if position else ZERO
            opens = (action == "BUY" and held >= 0) or (action == "SELL" and held <= 0)
            order = Order(id=self.next_global_id, order_id=order_id, account=acct.account, symbol=inst.symbol,
                          market=inst.market, currency=inst.currency, action=action, order_type=order_type,
                          quantity=quantity, limit_price=limit_price, aux_price=aux_price, time_in_force=tif,
                          outside_rth=outside_rth, status=INITIAL, open_time=now_ms, update_time=now_ms,
                          session_day=(overnight_order_day(now) if session_type else self._order_day(inst, now))
                          .isoformat(), user_mark=str(user_mark), trading_session_type=session_type,
                          latest_time=now_ms, opens_position=opens,
                          trailing_percent=trailing_percent if order_type == "TRAIL" else None,
                          expire_time=int(expire_time) if tif == "GTD" else None, cash_amount=cash_amount)
            if order_type == "TRAIL":
                trail(order, quote.latest)
            self.next_global_id += 1
            if fault is not None and fault.kind == "partial_fill":
                cap = fault.params.get("quantity")
                if cap is None:
                    ratio = Decimal(str(fault.params.get("ratio", "0.5")))
                    cap = (quantity * ratio).to_integral_value()
                    cap -= cap % inst.lot_size
                order.fill_cap = min(quantity, max(Decimal(inst.lot_size), Decimal(str(cap))))
            return order

    def listed_option(self, code: int, option: OptionContract, now: dt.datetime) -> OptionContract:
        """The option if the chain lists it today; Tiger's refusal otherwise (unknown or expired)."""
        today = CALENDARS[option.market].local(now).date()
        if option.underlying not in OPTION_LISTINGS:
            raise p.GatewayError(code, MSG_NO_OPTION.format(contract=option.symbol))
        if option.expiry < today:
            raise p.GatewayError(code, MSG_OPTION_EXPIRED.format(contract=option.symbol))
        listed = {d for d, _ in self.prices.option_expiries(option.underlying, now)}
        if option.expiry not in listed or option.strike not in self.prices.option_strikes(option.underlying, now):
            raise p.GatewayError(code, MSG_NO_OPTION.format(contract=option.symbol))
        return option

    def accept(self, order: Order, fault=None) -> None:
        """The exchange's acknowledgement: Initial -> Submitted (or -> Inactive when forced)."""
        with self.lock:
            now_ms = self.clock.now_ms()
            if fault is not None and fault.kind == "inactivate":
                order.status = INACTIVE
                order.reason = fault.params.get("message", "Order rejected by the exchange")
            elif order.status == INITIAL:
                order.status = SUBMITTED
            order.update_time = now_ms
            self.changes.orders[order.id] = order
            if order.status == INACTIVE:
                self._settle_legs(self.accounts[order.account], order, now_ms)

    # --- attached orders and OCA groups ------------------------------------------------------

    @staticmethod
    def is_held(order: Order) -> bool:
        """An attached order waiting for its entry to fill: not working, holds nothing."""
        return order.parent_id is not None and order.status == PENDING_NEW

    def working(self, acct: Account, exclude: int | None = None):
        """Open orders that hold the position or buying power: held legs left out, and an OCA
        group (a bracket's two legs) counted once, by its largest remaining order."""
        groups: dict[int, Order] = {}
        for order in acct.orders.values():
            if not order.is_open or order.id == exclude or self.is_held(order):
                continue
            if order.oca_group is None:
                yield order
            elif order.oca_group not in groups or order.remaining > groups[order.oca_group].remaining:
                groups[order.oca_group] = order
        yield from groups.values()

    def _settle_legs(self, acct: Account, order: Order, now_ms: int) -> None:
        """After a fill, or when an entry ends: cancel OCA siblings; start or cancel attached legs."""
        if order.oca_group is not None and order.filled > 0:
            for other in acct.orders.values():
                if other.oca_group == order.oca_group and other.id != order.id and other.is_open:
                    self._end(other, CANCELLED, REASON_OCA, now_ms)
        if order.status not in TERMINAL_STATUSES:
            return
        for leg in acct.orders.values():
            if leg.parent_id != order.id or leg.status != PENDING_NEW:
                continue
            if order.filled > 0:
                # The entry's fill is what the legs protect: they work for that quantity from now.
                leg.quantity = order.filled
                leg.status = SUBMITTED
                leg.session_day = self._order_day(tradable(leg.symbol), self.clock.now()).isoformat()
                leg.update_time = now_ms
                if leg.order_type == "TRAIL":
                    trail(leg, self.quote(leg.symbol).latest)
                self.changes.orders[leg.id] = leg
            else:
                self._end(leg, CANCELLED, REASON_PARENT.format(id=order.id), now_ms)

    def _end(self, order: Order, status: str, reason: str, now_ms: int) -> None:
        order.status = status
        order.reason = reason
        order.update_time = now_ms
        self.changes.orders[order.id] = order

    def position_margin(self, acct: Account, inst, quantity: Decimal, price: Decimal,
                        instant: dt.datetime) -> tuple[Decimal, Decimal]:
        """(initial, maintenance) margin in the base currency of holding ``quantity`` (negative: short)
        of ``inst`` at ``price``, by the rules of ``summary``: what a preview compares before and after."""
        if quantity == 0:
            return ZERO, ZERO
        value = to_base(abs(quantity * multiplier_of(inst.symbol)) * price, inst.currency)
        if isinstance(inst, OptionContract):
            held = value
            if quantity < 0:
                held += to_base(abs(quantity * multiplier_of(inst.symbol)) * self.mark_price(inst.underlying, instant),
                                inst.currency) * SHORT_OPTION_UNDERLYING_RATE
            return held, held
        if acct.capability == "CASH":
            return value, value
        if quantity > 0:
            return value * LONG_INITIAL_MARGIN, value * LONG_MAINTENANCE_MARGIN
        return value * SHORT_INITIAL_MARGIN, value * SHORT_MAINTENANCE_MARGIN

    def _order_day(self, inst: Instrument, now: dt.datetime) -> dt.date:
        """The trading day a DAY order belongs to: today until its close, else the next one (a future's:
        the session trading now, or the next to open)."""
        cal = CALENDARS[inst.market]
        local = cal.local(now)
        day = local.date()
        if self.always_open:
            return day
        if isinstance(inst, FutureContract):
            return inst.hours.trading_day(now)
        end = cal.active_end if inst.market == "US" else cal.regular_close
        if cal.is_trading_day(day) and local.time() < end:
            return day
        return cal.next_trading_day(day)

    def _estimate_price(self, order_type, action, limit_price, aux_price, quote: Quote) -> Decimal:
        if order_type in ("LMT", "STP_LMT"):
            return limit_price
        touch = quote.ask if action == "BUY" else quote.bid
        if order_type == "STP":
            return max(touch, aux_price) if action == "BUY" else min(touch, aux_price)
        return touch

    def _reserved_base(self, acct: Account, instant: dt.datetime, exclude: int | None = None) -> Decimal:
        """Buying power held by working orders, in USD (buys in cash accounts; margin otherwise)."""
        total = ZERO
        for order in self.working(acct, exclude):
            if order.remaining <= 0 or is_future(order.symbol):  # futures hold the futures segment's margin
                continue
            if order.legs:  # a combo holds what it can lose
                total += to_base(self._combo_requirement(acct, order, order.remaining, instant) or ZERO, order.currency)
                continue
            if order.action == "SELL" and (acct.capability == "CASH" or not self._is_short(acct, order)):
                continue
            quote = self.quote(order.symbol, instant)
            price = self._estimate_price(order.order_type, order.action, order.limit_price, order.aux_price, quote)
            value = to_base(price * order.remaining * multiplier_of(order.symbol), order.currency)
            total += value if acct.capability == "CASH" or tradable(order.symbol).sec_type == "OPT" \
                else value * LONG_INITIAL_MARGIN
        return total

    def _is_short(self, acct: Account, order: Order) -> bool:
        pos = acct.positions.get(order.symbol)
        return (pos.quantity if pos else ZERO) < order.remaining

    def _salable(self, acct: Account, symbol: str, exclude: int | None = None) -> Decimal:
        pos = acct.positions.get(symbol)
        held = pos.quantity if pos else ZERO
        selling = sum((o.remaining for o in self.working(acct, exclude)
                       if o.symbol == symbol and o.action == "SELL" and not o.legs), ZERO)
        return max(ZERO, held - selling)

    def _check_order(self, acct: Account, inst: Instrument, action: str, order_type: str, quantity: Decimal,
                     limit_price, aux_price, quote: Quote, now: dt.datetime, exclude: int | None) -> None:
        price = self._estimate_price(order_type, action, limit_price, aux_price, quote)
        code = acct.trade_error_code
        if isinstance(inst, FutureContract):
            self._check_future_order(acct, inst, action, quantity, price, now, exclude)
            return
        option = isinstance(inst, OptionContract)
        mult = inst.multiplier if option else 1
        if action == "SELL":
            salable = self._salable(acct, inst.symbol, exclude)
            if quantity <= salable:
                return
            uncovered = quantity - salable
            if option and inst.right == "CALL":
                # A call covered by shares of the underlying (a multiplier's worth per contract) is
                # no short: cash accounts may write it.
                uncovered -= min(uncovered, self._salable(acct, inst.underlying, exclude) // mult)
                if uncovered == 0:
                    return
            if acct.capability == "CASH":
                raise p.GatewayError(code, MSG_NO_POSITION)
            if not inst.shortable:
                raise p.GatewayError(code, MSG_NOT_SHORTABLE)
            need_local = uncovered * price * SHORT_INITIAL_MARGIN
            if option:
                need_local = uncovered * mult * (price + self.mark_price(inst.underlying, now)
                                                 * SHORT_OPTION_UNDERLYING_RATE)
        else:
            value = quantity * price * mult
            need_local = value + order_commission(inst.market, quantity, value, inst.sec_type)
            if acct.capability != "CASH" and not option:  # options are paid in full
                need_local = value * LONG_INITIAL_MARGIN
        if acct.capability == "CASH":
            # Cash accounts trade each currency's own cash: no borrowing, no automatic FX.
            reserved_local = ZERO
            reserved_local += self._combo_reserved(acct, inst.currency, now, exclude)
            for order in self.working(acct, exclude):
                if order.action == "BUY" and order.currency == inst.currency and not order.legs:
                    q = self.quote(order.symbol, now)
                    est = self._estimate_price(order.order_type, "BUY", order.limit_price, order.aux_price, q)
                    v = est * order.remaining * multiplier_of(order.symbol)
                    reserved_local += v + order_commission(order.market, order.remaining, v,
                                                           tradable(order.symbol).sec_type)
            have = acct.cash.get(inst.currency, ZERO) - reserved_local
            if need_local > have:
                raise p.GatewayError(code, MSG_INSUFFICIENT_BP.format(ccy=inst.currency, need=_money(need_local),
                                                                      have=_money(max(ZERO, have))))
            return
        summary = self.summary(acct, now)
        have_base = summary["excess_liquidity"] - self._reserved_base(acct, now, exclude)
        need_base = to_base(need_local, inst.currency)
        if need_base > have_base:
            have_local = max(ZERO, have_base) * fx_per_usd(inst.currency)
            raise p.GatewayError(code, MSG_INSUFFICIENT_BP.format(ccy=inst.currency, need=_money(need_local),
                                                                  have=_money(have_local)))

    def _check_future_order(self, acct: Account, inst: FutureContract, action: str, quantity: Decimal,
                            price: Decimal, now: dt.datetime, exclude: int | None) -> None:
        """A futures order holds initial margin for what it opens, from the futures segment's cash
        (accounts without futures permission are refused)."""
        code = acct.trade_error_code
        if not acct.has_futures:
            raise p.GatewayError(code, MSG_NO_FUTURES_PERMISSION.format(account=acct.account))
        opening = self._future_opening(acct, inst.symbol, action, quantity)
        need_local = opening * price * inst.multiplier * FUTURE_INITIAL_MARGIN + \
            order_commission(inst.market, quantity, quantity * price * inst.multiplier, "FUT")
        have_base = self.futures_summary(acct, now, exclude)["available"]
        if to_base(need_local, inst.currency) > have_base:
            raise p.GatewayError(code, MSG_INSUFFICIENT_BP.format(
                ccy=inst.currency, need=_money(need_local), have=_money(max(ZERO, have_base) * fx_per_usd(inst.currency))))

    def find_order(self, acct: Account, id_=None, order_id=None) -> Order | None:
        if id_:
            return acct.orders.get(int(id_))
        if order_id:
            for order in acct.orders.values():
                if order.order_id == int(order_id):
                    return order
        return None

    def cancel(self, acct: Account, id_=None, order_id=None) -> Order:
        with self.lock:
            order = self.find_order(acct, id_, order_id)
            if order is None:
                raise p.GatewayError(acct.trade_error_code, MSG_ORDER_NOT_FOUND)
            if not order.can_cancel:
                raise p.GatewayError(acct.trade_error_code, MSG_NOT_CANCELLABLE.format(status=order.status))
            # PendingCancel until the next matching pass, which completes the cancel.
            order.status = PENDING_CANCEL
            order.update_time = self.clock.now_ms()
            self.changes.orders[order.id] = order
            return order

    def modify(self, acct: Account, biz: dict) -> Order:
        with self.lock:
            order = self.find_order(acct, biz.get("id"), biz.get("order_id"))
            if order is None:
                raise p.GatewayError(acct.trade_error_code, MSG_ORDER_NOT_FOUND)
            code = acct.trade_error_code
            if order.legs:
                raise p.GatewayError(code, MSG_COMBO_MODIFY)
            if not order.can_modify:
                raise p.GatewayError(code, MSG_NOT_MODIFIABLE.format(status=order.status))
            inst = tradable(order.symbol)
            # The SDK restates the order's contract: an option's as underlying, expiry, strike and right.
            named, current_contract = biz.get("symbol"), order.symbol
            if isinstance(inst, OptionContract):
                if biz.get("expiry"):
                    named = option_from_order(code, biz).symbol
                else:
                    current_contract = inst.root
            for name, current, value in (("action", order.action, biz.get("action")),
                                         ("order_type", order.order_type, biz.get("order_type")),
                                         ("symbol", current_contract, named)):
                if value and str(value).upper() != current:
                    raise p.GatewayError(code, MSG_MODIFY_FIELD.format(field=name))
            quantity = dec(biz.get("total_quantity"), "total_quantity") or order.quantity
            if quantity != quantity.to_integral_value() or quantity <= 0:
                raise p.GatewayError(code, MSG_LOT.format(lot=inst.lot_size))
            if quantity <= order.filled:
                raise p.GatewayError(code, MSG_MODIFY_QTY.format(filled=order.filled))
            limit_price = dec(biz.get("limit_price"), "limit_price")
            aux_price = dec(biz.get("aux_price"), "aux_price")
            trailing_percent = dec(biz.get("trailing_percent"), "trailing_percent")
            if order.order_type == "TRAIL" and (aux_price is not None or trailing_percent is not None):
                check_trail(code, aux_price, trailing_percent)  # the new distance replaces the old one
                order.trailing_percent = trailing_percent
            else:
                aux_price = aux_price if aux_price is not None else order.aux_price
            limit_price = limit_price if limit_price is not None else order.limit_price
            check_lot_and_tick(code, inst, quantity, (limit_price, aux_price if order.order_type != "TRAIL" else None))
            tif = (biz.get("time_in_force") or order.time_in_force).upper()
            if tif not in TIME_IN_FORCE:
                raise p.biz_error(f"time_in_force {tif} is not supported")
            now = self.clock.now()
            self._check_order(acct, inst, order.action, order.order_type, quantity - order.filled, limit_price,
                              aux_price, self.quote(order.symbol, now), now, exclude=order.id)
            order.quantity, order.limit_price, order.aux_price, order.time_in_force = (
                quantity, limit_price, aux_price, tif)
            if order.order_type == "TRAIL" and not order.triggered:
                order.trail_stop = None  # re-anchored at the current price with the new distance
                trail(order, self.quote(order.symbol, now).latest)
            if biz.get("outside_rth") is not None:
                order.outside_rth = bool(biz.get("outside_rth")) and order.market == "US" and inst.sec_type == "STK"
            order.update_time = self.clock.now_ms()
            self.changes.orders[order.id] = order
            return order

    # --- matching -------------------------------------------------------------------------

    def match(self, now: dt.datetime | None = None) -> int:
        """Fill, trigger, expire and finish cancelling working orders; returns the fills made."""
        now = now or self.clock.now()
        fills = 0
        with self.lock:
            for acct in self.accounts.values():
                for order in list(acct.orders.values()):
                    if not order.is_open:
                        continue
                    if order.status == PENDING_CANCEL:
                        order.status = CANCELLED
                        order.update_time = int(now.timestamp() * 1000)
                        self.changes.orders[order.id] = order
                        self._settle_legs(acct, order, order.update_time)
                        continue
                    if order.status in (INITIAL, PENDING_NEW):
                        continue
                    if self._expired(order, now):
                        order.status = CANCELLED
                        order.reason = MSG_GTD_EXPIRED if order.time_in_force == "GTD" else MSG_EXPIRED
                        order.update_time = int(now.timestamp() * 1000)
                        self.changes.orders[order.id] = order
                        self._settle_legs(acct, order, order.update_time)
                        continue
                    fills += self._match_order(acct, order, now)
            if len(self._taken) > 50_000:
                self._taken.clear()
        return fills

    def _expired(self, order: Order, now: dt.datetime) -> bool:
        if order.time_in_force == "GTD":
            return order.expire_time is not None and now.timestamp() * 1000 >= order.expire_time
        if order.time_in_force != "DAY":
            return False
        cal = CALENDARS[order.market]
        day = dt.date.fromisoformat(order.session_day)
        if self.always_open:
            return now >= cal.at(day + dt.timedelta(days=1), dt.time(0))
        if order.trading_session_type == "OVERNIGHT":  # its night ends at 04:00 of its session day
            return now >= cal.at(day, OVERNIGHT_END)
        future = tradable(order.symbol)
        if isinstance(future, FutureContract):
            return now >= future.hours.close(day)
        end = cal.active_end if (order.outside_rth and order.market == "US") else cal.regular_close
        return now >= cal.at(day, end)

    def _match_order(self, acct: Account, order: Order, now: dt.datetime) -> int:
        cal = CALENDARS[order.market]
        future = tradable(order.symbol)
        if isinstance(future, FutureContract) and not self.always_open:
            # A future trades in its own hours, its DAY orders from the trading day they were entered for.
            if not future.hours.is_open(now) or dt.date.fromisoformat(order.session_day) > future.hours.trading_day(now):
                return 0
        else:
            phase = TRADING if self.always_open else cal.phase(now)
            if order.trading_session_type == "OVERNIGHT":  # only in the night before its session day
                if not self.always_open and overnight_day(now) != dt.date.fromisoformat(order.session_day):
                    return 0
            elif phase != TRADING and not (order.outside_rth and order.order_type == "LMT" and cal.is_extended(now)):
                return 0
            elif dt.date.fromisoformat(order.session_day) > cal.local(now).date():
                return 0
        if order.legs:
            return self._match_combo(acct, order, now)
        quote = self.quote(order.symbol, now)
        buy = order.action == "BUY"
        touch = quote.ask if buy else quote.bid
        if order.order_type == "TRAIL" and not order.triggered:
            trail(order, quote.latest)
            trigger = quote.latest >= order.trail_stop if buy else quote.latest <= order.trail_stop
            if not trigger:
                self.changes.orders[order.id] = order
                return 0
            order.triggered = True
            self.changes.orders[order.id] = order
        if order.order_type in ("STP", "STP_LMT") and not order.triggered:
            trigger = quote.latest >= order.aux_price if buy else quote.latest <= order.aux_price
            if not trigger:
                return 0
            order.triggered = True
            self.changes.orders[order.id] = order
        if order.order_type in ("LMT", "STP_LMT"):
            if (buy and touch > order.limit_price) or (not buy and touch < order.limit_price):
                return 0
        if order.cash_amount is not None and order.filled == 0:
            # An amount buys (or sells) what it is worth at the price it fills at.
            order.quantity = shares_for(order.cash_amount, touch)
            if order.quantity <= 0:
                self._end(order, CANCELLED, MSG_AMOUNT_TOO_SMALL.format(amount=order.cash_amount),
                          int(now.timestamp() * 1000))
                return 1
        remaining = order.remaining
        if order.fill_cap is not None:
            remaining = min(remaining, order.fill_cap - order.filled)
            if remaining <= 0:
                return 0
        bucket = int(now.timestamp() // QUOTE_BUCKET_SECONDS)
        key = (order.symbol, order.action, bucket)
        displayed = Decimal(quote.ask_size if buy else quote.bid_size)
        available = displayed - self._taken.get(key, ZERO)
        qty = min(remaining, available)
        inst = tradable(order.symbol)
        if not order.fractional:
            qty -= qty % inst.lot_size
        if qty <= 0:
            return 0
        self._taken[key] = self._taken.get(key, ZERO) + qty
        self._fill(acct, order, qty, touch, now)
        return 1

    def _fill(self, acct: Account, order: Order, qty: Decimal, price: Decimal, now: dt.datetime) -> None:
        now_ms = int(now.timestamp() * 1000)
        value = qty * price  # the order's filled value, in price units (avgFillPrice = value / filled)
        mult = multiplier_of(order.symbol)
        sec_type = tradable(order.symbol).sec_type
        total_commission = order_commission(order.market, order.filled + qty, (order.filled_value + value) * mult,
                                            sec_type)
        commission = total_commission - order.commission
        realized = self._book(acct, order.symbol, order.action, qty, price, commission)
        order.filled += qty
        order.filled_value += value
        order.commission = total_commission
        order.realized_pnl += realized
        order.fills.append(Fill(now_ms, qty, price, commission))
        self._filled(acct, order, now_ms)
        logger.debug("fill %s %s %s %s @ %s", order.account, order.action, qty, order.symbol, price)

    def _filled(self, acct: Account, order: Order, now_ms: int) -> None:
        order.status = FILLED if order.filled >= order.quantity else PARTIALLY_FILLED
        order.update_time = order.latest_time = now_ms
        self.changes.orders[order.id] = order
        self.changes.accounts.add(acct.account)
        self._settle_legs(acct, order, now_ms)

    def _book(self, acct: Account, symbol: str, action: str, qty: Decimal, price: Decimal,
              commission: Decimal) -> Decimal:
        """One execution's cash and position: returns the P&L it realized."""
        inst = tradable(symbol)
        value = qty * price
        mult = multiplier_of(symbol)
        future = inst.sec_type == "FUT"
        signed = qty if action == "BUY" else -qty
        ccy = inst.currency
        if not future:  # a future's value never changes hands: its segment's cash moves by P&L and fees
            cash = value * mult  # what changes hands: an option's premium times its multiplier
            acct.cash[ccy] = acct.cash.get(ccy, ZERO) - (cash if action == "BUY" else -cash) - commission
        # Average cost and P&L per unit of price (Tiger's averageCost of an option is per share):
        # the commission is spread over the units it bought (a future's cost is its price alone).
        commission_units = ZERO if future else commission / mult
        pos = acct.positions.setdefault(symbol, Position(symbol))
        realized = ZERO
        held = pos.quantity
        if held == 0 or (held > 0) == (signed > 0):
            # Opening or adding: commission is part of the cost (long) or reduces proceeds (short).
            cost = value + commission_units if signed > 0 else value - commission_units
            pos.average_cost = (pos.average_cost * abs(held) + cost) / (abs(held) + qty)
            pos.quantity = held + signed
        else:
            closing = min(qty, abs(held))
            closing_commission = commission_units * closing / qty
            if held > 0:
                realized = ((price - pos.average_cost) * closing - closing_commission) * mult
            else:
                realized = ((pos.average_cost - price) * closing - closing_commission) * mult
            pos.quantity = held + signed
            opening = qty - closing
            if pos.quantity == 0:
                pos.average_cost = ZERO
            elif opening > 0:
                rest = commission_units - closing_commission
                cost = price * opening + rest if signed > 0 else price * opening - rest
                pos.average_cost = cost / opening
        if future:
            acct.futures_cash[ccy] = acct.futures_cash.get(ccy, ZERO) + realized - commission
            realized -= commission * (min(qty, abs(held)) if held and (held > 0) != (signed > 0) else ZERO) / qty
        else:
            acct.realized_pnl[ccy] = acct.realized_pnl.get(ccy, ZERO) + realized
        pos.realized_pnl += realized
        return realized

    # --- combos ---------------------------------------------------------------------------

    def place_combo(self, acct: Account, biz: dict, fault=None) -> Order:
        """A combo order as the SDK's combo_order sends it (sec_type MLEG, combo_type, contract_legs)."""
        with self.lock:
            return self._store(acct, self._combo_order(acct, biz, fault))

    def preview_combo(self, acct: Account, biz: dict) -> tuple[Order, Decimal, Decimal]:
        """(the combo as it would be placed, what it holds, its commission), placing nothing; Tiger's
        refusal as a GatewayError."""
        with self.lock:
            ids = self.next_global_id, acct.next_order_id
            try:
                order = self._combo_order(acct, biz, None)
            finally:
                self.next_global_id, acct.next_order_id = ids
            now = self.clock.now()
            touches, _ = self.combo_touch(order, now)
            return (order, self._combo_requirement(acct, order, order.quantity, now) or ZERO,
                    self._combo_commission(order, order.quantity, touches))

    def _combo_order(self, acct: Account, biz: dict, fault) -> Order:
        code = acct.trade_error_code
        now = self.clock.now()
        combo, legs = parse_legs(code, biz, lambda option: self.listed_option(code, option, now))
        order_type = (biz.get("order_type") or "LMT").upper()
        if order_type not in COMBO_ORDER_TYPES:
            raise p.GatewayError(code, MSG_COMBO_ORDER_TYPE.format(value=order_type))
        underlying = get_instrument(legs[0].underlying)
        biz = {**biz, "symbol": underlying.symbol, "sec_type": "STK", "order_type": order_type}
        order = self._build(acct, biz, fault, check=False, combo=True)
        order.combo_type = combo
        order.combo_multiplier = next(leg.units for leg in legs if leg.option)
        order.legs = [leg.row() for leg in legs]
        self._check_combo(acct, order, now, exclude=None)
        return order

    def combo_touch(self, order: Order, now: dt.datetime) -> tuple[list[Decimal], Decimal]:
        """Each leg's touch (the ask it buys at, the bid it sells at) and the combo's net price there."""
        touches = []
        for leg in order.legs:
            quote = self.quote(leg["symbol"], now)
            touches.append(quote.ask if effective(leg["action"], order.action) == "BUY" else quote.bid)
        net = net_price(order.legs, [(multiplier_of(leg["symbol"]), t) for leg, t in zip(order.legs, touches)],
                        order.combo_multiplier)
        return touches, net

    def _combo_requirement(self, acct: Account, order: Order, quantity: Decimal, now: dt.datetime) -> Decimal | None:
        """What ``quantity`` combos can lose (their net debit and more, to the worst expiry price), in
        the combo's currency; None when a rising price loses without bound (naked short calls)."""
        _, net = self.combo_touch(order, now)
        price = order.limit_price if order.order_type == "LMT" else net
        net_cost = price * order.combo_multiplier * (1 if order.action == "BUY" else -1)
        legs = [(effective(leg["action"], order.action), leg["ratio"], multiplier_of(leg["symbol"]),
                 tradable(leg["symbol"]) if multiplier_of(leg["symbol"]) > 1 else None) for leg in order.legs]
        loss = expiry_loss(legs, net_cost)
        if loss is None:
            if acct.capability == "CASH":
                return None
            # Margin accounts: the debit, plus the short options' share of the underlying's value.
            shorts = sum((r * u for a, r, u, o in legs if o is not None and a == "SELL"), 0)
            loss = max(net_cost, ZERO) + shorts * self.mark_price(order.symbol, now) * SHORT_OPTION_UNDERLYING_RATE
        return loss * quantity

    def _combo_reserved(self, acct: Account, currency: str, now: dt.datetime, exclude: int | None) -> Decimal:
        return sum((self._combo_requirement(acct, o, o.remaining, now) or ZERO for o in self.working(acct, exclude)
                    if o.legs and o.currency == currency and o.remaining > 0), ZERO)

    def _combo_commission(self, order: Order, quantity: Decimal, touches: list[Decimal]) -> Decimal:
        return sum((order_commission(order.market, quantity * leg["ratio"],
                                     quantity * leg["ratio"] * t * multiplier_of(leg["symbol"]),
                                     tradable(leg["symbol"]).sec_type)
                    for leg, t in zip(order.legs, touches)), ZERO)

    def _check_combo(self, acct: Account, order: Order, now: dt.datetime, exclude: int | None) -> None:
        """A combo holds what it can lose (cash accounts: in its currency's cash; margin: excess
        liquidity); cash accounts may not write calls the combo does not cover."""
        code = acct.trade_error_code
        need = self._combo_requirement(acct, order, order.remaining, now)
        if need is None:
            raise p.GatewayError(code, MSG_NO_POSITION)
        touches, _ = self.combo_touch(order, now)
        need += self._combo_commission(order, order.remaining, touches)
        ccy = order.currency
        if acct.capability == "CASH":
            reserved = self._combo_reserved(acct, ccy, now, exclude)
            for other in self.working(acct, exclude):
                if other.action == "BUY" and other.currency == ccy and not other.legs:
                    est = self._estimate_price(other.order_type, "BUY", other.limit_price, other.aux_price,
                                               self.quote(other.symbol, now))
                    reserved += est * other.remaining * multiplier_of(other.symbol)
            have = acct.cash.get(ccy, ZERO) - reserved
            if need > have:
                raise p.GatewayError(code, MSG_INSUFFICIENT_BP.format(ccy=ccy, need=_money(need),
                                                                      have=_money(max(ZERO, have))))
            return
        have_base = self.summary(acct, now)["excess_liquidity"] - self._reserved_base(acct, now, exclude)
        if to_base(need, ccy) > have_base:
            raise p.GatewayError(code, MSG_INSUFFICIENT_BP.format(
                ccy=ccy, need=_money(need), have=_money(max(ZERO, have_base) * fx_per_usd(ccy))))

    def _match_combo(self, acct: Account, order: Order, now: dt.datetime) -> int:
        """All legs or none: as many whole combos as every leg's displayed size allows, each leg at its touch."""
        touches, net = self.combo_touch(order, now)
        if order.order_type == "LMT":
            if (order.action == "BUY" and net > order.limit_price) or (order.action == "SELL" and net < order.limit_price):
                return 0
        bucket = int(now.timestamp() // QUOTE_BUCKET_SECONDS)
        combos = order.remaining if order.fill_cap is None else min(order.remaining, order.fill_cap - order.filled)
        for leg in order.legs:
            side = effective(leg["action"], order.action)
            quote = self.quote(leg["symbol"], now)
            shown = Decimal(quote.ask_size if side == "BUY" else quote.bid_size)
            available = shown - self._taken.get((leg["symbol"], side, bucket), ZERO)
            combos = min(combos, (available // leg["ratio"]).to_integral_value(rounding="ROUND_FLOOR"))
        if combos <= 0:
            return 0
        now_ms = int(now.timestamp() * 1000)
        commission = realized = ZERO
        for leg, touch in zip(order.legs, touches):
            side = effective(leg["action"], order.action)
            qty = combos * leg["ratio"]
            key = (leg["symbol"], side, bucket)
            self._taken[key] = self._taken.get(key, ZERO) + qty
            before = Decimal(leg.get("filled", "0"))
            value = Decimal(leg["filled_value"])
            sec_type = tradable(leg["symbol"]).sec_type
            mult = multiplier_of(leg["symbol"])
            fee = order_commission(order.market, before + qty, (value + qty * touch) * mult, sec_type) - \
                order_commission(order.market, before, value * mult, sec_type)
            realized += self._book(acct, leg["symbol"], side, qty, touch, fee)
            commission += fee
            leg["filled"] = str(before + qty)
            leg["filled_value"] = str(value + qty * touch)
            leg["fills"].append([now_ms, str(qty), str(touch)])
        order.filled += combos
        order.filled_value += combos * net
        order.commission += commission
        order.realized_pnl += realized
        order.fills.append(Fill(now_ms, combos, net, commission))
        self._filled(acct, order, now_ms)
        return 1

    @staticmethod
    def combo_description(order: Order) -> str:
        return DESCRIPTIONS.get(order.combo_type, order.combo_type)


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"
