"""The simulator's commission schedule (simple, documented, exact in Decimal).

* US stocks: USD 0.005 per share, at least USD 1.00 per order, at most 1% of the order's
  filled value.
* HK stocks: 0.03% of the filled value, at least HKD 3.00 per order.
* US options: USD 0.65 per contract, at least USD 1.00 per order.
* HK options: HKD 3.00 per contract.
* Futures: USD 1.50 per contract (CME), HKD 12.00 per contract (HKEX).

An order's commission is a function of its cumulative fills; each fill is charged the increase,
so the fills of an order always add up to exactly the order's commission.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
US_PER_SHARE = Decimal("0.005")
US_MINIMUM = Decimal("1.00")
US_MAX_RATE = Decimal("0.01")
HK_RATE = Decimal("0.0003")
HK_MINIMUM = Decimal("3.00")
US_PER_CONTRACT = Decimal("0.65")
HK_OPTION_PER_CONTRACT = Decimal("3.00")
FUTURE_PER_CONTRACT = {"US": Decimal("1.50"), "HK": Decimal("12.00")}


def order_commission(market: str, filled_quantity: Decimal, filled_value: Decimal, sec_type: str = "STK") -> Decimal:
    if filled_quantity <= 0:
        return Decimal("0.00")
    if sec_type == "OPT" and market == "HK":
        fee = filled_quantity * HK_OPTION_PER_CONTRACT
    elif sec_type == "OPT":
        fee = max(US_MINIMUM, filled_quantity * US_PER_CONTRACT)
    elif sec_type == "FUT":
        fee = filled_quantity * FUTURE_PER_CONTRACT[market]
    elif market == "HK":
        fee = max(HK_MINIMUM, filled_value * HK_RATE)
    else:
        fee = max(US_MINIMUM, filled_quantity * US_PER_SHARE)
        fee = min(fee, max(filled_value * US_MAX_RATE, CENT))
    return fee.quantize(CENT, rounding=ROUND_HALF_UP)


def estimate_range(market: str, quantity: Decimal, price: Decimal) -> tuple[Decimal, Decimal]:
    """(min, max) commission for preview: one fill, versus the worst split into lots."""
    one = order_commission(market, quantity, quantity * price)
    return one, one
