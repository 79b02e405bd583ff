"""The fixed universe of simulated instruments and their contract data."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from . import universe
from .futures import FutureContract, future_from_code


@dataclass(frozen=True)
class Instrument:
    symbol: str
    market: str
    currency: str
    name: str
    exchange: str
    base_price: Decimal  # level at the model's epoch; the walk drifts from here
    daily_vol: float
    avg_daily_volume: int
    lot_size: int
    contract_id: int
    is_etf: bool = False
    shortable: bool = True

    @property
    def sec_type(self) -> str:
        return "STK"

    @property
    def fractional(self) -> bool:
        """Tiger's supportFractionalShare: US stocks and ETFs, except those listed whole-shares only."""
        return self.market == "US" and self.symbol not in WHOLE_SHARES_ONLY


def _rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")] for line in table.strip().splitlines()]


def _stocks(table: str, market: str, currency: str) -> list[Instrument]:
    out = []
    for symbol, name, exchange, price, vol, volume, lot, contract_id, flags in _rows(table):
        out.append(Instrument(symbol, market, currency, name, exchange, Decimal(price), float(vol), int(volume),
                              int(lot), int(contract_id), is_etf="etf" in flags.split()))
    return out


UNIVERSE: dict[str, Instrument] = {i.symbol: i for i in (
    _stocks(universe.STOCKS_US, "US", "USD") + _stocks(universe.STOCKS_HK, "HK", "HKD"))}

# US symbols Tiger lists without fractional trading (supportFractionalShare false), so the refusal
# can be exercised; HK stocks never trade in fractions.
WHOLE_SHARES_ONLY = frozenset(row[0] for row in _rows(universe.STOCKS_US) if "whole" in row[-1].split())
# Fractional quantities are kept to this many decimal places (Tiger's positionScale reaches 5).
FRACTION_PLACES = 5
OPTION_MULTIPLIER = 100


@dataclass(frozen=True)
class OptionListing:
    """The options listed on one underlying: their root (the ticker in the US, HKEX's option symbol
    in Hong Kong, e.g. TCH.HK), shares per contract, the model's implied volatility and strike step."""
    underlying: str
    root: str
    multiplier: int
    iv: float
    strike_step: Decimal


def _listings() -> dict[str, OptionListing]:
    out = {}
    for row in _rows(universe.OPTIONS):
        underlying, iv, step = row[:3]
        root, multiplier = (row[3], int(row[4])) if len(row) > 3 else (underlying, OPTION_MULTIPLIER)
        out[underlying] = OptionListing(underlying, root, multiplier, float(iv), Decimal(step))
    return out


OPTION_LISTINGS = _listings()
LISTED_OPTION_UNDERLYINGS = tuple(OPTION_LISTINGS)
_BY_ROOT = {listing.root: code for code, listing in OPTION_LISTINGS.items()}
# Hong Kong stock options: HKEX's option symbol (as Tiger's all_hk_option_symbols lists it) and the
# shares per contract of each underlying the simulator lists options on.
HK_OPTIONS = {code: (o.root, o.multiplier) for code, o in OPTION_LISTINGS.items() if o.root != code}


def option_underlying(symbol: str) -> str | None:
    """The stock whose options ``symbol`` names: a US ticker, an HK code ("700", "00700") or HKEX's
    option symbol ("TCH.HK"); None when the simulator lists no options on it."""
    symbol = normalize_symbol(symbol)
    return _BY_ROOT.get(symbol) or (symbol if symbol in OPTION_LISTINGS else None)


def option_root(underlying: str) -> str:
    """The root of an option identifier: the ticker in the US, HKEX's option symbol in Hong Kong."""
    return OPTION_LISTINGS[underlying].root if underlying in OPTION_LISTINGS else underlying


def option_multiplier(underlying: str) -> int:
    return OPTION_LISTINGS[underlying].multiplier if underlying in OPTION_LISTINGS else OPTION_MULTIPLIER


# Hong Kong's spread table, (upper bound, tick); the US uses one cent above $1.
HK_TICKS = (
    (Decimal("0.25"), Decimal("0.001")), (Decimal("0.5"), Decimal("0.005")), (Decimal("10"), Decimal("0.01")),
    (Decimal("20"), Decimal("0.02")), (Decimal("100"), Decimal("0.05")), (Decimal("200"), Decimal("0.1")),
    (Decimal("500"), Decimal("0.2")), (Decimal("1000"), Decimal("0.5")), (Decimal("2000"), Decimal("1")),
    (Decimal("5000"), Decimal("2")), (Decimal("Infinity"), Decimal("5")),
)


def normalize_symbol(symbol: str) -> str:
    symbol = (symbol or "").strip().upper()
    if symbol.isdigit() and len(symbol) < 5:
        symbol = symbol.zfill(5)  # Tiger writes HK codes with five digits
    return symbol


def get_instrument(symbol: str) -> Instrument | None:
    return UNIVERSE.get(normalize_symbol(symbol))


@dataclass(frozen=True)
class OptionContract:
    """One listed equity option, keyed (as an order's or position's symbol) by its identifier: the
    root padded to six, yymmdd, C/P, strike x 1000 in eight ("AAPL  260116C00150000" by OCC's rule,
    "TCH.HK260330C00380000" in Hong Kong). ``underlying`` is the stock (AAPL, 00700); ``root`` what
    identifiers and Tiger's items name (AAPL, TCH.HK). Built by option_contract with its listing's terms."""
    underlying: str
    expiry: dt.date
    strike: Decimal
    right: str  # CALL | PUT
    root: str = ""
    market: str = "US"
    currency: str = "USD"
    exchange: str = "CBOE"
    lot_size: int = 1
    multiplier: int = OPTION_MULTIPLIER
    shortable: bool = True
    is_etf: bool = False
    fractional: bool = False

    def __post_init__(self):
        if not self.root:
            object.__setattr__(self, "root", self.underlying)

    @property
    def sec_type(self) -> str:
        return "OPT"

    @property
    def symbol(self) -> str:
        return f"{self.root:<6}{self.expiry:%y%m%d}{self.right[0]}{int(self.strike * 1000):08d}"

    @property
    def name(self) -> str:
        return f"{self.root} {self.expiry:%Y%m%d} {self.strike.normalize():f} {self.right}"

    @property
    def contract_id(self) -> int:
        return int(self.expiry.strftime("%y%m%d")) * 10_000_000 + int(self.strike * 1000) % 10_000_000

    def json(self) -> dict:
        """The option fields Tiger's order, position and transaction items carry beside the symbol."""
        return {"symbol": self.root, "secType": "OPT", "expiry": self.expiry.strftime("%Y%m%d"),
                "strike": str(self.strike.normalize()), "right": self.right, "multiplier": float(self.multiplier),
                "identifier": self.symbol, "name": self.name}


def option_contract(name: str, expiry: dt.date, strike: Decimal, right: str) -> OptionContract:
    """The option on ``name`` (a US ticker, an HK stock code or HKEX's option symbol) with its listing's
    market, currency and shares per contract; a name without listed options keeps US terms (whether the
    contract is listed is the exchange's question)."""
    code = option_underlying(name)
    if code is None:
        return OptionContract(normalize_symbol(name), expiry, strike, right)
    if UNIVERSE[code].market == "HK":
        listing = OPTION_LISTINGS[code]
        return OptionContract(code, expiry, strike, right, root=listing.root, market="HK", currency="HKD",
                              exchange="SEHK", multiplier=listing.multiplier)
    return OptionContract(code, expiry, strike, right)


_OCC = re.compile(r"^([A-Z][A-Z0-9.]{0,5})\s*(\d{6})([CP])(\d{8})$")


def option_from_identifier(identifier: str) -> OptionContract | None:
    """The option an identifier names, or None when it is not one (any underlying: whether it is
    listed is the exchange's question)."""
    match = _OCC.match(str(identifier or "").strip().upper())
    if match is None:
        return None
    root, yymmdd, right, strike = match.groups()
    try:
        expiry = dt.datetime.strptime(yymmdd, "%y%m%d").date()
    except ValueError:
        return None
    return option_contract(root, expiry, Decimal(strike) / 1000, "CALL" if right == "C" else "PUT")


def tradable(key: str) -> Instrument | OptionContract | FutureContract | None:
    """What an order or position symbol names: a stock of the universe, an option by identifier or a
    future by its code."""
    return get_instrument(key) or option_from_identifier(key) or future_from_code(key)


def is_derivative(inst) -> bool:
    """An option or a future: a contract with a multiplier and its own fields in Tiger's items."""
    return isinstance(inst, (OptionContract, FutureContract))


def tick_size(inst: Instrument, price: Decimal) -> Decimal:
    if inst.sec_type == "OPT":
        return Decimal("0.01")
    if inst.sec_type == "FUT":
        return inst.min_tick
    if inst.market == "HK":
        for bound, tick in HK_TICKS:
            if price < bound:
                return tick
    return Decimal("0.01") if price >= 1 else Decimal("0.0001")


def tick_sizes_json(inst: Instrument) -> list[dict]:
    if inst.market == "HK":
        out, lower = [], Decimal("0.01")
        for bound, tick in HK_TICKS:
            out.append({"begin": str(lower), "end": "Infinity" if bound.is_infinite() else str(bound),
                        "type": "OPEN" if bound.is_infinite() else "CLOSED", "tickSize": float(tick)})
            lower = bound
        return out
    return [{"begin": "0", "end": "1", "type": "CLOSED", "tickSize": 0.0001},
            {"begin": "1", "end": "Infinity", "type": "OPEN", "tickSize": 0.01}]


def is_on_tick(inst: Instrument, price: Decimal) -> bool:
    tick = tick_size(inst, price)
    return (price / tick) == (price / tick).to_integral_value()


# Margin rates the simulator applies to stock positions of margin accounts.
LONG_INITIAL_MARGIN = Decimal("0.5")
LONG_MAINTENANCE_MARGIN = Decimal("0.25")
SHORT_INITIAL_MARGIN = Decimal("0.5")
SHORT_MAINTENANCE_MARGIN = Decimal("0.3")


def contract_json(inst: Instrument) -> dict:
    """Keys as Tiger's ``contract``/``contracts`` replies carry them (captured NVDA payload)."""
    return {
        "contractId": inst.contract_id, "identifier": inst.symbol, "symbol": inst.symbol, "secType": "STK",
        "multiplier": 1.0, "lotSize": float(inst.lot_size), "market": inst.market,
        "primaryExchange": inst.exchange, "exchange": inst.exchange, "currency": inst.currency,
        "localSymbol": inst.symbol, "tradingClass": inst.symbol, "name": inst.name, "status": 1,
        "tradeable": True, "marginable": True, "shortMargin": float(SHORT_INITIAL_MARGIN),
        "shortInitialMargin": float(SHORT_INITIAL_MARGIN), "shortMaintenanceMargin": float(SHORT_MAINTENANCE_MARGIN),
        "longInitialMargin": float(LONG_INITIAL_MARGIN), "longMaintenanceMargin": float(LONG_MAINTENANCE_MARGIN),
        "shortFeeRate": 3.75, "shortable": inst.shortable, "shortableCount": 10_000_000, "closeOnly": False,
        "tickSizes": tick_sizes_json(inst), "isEtf": inst.is_etf,
        "supportOvernightTrading": inst.market == "US", "supportFractionalShare": inst.fractional,
    }
