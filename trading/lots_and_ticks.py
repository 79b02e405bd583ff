"""Board lots and tick sizes: what Tiger refuses, checked before anything is sent, with the nearest
valid values in the message. Pure functions (like trading.risk.evaluate): the lot size is a fact the
caller fetched (the instrument's contract); the tick ladders are the exchanges' published tables."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from broker.types import OrderIntent, canonical_decimal
from core.errors import InvalidInput

# HKEX spread table: (upper bound, tick) for prices above the previous bound up to and including this one.
HK_TICKS = (
    (Decimal("0.25"), Decimal("0.001")), (Decimal("0.5"), Decimal("0.005")), (Decimal("10"), Decimal("0.01")),
    (Decimal("20"), Decimal("0.02")), (Decimal("100"), Decimal("0.05")), (Decimal("200"), Decimal("0.1")),
    (Decimal("500"), Decimal("0.2")), (Decimal("1000"), Decimal("0.5")), (Decimal("2000"), Decimal("1")),
    (Decimal("5000"), Decimal("2")), (Decimal("Infinity"), Decimal("5")),
)
US_TICK = Decimal("0.01")  # at or above one dollar (Reg NMS rule 612)
US_SUB_DOLLAR_TICK = Decimal("0.0001")
OPTIONS = "US options"  # the ladder of option premiums: whole cents at every price (no sub-penny)

OFF_LOT = "quantity {quantity} is not a multiple of the board lot {lot} for {symbol}: use {choices}."
OFF_TICK = ("{field} {price} is not on {symbol}'s tick ladder ({market} tick {tick} at this price): "
            "use {choices}.")


def tick_size(market: str, price: Decimal) -> Decimal:
    """The tick of the band holding `price` (bands include their upper bound, as HKEX words them)."""
    if market == "HK":
        for bound, tick in HK_TICKS:
            if price <= bound:
                return tick
    if market == OPTIONS:
        return US_TICK
    return US_TICK if price >= 1 else US_SUB_DOLLAR_TICK


def is_on_tick(market: str, price: Decimal) -> bool:
    return price > 0 and price % tick_size(market, price) == 0


def nearest_prices(market: str, price: Decimal) -> tuple[Decimal, ...]:
    """The valid prices nearest `price`: itself if valid, else the one below (when positive) and the one above.
    Every band's bounds are multiples of its tick, so both stay inside the band and on its grid."""
    if is_on_tick(market, price):
        return (price,)
    tick = tick_size(market, price)
    below = (price / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
    above = (price / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    return (below, above) if below > 0 else (above,)


def nearest_quantities(quantity: Decimal, lot: Decimal) -> tuple[Decimal, ...]:
    """Whole lots nearest `quantity`: itself if whole, else the lots below (when any) and above."""
    if quantity % lot == 0:
        return (quantity,)
    below = quantity - quantity % lot
    return (below, below + lot) if below > 0 else (below + lot,)


def _choices(values) -> str:
    return " or ".join(canonical_decimal(v) for v in values)


def check_lots_and_ticks(intent: OrderIntent, *, lot_size: Decimal | None) -> None:
    """Refuse (InvalidInput) a quantity off the board lot or a price off the tick ladder, naming the
    nearest valid values. lot_size None: the contract states none, so only Tiger can judge the lot."""
    if lot_size is not None and lot_size > 1 and intent.quantity % lot_size:
        raise InvalidInput(OFF_LOT.format(quantity=canonical_decimal(intent.quantity),
                                          lot=canonical_decimal(lot_size), symbol=intent.symbol,
                                          choices=_choices(nearest_quantities(intent.quantity, lot_size))),
                           code="not_board_lot")
    ladder = OPTIONS if intent.is_option else intent.market
    for field in ("limit_price", "stop_price", "take_profit_price", "stop_loss_price"):
        price = getattr(intent, field)
        if price is not None and not is_on_tick(ladder, price):
            raise InvalidInput(OFF_TICK.format(field=field, price=canonical_decimal(price), symbol=intent.instrument,
                                               market=ladder,
                                               tick=canonical_decimal(tick_size(ladder, price)),
                                               choices=_choices(nearest_prices(ladder, price))),
                               code="off_tick")
