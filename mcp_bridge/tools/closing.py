"""close_position: the preview of the order that closes all or part of a position; place_order confirms it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from mcp_bridge.adapter import call, require_write
from mcp_bridge.context import current_actor
from mcp_bridge.params import AccountParam, PriceParam
from mcp_bridge.schemas import PreviewResult
from mcp_bridge.shapes import preview_out, refused_out

CLOSE_NEXT = ("Show this order to the user (it is on a {environment} account). Only after they agree, call place_order "
              "with {params} and confirmation_token before {expires}.")
# What place_order restates of the previewed order (its other parameters keep their defaults).
RESTATED = ("sec_type", "symbol", "expiry", "strike", "right", "side", "quantity", "order_type", "limit_price",
            "time_in_force", "outside_rth")
DEFAULTS = {"sec_type": "STK", "time_in_force": "DAY"}  # left out of the restatement


def _close_preview(actor, account_number, params: dict) -> PreviewResult:
    from trading.risk import RiskRefused
    from trading.services import position_close_preview

    try:
        preview = position_close_preview(actor=actor, account_number=account_number, **params)
    except RiskRefused as exc:
        return refused_out(exc.account, exc, {k: v for k, v in params.items() if v is not None})
    result = preview_out(preview, "place_order")
    restated = ", ".join(f"{key}={preview.order[key]!r}" for key in RESTATED
                         if preview.order.get(key) not in (None, "", False, DEFAULTS.get(key)))
    result.next_step = CLOSE_NEXT.format(environment=preview.environment, params=restated, expires=preview.expires_at)
    return result


async def close_position(
    symbol: Annotated[str | None, Field(description="Stock or future to close, e.g. AAPL, ES2612.",
                                        max_length=32)] = None,
    identifier: Annotated[str | None, Field(description="Or an option's identifier.", max_length=40)] = None,
    quantity: Annotated[Decimal | None, Field(description="Part to close; omit for all.", gt=0)] = None,
    order_type: Annotated[Literal["MKT", "LMT"], Field(description="MKT, or LMT with limit_price.")] = "MKT",
    limit_price: PriceParam = None, account: AccountParam = None,
) -> PreviewResult:
    """Step 1 of closing all or part of a position (SELL a long, BUY back a short): previews, places
    nothing; confirm with place_order per next_step. Allowed under the kill switch and "closing only".
    E.g. {"symbol":"AAPL"}. A spread: per leg, or combo_order side SELL."""
    await require_write("close_position")
    params = {"symbol": symbol, "identifier": identifier, "quantity": quantity, "order_type": order_type,
              "limit_price": limit_price}
    return await call(_close_preview, current_actor(), account, params)
