"""The broker layer's value types: what goes to Tiger and what comes back, Decimal money and UTC
times (never the SDK's floats or DataFrames), so nothing above the broker layer knows the SDK."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone as dt_timezone
from decimal import Decimal, InvalidOperation

from core.errors import InvalidInput

MAX_SYMBOL_LENGTH = 32
BAD_SYMBOL = "'{symbol}' is not a symbol: use letters, digits, '.' or '-' (e.g. 'AAPL', 'BRK.B', '00700')."


def clean_symbol(raw) -> str:
    """The one symbol rule: upper case, 1 to 32 letters, digits, '.' or '-'."""
    symbol = str(raw if raw is not None else "").strip().upper()
    if not symbol or len(symbol) > MAX_SYMBOL_LENGTH or not all(c.isalnum() or c in ".-" for c in symbol):
        raise InvalidInput(BAD_SYMBOL.format(symbol=str(raw)[:30]), code="bad_symbol")
    return symbol


def _is_hk(symbol: str) -> bool:
    # HK stocks are five digits; HK options carry HKEX's option symbol (TCH.HK, or in an identifier
    # TCH.HK260330C00380000).
    return symbol.isdigit() or ".HK" in symbol


def currency_for(symbol: str) -> str:
    """Tiger's HK symbols are five digits (options: HKEX's .HK symbol); everything else here is US-listed."""
    return "HKD" if _is_hk(symbol) else "USD"


def market_for(symbol: str) -> str:
    return "HK" if _is_hk(symbol) else "US"


HK_CODE_HINT = "No data for '{symbol}': Hong Kong codes have five digits, try '{padded}'."
NO_DATA_HINT = "No data for '{symbol}': check the ticker (US: AAPL, BRK.B; HK: five digits, e.g. 00700) with get_contract."


def symbol_hint(symbol: str) -> str:
    """What to tell a caller whose symbol returned nothing: '700' is HK 00700."""
    symbol = str(symbol).strip().upper()
    if symbol.isdigit() and len(symbol) < 5:
        return HK_CODE_HINT.format(symbol=symbol, padded=symbol.zfill(5))
    return NO_DATA_HINT.format(symbol=symbol)


def canonical_decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class ComboLeg:
    """One leg of a combo (sec_type MLEG): an option of the combo's underlying (expiry, strike, right)
    or the underlying stock itself, bought or sold `ratio` units per combo (contracts, or shares)."""

    side: str  # BUY | SELL, when the combo is bought; a sold combo trades each leg the other way
    ratio: int
    sec_type: str = "OPT"  # OPT | STK
    expiry: date | None = None
    strike: Decimal | None = None
    right: str | None = None  # CALL | PUT
    multiplier: Decimal | None = None  # an option's shares per contract, from its chain

    @property
    def is_stock(self) -> bool:
        return self.sec_type == "STK"

    @property
    def units(self) -> Decimal:
        """Shares of the underlying per unit of ratio: the option's multiplier, 1 for the stock."""
        return Decimal(1) if self.is_stock else (self.multiplier or Decimal(0))

    def canonical(self) -> dict:
        data = {"side": self.side, "ratio": self.ratio, "sec_type": self.sec_type}
        if not self.is_stock:
            data.update(expiry=self.expiry.isoformat(), strike=canonical_decimal(self.strike), right=self.right)
            if self.multiplier is not None:
                data["multiplier"] = canonical_decimal(self.multiplier)
        return data

    @classmethod
    def from_canonical(cls, data: dict) -> "ComboLeg":
        stock = data.get("sec_type") == "STK"
        return cls(side=data["side"], ratio=int(data["ratio"]), sec_type=data.get("sec_type", "OPT"),
                   expiry=None if stock else date.fromisoformat(data["expiry"]),
                   strike=None if stock else Decimal(data["strike"]), right=None if stock else data["right"],
                   multiplier=None if data.get("multiplier") is None else Decimal(data["multiplier"]))

    def describe(self, symbol: str) -> str:
        """"BUY 1 AAPL 2026-01-16 150 CALL" or "BUY 100 AAPL" (per combo)."""
        if self.is_stock:
            return f"{self.side} {self.ratio} {symbol}"
        return f"{self.side} {self.ratio} {symbol} {self.expiry} {canonical_decimal(self.strike)} {self.right}"


@dataclass(frozen=True)
class OcaOrder:
    """Another order of an OCA (one-cancels-all) group: the same contract and side as the group's first
    order, its own type and prices, and its own quantity (None: the first order's). Tiger works every
    order of the group at once; the first to fill cancels the others."""

    order_type: str  # LMT | STP | STP_LMT
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    quantity: Decimal | None = None

    def canonical(self) -> dict:
        data = {"order_type": self.order_type, "limit_price": canonical_decimal(self.limit_price),
                "stop_price": canonical_decimal(self.stop_price), "quantity": canonical_decimal(self.quantity)}
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_canonical(cls, data: dict) -> "OcaOrder":
        def number(key):
            return None if data.get(key) is None else Decimal(data[key])

        return cls(order_type=data["order_type"], limit_price=number("limit_price"), stop_price=number("stop_price"),
                   quantity=number("quantity"))


@dataclass(frozen=True)
class OrderIntent:
    """One order as asked for: what trading checks, hashes and confirms, and what the broker sends.
    trading.intents.normalise_intent builds it from a caller's input; market and currency default to
    the symbol's."""

    symbol: str
    side: str  # BUY | SELL
    quantity: Decimal | None  # None for an order by amount
    order_type: str  # MKT | LMT | STP | STP_LMT | TRAIL
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str = "DAY"
    outside_rth: bool = False
    sec_type: str = "STK"
    market: str = ""
    currency: str = ""
    account_number: str = ""
    # A trailing stop (TRAIL) trails the price by one of these: an amount in the currency (Tiger's
    # aux_price) or a percent, 0 to 100 (Tiger's trailing_percent).
    trailing_amount: Decimal | None = None
    trailing_percent: Decimal | None = None
    expire_time: datetime | None = None  # GTD orders: when Tiger cancels it, aware UTC
    # An option (sec_type OPT): `symbol` is the underlying; these name the contract. The multiplier
    # (shares per contract) is the contract's own, from its chain: values are price x quantity x it.
    # A future (sec_type FUT): `symbol` is the contract's code (ES2612), `expiry` its last trading
    # day and `multiplier` the contract's, from Tiger's contract list.
    expiry: date | None = None
    strike: Decimal | None = None
    right: str | None = None  # CALL | PUT
    multiplier: Decimal | None = None
    # A bracket: a LMT entry with attached orders Tiger holds until it fills, then works: a limit
    # (take-profit) and a stop (stop-loss) on the other side for the entry's quantity, one
    # cancelling the other (Tiger's PROFIT and LOSS order legs).
    take_profit_price: Decimal | None = None
    stop_loss_price: Decimal | None = None
    # An order by amount (Tiger's cash_amount): buy or sell this much of the instrument's currency
    # worth of shares, in fractions where the contract supports them; `quantity` is then None.
    amount: Decimal | None = None
    # A combo (sec_type MLEG, Tiger's combo order): `symbol` is the underlying, `multiplier` the option
    # legs' and `limit_price` the net price of one combo per share of it (positive: a debit paid;
    # negative: a credit received), for the legs as given when bought.
    combo_type: str | None = None
    legs: tuple = ()  # ComboLeg, in canonical order
    # An OCA group (Tiger's oca_order): this order and these others (OcaOrder), one contract, one side;
    # all work at once and the first to fill cancels the rest.
    oca: tuple = ()
    # Tiger's trading_session_type: "OVERNIGHT" for the US overnight session (a US stock's LMT order,
    # working 20:00 to 04:00 New York time); None for the regular session (and outside_rth's hours).
    trading_session_type: str | None = None

    def __post_init__(self):
        if not self.market:
            object.__setattr__(self, "market", market_for(self.symbol))
        if not self.currency:
            object.__setattr__(self, "currency", currency_for(self.symbol))

    def canonical(self) -> dict:
        # Its fields as they are (each a plain value; legs and oca are replaced below), not through
        # dataclasses.asdict, which would walk into every leg only for them to be replaced.
        data = {name: getattr(self, name) for name in _INTENT_FIELDS}
        for key in DECIMAL_FIELDS:
            data[key] = canonical_decimal(data[key])
        if data["expire_time"] is not None:
            data["expire_time"] = data["expire_time"].astimezone(dt_timezone.utc).isoformat()
        if data["expiry"] is not None:
            data["expiry"] = data["expiry"].isoformat()
        data["legs"] = [leg.canonical() for leg in self.legs] or None
        data["oca"] = [other.canonical() for other in self.oca] or None
        for key in OPTIONAL_FIELDS:  # absent unless used: earlier orders keep their hash
            if data[key] is None:
                del data[key]
        return data

    def hash(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_canonical(cls, data: dict) -> "OrderIntent":
        values = dict(data)
        for key in DECIMAL_FIELDS:
            values[key] = None if values.get(key) is None else Decimal(values[key])
        if values.get("expire_time") is not None:
            values["expire_time"] = datetime.fromisoformat(values["expire_time"])
        if values.get("expiry") is not None:
            values["expiry"] = date.fromisoformat(values["expiry"])
        values["legs"] = tuple(ComboLeg.from_canonical(leg) for leg in values.get("legs") or ())
        values["oca"] = tuple(OcaOrder.from_canonical(other) for other in values.get("oca") or ())
        return cls(**values)

    @property
    def is_amount(self) -> bool:
        return self.amount is not None

    @property
    def is_fractional(self) -> bool:
        """By amount, or a quantity that is not a whole number of shares."""
        return self.amount is not None or self.quantity != self.quantity.to_integral_value()

    @property
    def is_bracket(self) -> bool:
        return self.take_profit_price is not None or self.stop_loss_price is not None

    @property
    def is_oca(self) -> bool:
        return bool(self.oca)

    def group(self) -> list["OcaOrder"]:
        """Every order of an OCA group, this one first, each with its quantity; [this] otherwise."""
        first = OcaOrder(order_type=self.order_type, limit_price=self.limit_price, stop_price=self.stop_price,
                         quantity=self.quantity)
        return [first] + [OcaOrder(order_type=o.order_type, limit_price=o.limit_price, stop_price=o.stop_price,
                                   quantity=o.quantity if o.quantity is not None else self.quantity) for o in self.oca]

    @property
    def is_option(self) -> bool:
        return self.sec_type == "OPT"

    @property
    def is_future(self) -> bool:
        return self.sec_type == "FUT"

    @property
    def is_combo(self) -> bool:
        return self.sec_type == "MLEG"

    @property
    def units(self) -> Decimal:
        """Units of the underlying per unit of quantity: the option's, future's or combo's multiplier, 1 for a share."""
        return self.multiplier if (self.is_option or self.is_future or self.is_combo) and self.multiplier is not None \
            else Decimal(1)

    @property
    def identifier(self) -> str | None:
        """Tiger's (OCC's) option identifier, e.g. "AAPL  260116C00150000"; None for a stock."""
        if not self.is_option:
            return None
        return option_identifier(self.symbol, self.expiry, self.strike, self.right)

    @property
    def instrument(self) -> str:
        """What the order trades, as a person reads it: the symbol, the option's identifier, or the combo."""
        if self.is_combo:
            return f"{self.symbol} {self.combo_type} ({'; '.join(leg.describe(self.symbol) for leg in self.legs)})"
        return self.identifier or self.symbol


def option_identifier(symbol: str, expiry: date, strike: Decimal, right: str) -> str:
    return f"{symbol:<6}{expiry:%y%m%d}{right[0]}{int(strike * 1000):08d}"


_INTENT_FIELDS = tuple(f.name for f in fields(OrderIntent))
DECIMAL_FIELDS = ("quantity", "limit_price", "stop_price", "trailing_amount", "trailing_percent", "strike",
                  "take_profit_price", "stop_loss_price",
                  "multiplier", "amount")
OPTIONAL_FIELDS = ("trailing_amount", "trailing_percent", "expire_time", "expiry", "strike", "right", "multiplier",
                   "take_profit_price", "stop_loss_price", "amount", "combo_type", "legs", "oca",
                   "trading_session_type")


def dec(value) -> Decimal | None:
    """SDK floats (and NaN/inf placeholders) → Decimal or None, through str() so 0.1 stays 0.1."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def from_millis(value) -> datetime | None:
    if value in (None, "") or (isinstance(value, float) and math.isnan(value)):
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=dt_timezone.utc)


@dataclass(frozen=True)
class Assets:
    account: str
    currency: str
    net_liquidation: Decimal | None
    cash: Decimal | None
    buying_power: Decimal | None
    unrealized_pnl: Decimal | None
    realized_pnl: Decimal | None
    cash_by_currency: dict[str, Decimal] = field(default_factory=dict)
    # Value of one unit of each currency in `currency` (Tiger's forexRate); the same reply carries it.
    fx_rates: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Position:
    symbol: str
    sec_type: str
    market: str | None
    currency: str
    quantity: Decimal
    average_cost: Decimal | None
    latest_price: Decimal | None
    market_value: Decimal | None
    unrealized_pnl: Decimal | None
    realized_pnl: Decimal | None
    identifier: str | None = None  # an option's (OCC) identifier; `symbol` is then its underlying
    multiplier: Decimal | None = None


@dataclass(frozen=True)
class BrokerOrder:
    broker_id: str
    order_id: int | None
    account: str
    symbol: str
    side: str
    order_type: str
    quantity: Decimal
    filled_quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None
    avg_fill_price: Decimal | None
    time_in_force: str | None
    outside_rth: bool
    status: str
    currency: str | None
    commission: Decimal | None
    realized_pnl: Decimal | None
    can_modify: bool | None
    is_open: bool | None
    remark: str  # Tiger's own text: a reject or expiry reason, else the order's user mark
    reference: str  # the user mark we sent ("tm:<client_ref>"), echoed back: identifies our order
    open_time: datetime | None
    update_time: datetime | None
    trailing_amount: Decimal | None = None  # a trailing stop's distance: an amount ...
    trailing_percent: Decimal | None = None  # ... or a percent
    trail_stop_price: Decimal | None = None  # where the trailing stop stands now
    expire_time: datetime | None = None  # GTD orders
    sec_type: str = "STK"
    identifier: str | None = None  # an option's (OCC) identifier; `symbol` is then its underlying
    multiplier: Decimal | None = None
    parent_id: str | None = None  # an attached order (a bracket's leg): its entry's broker id
    amount: Decimal | None = None  # an order by amount: Tiger's total_cash_amount
    combo_type: str | None = None  # a combo (sec_type MLEG): its type and legs as Tiger lists them
    legs: tuple = ()  # BrokerLeg


@dataclass(frozen=True)
class BrokerLeg:
    """One leg of a combo as Tiger lists it, with what it filled."""

    sec_type: str
    side: str
    ratio: int
    expiry: date | None
    strike: Decimal | None
    right: str | None
    quantity: Decimal | None
    filled_quantity: Decimal | None
    avg_fill_price: Decimal | None


LEG_PROFIT, LEG_LOSS, LEG_OCA = "PROFIT", "LOSS", "OCA"


@dataclass(frozen=True)
class PlaceResult:
    broker_id: str
    order_id: int | None
    # A bracket's attached orders as Tiger acknowledged them: (broker id, PROFIT or LOSS) each.
    legs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Preview:
    is_pass: bool
    init_margin: Decimal | None
    maint_margin: Decimal | None
    equity_with_loan: Decimal | None
    min_commission: Decimal | None
    max_commission: Decimal | None
    commission_currency: str | None
    warning: str
    # Tiger's figures before the order, and the currency its margin figures are in: the change is
    # the order's margin (buying-power) impact.
    init_margin_before: Decimal | None = None
    maint_margin_before: Decimal | None = None
    equity_with_loan_before: Decimal | None = None
    margin_currency: str | None = None


@dataclass(frozen=True)
class Quote:
    symbol: str
    latest_price: Decimal | None
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    pre_close: Decimal | None
    volume: Decimal | None
    latest_time: datetime | None
    status: str | None
    currency: str


@dataclass(frozen=True)
class Bar:
    time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    amount: Decimal | None


@dataclass(frozen=True)
class BarsPage:
    bars: dict[str, list[Bar]]
    next_page_token: str | None


@dataclass(frozen=True)
class Tick:
    time: datetime
    price: Decimal
    volume: Decimal
    direction: str | None


@dataclass(frozen=True)
class Contract:
    symbol: str
    sec_type: str
    currency: str
    exchange: str | None
    market: str | None
    name: str | None
    multiplier: Decimal | None
    lot_size: Decimal | None
    shortable: bool | None
    tradeable: bool | None
    support_fractional_share: bool | None = None  # fractions and orders by amount (US stocks)


@dataclass(frozen=True)
class OptionQuote:
    identifier: str
    symbol: str
    expiry: date
    strike: Decimal
    put_call: str
    bid: Decimal | None
    ask: Decimal | None
    latest_price: Decimal | None
    volume: Decimal | None
    open_interest: Decimal | None
    multiplier: Decimal | None = None  # shares per contract, as the chain states it


@dataclass(frozen=True)
class MarketStatus:
    market: str
    status: str
    open_time: str | None


@dataclass(frozen=True)
class Fill:
    """One execution (Tiger's "transaction"): part or all of an order, at one price."""

    fill_id: str
    broker_order_id: str  # Tiger's order id (BrokerOrder.broker_id)
    account: str
    symbol: str
    sec_type: str
    market: str | None
    currency: str
    side: str  # BUY | SELL
    quantity: Decimal
    price: Decimal
    amount: Decimal  # quantity x price, in `currency`
    time: datetime


@dataclass(frozen=True)
class ValueDay:
    """One day of an account's value history, in the history's currency."""

    day: date
    net_value: Decimal | None  # Tiger's "asset": net liquidation at the day's end
    pnl: Decimal | None  # change from the previous day, net of deposits and withdrawals
    pnl_ratio: Decimal | None  # pnl / previous day's value (0.01 = 1 %)
    cash: Decimal | None
    position_value: Decimal | None
    deposits: Decimal | None
    withdrawals: Decimal | None


@dataclass(frozen=True)
class ValueHistory:
    """Tiger's analytics_asset: daily value and P&L over a range, with the range's totals."""

    currency: str
    start: date  # the range asked for
    end: date
    pnl: Decimal | None
    pnl_ratio: Decimal | None
    days: list[ValueDay]


@dataclass(frozen=True)
class TradableQuantity:
    """Tiger's estimate of the largest order an account could place now, for one symbol and price."""

    symbol: str
    side: str
    currency: str
    cash_quantity: Decimal | None  # Tiger's tradableQuantity: with cash only (selling: the salable position)
    margin_quantity: Decimal | None  # financingQuantity: using margin (selling: may include a short)
    position_quantity: Decimal | None
    salable_quantity: Decimal | None  # tradablePositionQuantity
