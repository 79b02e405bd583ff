"""Combos (multi-leg orders, Tiger's MLEG): the shape each combo type needs, its legs normalised,
and the most one combo can lose. Pure: no database, no network.

A combo is bought or sold as a whole: `quantity` combos, each leg trading `ratio` units per combo
(an option leg's ratio in contracts, a stock leg's in shares). Its price is the net price of one
combo per share of the option multiplier, for the legs as given when bought: positive a debit paid,
negative a credit received. Selling a combo trades every leg the other way.
"""

from decimal import Decimal

from broker.types import ComboLeg, canonical_decimal
from core.errors import InvalidInput

COMBO_TYPES = ("VERTICAL", "STRADDLE", "STRANGLE", "CALENDAR", "DIAGONAL", "COVERED", "PROTECTIVE")
COMBO_ORDER_TYPES = ("LMT", "MKT")
COMBO_TIFS = ("DAY", "GTC")
# Shares per contract of US equity options: a covered or protective combo's stock leg covers the
# option leg's contracts by default (checked against the chain's multiplier before anything is sent).
US_OPTION_MULTIPLIER = 100

SHAPES = {
    "VERTICAL": ("a VERTICAL needs two calls or two puts of one expiry with different strikes, one bought and one "
                 "sold, in equal ratios, e.g. legs [{{\"expiry\":\"2026-01-16\",\"strike\":\"150\",\"right\":\"CALL\","
                 "\"side\":\"BUY\"}},{{\"expiry\":\"2026-01-16\",\"strike\":\"160\",\"right\":\"CALL\","
                 "\"side\":\"SELL\"}}]"),
    "STRADDLE": ("a STRADDLE needs a call and a put of one expiry at the same strike, both bought (or both sold), in "
                 "equal ratios"),
    "STRANGLE": ("a STRANGLE needs a call and a put of one expiry at different strikes, both bought (or both sold), "
                 "in equal ratios"),
    "CALENDAR": ("a CALENDAR needs two calls or two puts at the same strike with different expiries, one bought and "
                 "one sold, in equal ratios"),
    "DIAGONAL": ("a DIAGONAL needs two calls or two puts with different strikes and different expiries, one bought "
                 "and one sold, in equal ratios"),
    "COVERED": ("a COVERED (covered call) needs the stock bought ({{\"sec_type\":\"STK\",\"side\":\"BUY\",\"ratio\":"
                "{shares}}}: shares per combo) and a call sold, the shares covering the call ({shares} per contract)"),
    "PROTECTIVE": ("a PROTECTIVE (protective put) needs the stock bought ({{\"sec_type\":\"STK\",\"side\":\"BUY\","
                   "\"ratio\":{shares}}}: shares per combo) and a put bought, the put covering the shares "
                   "({shares} per contract)"),
}
BAD_COMBO_TYPE = "combo_type must be one of " + ", ".join(COMBO_TYPES) + " (got {value!r})."
NEEDS_COMBO_TYPE = ("legs make a combo: give combo_type (" + ", ".join(COMBO_TYPES) + "), e.g. \"VERTICAL\".")
NEEDS_LEGS = ("A {combo} combo needs legs: exactly two, each an option of the underlying (identifier, or expiry, "
              "strike and right) or the stock (sec_type STK), with side BUY or SELL and an optional ratio.")
TWO_LEGS = "A {combo} combo has exactly two legs (got {count}); {shape}."
BAD_LEG = ("legs[{index}] must be an object with side (BUY or SELL) and an option (identifier, or expiry, strike and "
           "right) or the stock (sec_type \"STK\"); got {value!r}.")
BAD_LEG_SIDE = "legs[{index}].side must be BUY or SELL (got {value!r})."
BAD_RATIO = "legs[{index}].ratio must be a whole number of contracts (or shares) per combo, 1 or more (got {value!r})."
LEG_OTHER_UNDERLYING = ("Every leg of a combo is on one underlying: legs[{index}] is on {other}, the combo on {symbol}. "
                        "Give legs of {symbol} only.")
BAD_SHAPE = "These legs do not form a {combo}: {shape}."
COMBO_ORDER_TYPE = "A combo is a LMT (a net price) or MKT order (got {value}); use one of them."
COMBO_TIF = "A combo lives DAY or GTC (got {value}); use one of them."
COMBO_NEEDS_LIMIT = ("A LMT combo needs limit_price: the net price of one combo per share, positive for a debit paid "
                     "(e.g. \"1.25\"), negative for a credit received (e.g. \"-0.80\").")
COMBO_NO_LIMIT = "limit_price is for LMT combos only; remove it or use order_type LMT."
COMBO_BAD_PRICE = ("limit_price of a combo is its net price in cents per share, e.g. \"1.25\" (debit) or \"-0.80\" "
                   "(credit) (got {value!r}).")
COMBO_NOT_HERE = ("{field} is not offered for combos; remove it (a combo's legs are in legs, its net price is "
                  "limit_price).")
COMBO_WHOLE = "quantity of a combo is a whole number of combos (got {value})."
NEEDS_SYMBOL = ("A combo needs symbol: its underlying, e.g. \"AAPL\" (or legs given by identifier, which name "
                "it).")


def _side(index: int, value) -> str:
    side = str(value or "").strip().upper()
    if side not in ("BUY", "SELL"):
        raise InvalidInput(BAD_LEG_SIDE.format(index=index, value=value), code="bad_combo_leg")
    return side


def _ratio(index: int, value, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        number = Decimal(0)
    except ValueError:
        number = Decimal(0)
    if not number.is_finite() or number < 1 or number != number.to_integral_value() or number > 100_000:
        raise InvalidInput(BAD_RATIO.format(index=index, value=value), code="bad_combo_leg")
    return int(number)


def combo_legs_normalise(combo_type, legs, *, symbol: str | None, option_contract) -> tuple[str, str, tuple]:
    """(combo type, underlying, legs in canonical order) of a combo as a caller gives it, or
    InvalidInput saying how to fix it. `option_contract(symbol=, identifier=, expiry=, strike=,
    right=, multiplier=)` is trading.intents' single-option parser (both spellings)."""
    combo = str(combo_type or "").strip().upper()
    if not combo:
        raise InvalidInput(NEEDS_COMBO_TYPE, code="bad_combo")
    if combo not in COMBO_TYPES:
        raise InvalidInput(BAD_COMBO_TYPE.format(value=combo_type), code="bad_combo")
    shape = SHAPES[combo].format(shares=US_OPTION_MULTIPLIER)
    if not legs:
        raise InvalidInput(NEEDS_LEGS.format(combo=combo), code="bad_combo")
    if not isinstance(legs, (list, tuple)) or len(legs) != 2:
        raise InvalidInput(TWO_LEGS.format(combo=combo, count=len(legs) if isinstance(legs, (list, tuple)) else 1,
                                           shape=shape), code="bad_combo")
    parsed: list[tuple[str | None, ComboLeg]] = []
    for index, raw in enumerate(legs):
        if not isinstance(raw, dict):
            raise InvalidInput(BAD_LEG.format(index=index, value=str(raw)[:60]), code="bad_combo_leg")
        side = _side(index, raw.get("side", raw.get("action")))
        stock = str(raw.get("sec_type") or "").strip().upper() == "STK"
        if stock:
            leg_symbol = raw.get("symbol")
            parsed.append((None if leg_symbol in (None, "") else str(leg_symbol).strip().upper(),
                           ComboLeg(side=side, ratio=_ratio(index, raw.get("ratio"), US_OPTION_MULTIPLIER),
                                    sec_type="STK")))
            continue
        fields = {k: raw.get(k) for k in ("identifier", "expiry", "strike", "right", "multiplier")}
        if all(v in (None, "") for v in fields.values()):
            raise InvalidInput(BAD_LEG.format(index=index, value=str(raw)[:60]), code="bad_combo_leg")
        if not fields["identifier"] and not raw.get("symbol") and symbol in (None, ""):
            raise InvalidInput(NEEDS_SYMBOL, code="bad_combo")
        underlying, expiry, strike, right, multiplier = option_contract(
            symbol=raw.get("symbol") or (None if fields["identifier"] else symbol), **fields)
        parsed.append((underlying, ComboLeg(side=side, ratio=_ratio(index, raw.get("ratio"), 1), expiry=expiry,
                                            strike=strike, right=right, multiplier=multiplier)))
    underlying = str(symbol).strip().upper() if symbol not in (None, "") else next(
        (u for u, _ in parsed if u), None)
    if underlying is None:
        raise InvalidInput(NEEDS_SYMBOL, code="bad_combo")
    for index, (other, _) in enumerate(parsed):
        if other is not None and other != underlying:
            raise InvalidInput(LEG_OTHER_UNDERLYING.format(index=index, other=other, symbol=underlying),
                               code="combo_underlying")
    shaped = tuple(leg for _, leg in parsed)
    if not combo_shape_ok(combo, shaped, US_OPTION_MULTIPLIER):
        raise InvalidInput(BAD_SHAPE.format(combo=combo, shape=shape), code="bad_combo_shape")
    return combo, underlying, tuple(sorted(shaped, key=_order))


def _order(leg: ComboLeg):
    return (leg.sec_type != "STK", leg.expiry or "", leg.right or "", leg.strike or 0, leg.side)


def combo_shape_ok(combo: str, legs: tuple, multiplier) -> bool:
    """Whether two legs form `combo` (a covered or protective combo's shares: `multiplier` per contract)."""
    options = [leg for leg in legs if not leg.is_stock]
    stocks = [leg for leg in legs if leg.is_stock]
    if combo in ("COVERED", "PROTECTIVE"):
        if len(stocks) != 1 or len(options) != 1:
            return False
        stock, option = stocks[0], options[0]
        right, side = ("CALL", "SELL") if combo == "COVERED" else ("PUT", "BUY")
        return (option.right == right and option.side == side and stock.side == "BUY"
                and stock.ratio == option.ratio * multiplier)
    if stocks or len(options) != 2:
        return False
    a, b = options
    same_right, same_expiry, same_strike = a.right == b.right, a.expiry == b.expiry, a.strike == b.strike
    opposite = a.side != b.side
    return a.ratio == b.ratio and {
        "VERTICAL": same_right and same_expiry and not same_strike and opposite,
        "STRADDLE": not same_right and same_expiry and same_strike and not opposite,
        "STRANGLE": not same_right and same_expiry and not same_strike and not opposite,
        "CALENDAR": same_right and not same_expiry and same_strike and opposite,
        "DIAGONAL": same_right and not same_expiry and not same_strike and opposite,
    }[combo]


def combo_price(value, order_type: str) -> Decimal | None:
    """A combo's net limit price: signed, in cents; None for MKT."""
    if order_type != "LMT":
        if value not in (None, ""):
            raise InvalidInput(COMBO_NO_LIMIT, code="bad_combo_price")
        return None
    if value in (None, ""):
        raise InvalidInput(COMBO_NEEDS_LIMIT, code="bad_combo_price")
    if isinstance(value, float):
        value = repr(value)
    try:
        price = Decimal(str(value).strip())
    except ArithmeticError:
        price = None
    if price is None or not price.is_finite() or price != price.quantize(Decimal("0.01")) or abs(price) >= 10 ** 9:
        raise InvalidInput(COMBO_BAD_PRICE.format(value=value), code="bad_combo_price")
    return price.quantize(Decimal("0.01"))


def effective_side(leg: ComboLeg, combo_side: str) -> str:
    """A leg's side when the combo is bought as given; the other side when it is sold."""
    return leg.side if combo_side == "BUY" else ("SELL" if leg.side == "BUY" else "BUY")


def _sign(side: str) -> int:
    return 1 if side == "BUY" else -1


def net_price(legs: tuple, prices, multiplier: Decimal) -> Decimal:
    """One combo's net price per share of `multiplier` (the BUY orientation) at the legs' prices."""
    total = sum((_sign(leg.side) * leg.ratio * leg.units * price for leg, price in zip(legs, prices)), Decimal(0))
    return total / multiplier


def combo_max_loss(legs: tuple, side: str, net: Decimal, multiplier: Decimal) -> Decimal | None:
    """The most one combo, bought (`side` BUY) or sold at net price `net`, can lose, in the currency;
    None when a rising underlying loses without bound (calls sold that the legs do not cover).

    Held to the first expiry, each option is valued at its intrinsic value then (an option that lives
    longer is worth at least that), so the loss is the net paid (negative when received) less the
    lowest payoff over the underlying's price: exact for one expiry, conservative for calendars and
    diagonals. The payoff is piecewise linear, so its lowest point is at 0 or at a strike, unless it
    falls without end as the price rises."""
    signed = [(_sign(effective_side(leg, side)) * leg.ratio * leg.units, leg) for leg in legs]
    rising = sum((w for w, leg in signed if leg.is_stock or leg.right == "CALL"), Decimal(0))
    if rising < 0:
        return None

    def payoff(price: Decimal) -> Decimal:
        total = Decimal(0)
        for weight, leg in signed:
            if leg.is_stock:
                value = price
            elif leg.right == "CALL":
                value = max(price - leg.strike, Decimal(0))
            else:
                value = max(leg.strike - price, Decimal(0))
            total += weight * value
        return total

    paid = net * multiplier * _sign(side)
    lowest = min(payoff(point) for point in [Decimal(0)] + [leg.strike for leg in legs if not leg.is_stock])
    return max(paid - lowest, Decimal(0))


def combo_words(legs: tuple, symbol: str, side: str) -> list[str]:
    """Each leg as the order trades it, e.g. ["BUY 1 AAPL 2026-01-16 150 CALL", "SELL 1 ..."]."""
    return [ComboLeg(**{**leg.__dict__, "side": effective_side(leg, side)}).describe(symbol) for leg in legs]


def net_words(net: Decimal, side: str, multiplier: Decimal, quantity: Decimal, currency: str) -> str:
    """"net debit 1.25 per share (125 USD per combo, 250 USD for 2)" or the credit."""
    paid = net * _sign(side)
    kind = "debit" if paid > 0 else "credit" if paid < 0 else "even"
    per_combo = abs(paid) * multiplier
    return (f"net {kind} {canonical_decimal(abs(net))} per share ({canonical_decimal(per_combo)} {currency} per combo, "
            f"{canonical_decimal(per_combo * quantity)} {currency} for {canonical_decimal(quantity)})")
