"""The tools' parameter types and annotations: the same names and meaning in every tool."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)

PREVIEW = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)

DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True)

WRITE_TOOLS = frozenset({"preview_order", "place_order", "modify_order", "cancel_order", "close_position", "combo_order"})

# Parameter types shared by every tool that takes them (the same names and meaning everywhere).
AccountParam = Annotated[
    str | None,
    Field(description="Account number from list_accounts. Omit to use your default account (or, for reads, all of yours where the tool says so)."),
]

FreshOnlyParam = Annotated[
    bool,
    Field(description="Read Tiger now instead of sharing a read up to a few seconds old (slower; spends Tiger's rate budget)."),
]

SymbolParam = Annotated[str, Field(description="Ticker, e.g. AAPL (US) or 00700 (HK).", min_length=1, max_length=32)]

OrderSymbolParam = Annotated[
    str | None, Field(description="Ticker, e.g. AAPL or 00700; an option's underlying (optional with identifier).",
                      min_length=1, max_length=32),
]

SecTypeParam = Annotated[Literal["STK", "OPT", "FUT"] | None,
                         Field(description="STK, OPT (implied by the option fields) or FUT (symbol ES: front contract, or ES2612).")]

IdentifierParam = Annotated[
    str | None, Field(description="Option: identifier from get_option_chain (instead of expiry, strike, right).",
                      min_length=15, max_length=30),
]

OptionExpiryParam = Annotated[date | None, Field(description="Option: expiry date.")]

StrikeParam = Annotated[Decimal | None, Field(description="Option: strike price.", gt=0)]

RightParam = Annotated[Literal["CALL", "PUT"] | None, Field(description="Option: CALL or PUT.")]

SideParam = Annotated[Literal["BUY", "SELL"], Field(description="BUY or SELL.")]

QuantityParam = Annotated[Decimal, Field(description="Number of shares (options, futures: contracts), as a decimal string or number; > 0.", gt=0)]

OrderQuantityParam = Annotated[Decimal | None, Field(
    description="Number of shares (options: contracts), as a decimal string or number; > 0.", gt=0)]

AmountParam = Annotated[Decimal | None, Field(
    description="Instead of quantity: money to trade, e.g. \"500\" (US stocks, MKT DAY).", gt=0)]

OrderTypeParam = Annotated[
    Literal["MKT", "LMT", "STP", "STP_LMT", "TRAIL"],
    Field(description="MKT market, LMT limit (needs limit_price), STP stop (needs stop_price), STP_LMT stop-limit (needs both), TRAIL trailing stop (needs trailing_amount or trailing_percent)."),
]

TrailAmountParam = Annotated[
    Decimal | None,
    Field(description="TRAIL only: the stop follows the price at this distance, in the instrument's currency, e.g. \"2.50\".", gt=0),
]

TrailPercentParam = Annotated[
    Decimal | None,
    Field(description="TRAIL only: the stop follows the price at this percent, e.g. \"5\" (instead of trailing_amount).", gt=0, lt=100),
]

PriceParam = Annotated[Decimal | None, Field(description="Price in the instrument's currency, as a decimal string.", gt=0)]

TakeProfitParam = Annotated[Decimal | None, Field(
    description="Bracket, LMT entry only: take-profit limit on the other side (above limit_price for a BUY); "
                "Tiger holds it until the entry fills.", gt=0)]

StopLossParam = Annotated[Decimal | None, Field(
    description="Bracket, LMT entry only: stop-loss stop on the other side (below limit_price for a BUY); "
                "one leg filling cancels the other.", gt=0)]

OcaOrdersParam = Annotated[list[dict] | None, Field(
    description="OCA group: more orders on this stock and side, each {order_type: LMT|STP|STP_LMT, limit_price, "
                "stop_price, quantity}; the first to fill cancels the rest.", max_length=9)]

SessionParam = Annotated[Literal["OVERNIGHT"] | None, Field(description="US overnight session (LMT, US stocks).")]

# place_order restates the previewed order: the same parameters, described once, on preview_order.
RestatedOcaParam = Annotated[list[dict] | None, Field(max_length=9)]
RestatedSessionParam = Literal["OVERNIGHT"] | None

TifParam = Annotated[Literal["DAY", "GTC", "GTD"], Field(description="DAY (expires at the close), GTC (good till cancelled) or GTD (good till expire_time).")]

ExpireParam = Annotated[
    datetime | None,
    Field(description="GTD only: when Tiger cancels the order, ISO 8601 with a zone, in the future, e.g. \"2026-12-31T21:00:00Z\"."),
]

RthParam = Annotated[bool, Field(description="Allow filling outside regular trading hours (US pre/post market, limit orders; not offered for HK).")]

SymbolsParam = Annotated[list[str], Field(description="Tickers, e.g. [\"AAPL\", \"MSFT\"]; at most 50.", min_length=1, max_length=50)]

TokenParam = Annotated[str | None, Field(description="confirmation_token from the preview. Without it nothing is placed or changed.")]

OrderIdParam = Annotated[int, Field(description="TigerMCP order id (order_ref in place_order / get_orders results).")]


class ComboLegIn(BaseModel):
    """One leg of a combo: an option of the underlying (identifier, or expiry, strike and right) or the stock."""

    side: Literal["BUY", "SELL"] = Field(description="BUY or SELL, for the combo bought.")
    identifier: str | None = Field(default=None, description="Option identifier, or expiry+strike+right.",
                                   min_length=15, max_length=30)
    expiry: date | None = None
    strike: Decimal | None = Field(default=None, gt=0)
    right: Literal["CALL", "PUT"] | None = None
    sec_type: Literal["OPT", "STK"] | None = Field(default=None, description="STK: the stock (COVERED, PROTECTIVE).")
    ratio: int | None = Field(default=None, ge=1, le=100000, description="Per combo: contracts (1), stock shares (100).")


ComboLegsParam = Annotated[list[ComboLegIn], Field(description="The two legs.", min_length=1, max_length=4)]

ComboTypeParam = Annotated[
    Literal["VERTICAL", "STRADDLE", "STRANGLE", "CALENDAR", "DIAGONAL", "COVERED", "PROTECTIVE"],
    Field(description="The kind of combo; its legs must have that shape."),
]

NetPriceParam = Annotated[Decimal | None, Field(
    description="LMT: net price per share of one combo, + debit paid, - credit received, e.g. \"1.25\" or \"-0.80\".")]
