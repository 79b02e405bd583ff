"""Multi-leg option orders (Tiger's combos, sec_type MLEG) as the SDK sends them: ``combo_type`` and
``contract_legs``, each leg {symbol, sec_type, expiry, strike, right, action, ratio}.

A combo is one order: ``total_quantity`` combos, each leg trading ``ratio`` units per combo (an
option leg's ratio in contracts, a stock leg's in shares). Its price is the net price of one combo
per share of the option multiplier, in the combo's BUY orientation: what buying the legs as given
costs (positive: a debit) or pays (negative: a credit), e.g. a vertical at -2.52 receives 252 USD.
Selling a combo trades every leg the other way at that net price. It fills atomically: every leg or
none, each leg at its own touch.

Tiger documents the combo types but not each refusal; the simulator's shape rules are the textbook
definitions (and the product's), so a wrong shape is refused here as at Tiger.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import protocol as p
from .instruments import OptionContract, get_instrument, option_contract

ZERO = Decimal("0")
COMBO_TYPES = ("VERTICAL", "STRADDLE", "STRANGLE", "CALENDAR", "DIAGONAL", "COVERED", "PROTECTIVE")
DESCRIPTIONS = {"VERTICAL": "Vertical", "STRADDLE": "Straddle", "STRANGLE": "Strangle", "CALENDAR": "Calendar",
                "DIAGONAL": "Diagonal", "COVERED": "Covered", "PROTECTIVE": "Protective"}
COMBO_ORDER_TYPES = ("LMT", "MKT")

MSG_COMBO_TYPE = "bad_request:combo_type {value} is not supported (supported: " + ", ".join(COMBO_TYPES) + ")"
MSG_COMBO_LEGS = "bad_request:A {combo} combo order needs exactly 2 contract_legs (got {count})"
MSG_COMBO_LEG = "bad_request:contract_legs[{index}] needs sec_type OPT (symbol, expiry, strike, right) or STK, action and ratio"
MSG_COMBO_UNDERLYING = "bad_request:The legs of a combo order must be on one underlying (got {symbols})"
MSG_COMBO_SHAPE = "bad_request:The contract legs do not form a {combo} combo: {why}"
MSG_COMBO_ORDER_TYPE = "bad_request:Combo orders are LMT or MKT (got {value})"
MSG_COMBO_MODIFY = "bad_request:A combo order cannot be modified; cancel it and place a new one"
MSG_COMBO_NOT_US = "bad_request:Combo orders are supported for US stock options only ({symbol})"

SHAPES = {
    "VERTICAL": "two calls or two puts of one expiry at different strikes, one bought and one sold, equal ratios",
    "STRADDLE": "a call and a put of one expiry at one strike, both bought or both sold, equal ratios",
    "STRANGLE": "a call and a put of one expiry at different strikes, both bought or both sold, equal ratios",
    "CALENDAR": "two calls or two puts at one strike with different expiries, one bought and one sold, equal ratios",
    "DIAGONAL": "two calls or two puts with different strikes and expiries, one bought and one sold, equal ratios",
    "COVERED": "the stock bought and a call sold (the stock's ratio the call's contracts x multiplier)",
    "PROTECTIVE": "the stock bought and a put bought (the stock's ratio the put's contracts x multiplier)",
}


class Leg:
    """One parsed leg: its instrument (a stock of the universe or an option), action and ratio."""

    def __init__(self, inst, action: str, ratio: int):
        self.inst, self.action, self.ratio = inst, action, ratio

    @property
    def option(self) -> OptionContract | None:
        return self.inst if isinstance(self.inst, OptionContract) else None

    @property
    def underlying(self) -> str:
        return self.inst.underlying if self.option else self.inst.symbol

    @property
    def units(self) -> int:
        """Shares of the underlying per unit of ratio: the option's multiplier, 1 for the stock."""
        return self.inst.multiplier if self.option else 1

    def row(self) -> dict:
        return {"symbol": self.inst.symbol, "action": self.action, "ratio": self.ratio,
                "filled_value": "0", "fills": []}


def parse_legs(code: int, biz: dict, listed_option) -> tuple[str, list[Leg]]:
    """(combo type, legs) of a combo order's payload, or Tiger's refusal. ``listed_option(contract)``
    checks an option against today's chain (refusing an unknown or expired one)."""
    combo = str(biz.get("combo_type") or "").strip().upper()
    if combo not in COMBO_TYPES:
        raise p.GatewayError(code, MSG_COMBO_TYPE.format(value=combo or "(empty)"))
    items = biz.get("contract_legs")
    if not isinstance(items, list) or len(items) != 2:
        raise p.GatewayError(code, MSG_COMBO_LEGS.format(combo=combo, count=len(items) if isinstance(items, list) else 0))
    legs = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise p.GatewayError(code, MSG_COMBO_LEG.format(index=index))
        sec_type = str(item.get("sec_type") or "").upper()
        action = str(item.get("action") or "").upper()
        try:
            ratio = int(item.get("ratio") or 1)
        except (TypeError, ValueError):
            ratio = 0
        if action not in ("BUY", "SELL") or ratio <= 0:
            raise p.GatewayError(code, MSG_COMBO_LEG.format(index=index))
        symbol = str(item.get("symbol") or "").strip().upper()
        if sec_type == "OPT":
            right = {"C": "CALL", "P": "PUT"}.get(str(item.get("right") or "").upper(), str(item.get("right") or "").upper())
            try:
                expiry = dt.datetime.strptime(str(item.get("expiry") or "").replace("-", ""), "%Y%m%d").date()
                strike = Decimal(str(item.get("strike"))).normalize()
            except (ValueError, ArithmeticError):
                raise p.GatewayError(code, MSG_COMBO_LEG.format(index=index)) from None
            if not symbol or right not in ("CALL", "PUT") or not strike.is_finite() or strike <= 0:
                raise p.GatewayError(code, MSG_COMBO_LEG.format(index=index))
            contract = option_contract(symbol, expiry, strike, right)
            if contract.market != "US":
                raise p.GatewayError(code, MSG_COMBO_NOT_US.format(symbol=symbol))
            inst = listed_option(contract)
        elif sec_type == "STK":
            inst = get_instrument(symbol)
            if inst is None:
                raise p.GatewayError(code, "bad_request:We don't support trading of this stock now")
        else:
            raise p.GatewayError(code, MSG_COMBO_LEG.format(index=index))
        legs.append(Leg(inst, action, ratio))
    underlyings = sorted({leg.underlying for leg in legs})
    if len(underlyings) != 1:
        raise p.GatewayError(code, MSG_COMBO_UNDERLYING.format(symbols=", ".join(underlyings)))
    why = shape_problem(combo, legs)
    if why:
        raise p.GatewayError(code, MSG_COMBO_SHAPE.format(combo=combo, why=why))
    return combo, legs


def shape_problem(combo: str, legs: list[Leg]) -> str:
    """What is wrong with the legs for ``combo`` ('' when they form it)."""
    options = [leg for leg in legs if leg.option]
    stocks = [leg for leg in legs if not leg.option]
    need = "it needs " + SHAPES[combo]
    if combo in ("COVERED", "PROTECTIVE"):
        right = "CALL" if combo == "COVERED" else "PUT"
        if len(stocks) != 1 or len(options) != 1 or options[0].option.right != right:
            return need
        stock, option = stocks[0], options[0]
        option_action = "SELL" if combo == "COVERED" else "BUY"
        if stock.action != "BUY" or option.action != option_action \
                or stock.ratio != option.ratio * option.units:
            return need
        return ""
    if stocks or len(options) != 2:
        return need
    a, b = (leg.option for leg in options)
    same_right = a.right == b.right
    same_expiry = a.expiry == b.expiry
    same_strike = a.strike == b.strike
    opposite = options[0].action != options[1].action
    rule = {
        "VERTICAL": same_right and same_expiry and not same_strike and opposite,
        "STRADDLE": not same_right and same_expiry and same_strike and not opposite,
        "STRANGLE": not same_right and same_expiry and not same_strike and not opposite,
        "CALENDAR": same_right and not same_expiry and same_strike and opposite,
        "DIAGONAL": same_right and not same_expiry and not same_strike and opposite,
    }[combo]
    if not rule or options[0].ratio != options[1].ratio:
        return need
    return ""


def sign(action: str) -> int:
    return 1 if action == "BUY" else -1


def effective(action: str, combo_action: str) -> str:
    """A leg's own side when the combo is bought; the other side when it is sold."""
    return action if combo_action == "BUY" else ("SELL" if action == "BUY" else "BUY")


def net_price(legs: list[dict], prices: list[Decimal], multiplier: int) -> Decimal:
    """One combo's net price per share of the multiplier, in the BUY orientation, at leg prices."""
    total = sum((sign(leg["action"]) * leg["ratio"] * units * price
                 for leg, (units, price) in zip(legs, prices)), ZERO)
    return total / multiplier


def expiry_loss(legs: list[tuple[str, int, int, OptionContract | None]], net_cost: Decimal) -> Decimal | None:
    """The most one combo can lose, held to its first expiry, valuing every option at its intrinsic
    value then (a later expiry is worth at least that): ``net_cost`` (paid, negative when received)
    less the lowest payoff over the underlying's price; None when a rising price loses without bound.
    ``legs``: (effective action, ratio, units, option or None for the stock)."""
    def payoff(price: Decimal) -> Decimal:
        total = ZERO
        for action, ratio, units, option in legs:
            if option is None:
                value = price
            elif option.right == "CALL":
                value = max(price - option.strike, ZERO)
            else:
                value = max(option.strike - price, ZERO)
            total += sign(action) * ratio * units * value
        return total

    rising = sum((sign(a) * r * u for a, r, u, o in legs if o is None or o.right == "CALL"), 0)
    if rising < 0:
        return None
    points = [ZERO] + [o.strike for _, _, _, o in legs if o is not None]
    return max(net_cost - min(payoff(x) for x in points), ZERO)
