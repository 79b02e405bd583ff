"""The one risk function every door goes through.

`evaluate` is pure: the services gather the facts (last price, open exposure, recent orders, the
position, the day's loss, kill switches) into a RiskContext, under the account's row lock for order
entry, and this decides. A refusal names the rule, its limit and the order's value.
"""

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from trading.intents import OrderIntent, canonical_decimal
from core.errors import PermissionDenied

# Message templates (tests assert them). Each says what to change.
MSG = {
    "kill_switch": "Kill switch is {limit} ({scope}) and this order is {value}: only orders that reduce a position are accepted. Ask an operator to turn it off.",
    "closing_only": "Daily loss limit reached (loss {value} {currency} ≥ limit {limit} {currency}): closing orders only for the rest of the day.",
    "currency": ("This account's risk limits are in {limit}; orders in {value} are refused. Use an account whose "
                 "risk policy is in {value}, or have an admin change this policy's currency (Admin → Risk policies)."),
    "market": "Market {value} is not allowed for this account (allowed: {limit}).",
    "order_type": "Order type {value} is not allowed for this account (allowed: {limit}).",
    "denied_symbol": "Symbol {value} is on this account's deny list.",
    "allowed_symbol": "Symbol {value} is not on this account's allow list ({limit}).",
    "max_quantity": "Quantity {value} exceeds the maximum order quantity {limit}; split or reduce the order.",
    "no_quote": "The price collar and notional need {limit} and there is none for {value}, so the order is refused. Retry when quotes are available.",
    "price_collar": "Limit price {value} is more than {limit}% through the last price {last}; use a price nearer the market.",
    "max_notional": "Order notional {value} {currency} exceeds the maximum per order {limit} {currency}; reduce quantity.",
    "orders_per_minute": "This would be order number {value} in the last minute (limit {limit}); wait and retry.",
    "duplicate_intent": "An order with the same symbol, side and quantity ({value}) was entered {age}s ago (window {limit}s). If you really want a second one, wait or change the quantity.",
    "max_open_exposure": "Open exposure would be {value} {currency} (open and pending orders plus this one), above the limit {limit} {currency}; cancel orders or reduce quantity.",
    "max_option_contracts": "{value} option contracts exceed this account's maximum of {limit} per order; split or reduce the order.",
    "naked_short_call": ("Selling {value} call contracts would leave some uncovered: only {limit} are covered by shares "
                         "held ({multiplier} per contract) or long calls of this contract, after open orders. Buy the "
                         "shares first, reduce the quantity, or have an admin allow naked short calls in the risk policy."),
}

@dataclass(frozen=True)
class PolicyView:
    version: int
    currency: str
    max_order_quantity: Decimal
    max_order_notional: Decimal
    price_collar_pct: Decimal
    allowed_symbols: tuple[str, ...]
    denied_symbols: tuple[str, ...]
    allowed_order_types: tuple[str, ...]
    allowed_markets: tuple[str, ...]
    max_orders_per_minute: int
    duplicate_window_seconds: int
    daily_loss_limit: Decimal | None
    max_open_exposure: Decimal
    max_option_contracts: int = 10
    allow_naked_short_calls: bool = False

    @classmethod
    def from_snapshot(cls, snap: dict) -> "PolicyView":
        return cls(
            version=snap["version"],
            currency=snap["currency"],
            max_order_quantity=Decimal(snap["max_order_quantity"]),
            max_order_notional=Decimal(snap["max_order_notional"]),
            price_collar_pct=Decimal(snap["price_collar_pct"]),
            allowed_symbols=tuple(snap["allowed_symbols"]),
            denied_symbols=tuple(snap["denied_symbols"]),
            allowed_order_types=tuple(snap["allowed_order_types"]),
            allowed_markets=tuple(snap["allowed_markets"]),
            max_orders_per_minute=int(snap["max_orders_per_minute"]),
            duplicate_window_seconds=int(snap["duplicate_window_seconds"]),
            daily_loss_limit=None if snap["daily_loss_limit"] is None else Decimal(snap["daily_loss_limit"]),
            max_open_exposure=Decimal(snap["max_open_exposure"]),
            # Absent from snapshots taken before options: their defaults.
            max_option_contracts=int(snap.get("max_option_contracts", 10)),
            allow_naked_short_calls=bool(snap.get("allow_naked_short_calls", False)),
        )


@dataclass(frozen=True)
class RiskContext:
    last_price: Decimal | None
    open_exposure: Decimal = Decimal("0")  # remaining notional of the account's open + pending orders
    orders_last_minute: int = 0
    duplicate_age_seconds: int | None = None  # age of the youngest same-intent order in the window
    kill_switch: str | None = None  # "global" | "account" | None
    day_loss: Decimal | None = None  # positive = money lost since the day's start
    closing_only: bool = False  # already set today
    # Quantity that can still be closed on this side: long position minus open sells (for a SELL),
    # short position minus open buys (for a BUY). None: unknown, so treated as risk-increasing.
    closable_quantity: Decimal | None = None
    # Selling calls: how many contracts of this call may be sold covered (long calls of this contract,
    # plus shares held / multiplier, less what open call sales already use). None: unknown, so none.
    covered_calls: Decimal | None = None


@dataclass
class RiskDecision:
    accepted: bool
    policy_version: int
    rule: str = ""
    limit: str = ""
    value: str = ""
    message: str = ""
    notional: str = ""
    reference_price: str = ""
    risk_increasing: bool = True
    closing_only_triggered: bool = False
    checked: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class RiskRefused(PermissionDenied):
    code = "risk_refused"
    http_status = 422

    def __init__(self, decision: RiskDecision, *, account=None):
        super().__init__(decision.message, extra={"rule": decision.rule, "limit": decision.limit,
                                                 "value": decision.value, "policy_version": decision.policy_version})
        self.decision = decision
        self.account = account  # the account it was checked for (a door may not have named one)


def reference_price(intent: OrderIntent, last_price: Decimal | None) -> Decimal | None:
    """The price an order is valued at: its limit price when it has one (the most it can pay), else
    the last price (and for a stop, the worse of stop and last; a trailing stop, which follows the
    price, at the last price)."""
    if intent.limit_price is not None:
        return intent.limit_price
    if intent.stop_price is not None and last_price is not None:
        return max(intent.stop_price, last_price) if intent.side == "BUY" else min(intent.stop_price, last_price)
    return last_price


def _fmt(value) -> str:
    # Limits and values are Decimals, ints or words ("ON", "a last price"): only Decimals are canonicalised.
    return canonical_decimal(value) if isinstance(value, Decimal) else str(value)


def evaluate(*, policy: PolicyView, intent: OrderIntent, ctx: RiskContext) -> RiskDecision:
    decision = RiskDecision(accepted=True, policy_version=policy.version)
    closable = ctx.closable_quantity
    decision.risk_increasing = not (closable is not None and intent.quantity <= closable)

    def refuse(rule: str, limit, value, **more) -> RiskDecision:
        decision.accepted = False
        decision.rule = rule
        decision.limit = _fmt(limit)
        decision.value = _fmt(value)
        decision.message = MSG[rule].format(limit=_fmt(limit), value=_fmt(value), currency=policy.currency,
                                            **{k: _fmt(v) for k, v in more.items()})
        return decision

    def passed(rule: str):
        decision.checked.append(rule)

    if ctx.kill_switch and decision.risk_increasing:
        return refuse("kill_switch", "ON", "risk-increasing", scope=ctx.kill_switch)
    passed("kill_switch")

    closing_only = ctx.closing_only
    if policy.daily_loss_limit is not None and ctx.day_loss is not None and ctx.day_loss >= policy.daily_loss_limit:
        if not closing_only:
            decision.closing_only_triggered = True
        closing_only = True
    if closing_only and decision.risk_increasing:
        loss = ctx.day_loss if ctx.day_loss is not None else "≥ limit"
        return refuse("closing_only", policy.daily_loss_limit if policy.daily_loss_limit is not None else "-", loss)
    passed("closing_only")

    if intent.currency != policy.currency:
        return refuse("currency", policy.currency, intent.currency)
    passed("currency")
    if intent.market not in policy.allowed_markets:
        return refuse("market", ",".join(policy.allowed_markets) or "none", intent.market)
    passed("market")
    if intent.order_type not in policy.allowed_order_types:
        return refuse("order_type", ",".join(policy.allowed_order_types) or "none", intent.order_type)
    passed("order_type")
    if intent.symbol in policy.denied_symbols:
        return refuse("denied_symbol", ",".join(policy.denied_symbols), intent.symbol)
    passed("denied_symbol")
    if policy.allowed_symbols and intent.symbol not in policy.allowed_symbols:
        return refuse("allowed_symbol", ",".join(policy.allowed_symbols), intent.symbol)
    passed("allowed_symbol")
    if intent.is_option:
        if intent.quantity > policy.max_option_contracts:
            return refuse("max_option_contracts", policy.max_option_contracts, intent.quantity)
        passed("max_option_contracts")
        if intent.side == "SELL" and intent.right == "CALL" and not policy.allow_naked_short_calls:
            covered = max(ctx.covered_calls or Decimal(0), Decimal(0))
            if intent.quantity > covered:
                return refuse("naked_short_call", covered, intent.quantity, multiplier=intent.units)
            passed("naked_short_call")
    elif intent.quantity > policy.max_order_quantity:
        return refuse("max_quantity", policy.max_order_quantity, intent.quantity)
    else:
        passed("max_quantity")

    if ctx.last_price is None or ctx.last_price <= 0:
        return refuse("no_quote", "a last price", intent.symbol)
    passed("no_quote")
    collar = policy.price_collar_pct / Decimal(100)
    for price in (intent.limit_price, intent.stop_price if intent.order_type == "STP" else None):
        if price is None:
            continue
        # "Through" the market: paying above it on a buy, selling below it on a sell.
        if intent.side == "BUY" and price > ctx.last_price * (1 + collar):
            return refuse("price_collar", policy.price_collar_pct, price, last=ctx.last_price)
        if intent.side == "SELL" and price < ctx.last_price * (1 - collar):
            return refuse("price_collar", policy.price_collar_pct, price, last=ctx.last_price)
    passed("price_collar")

    ref = reference_price(intent, ctx.last_price)
    notional = intent.quantity * ref * intent.units  # an option's premium through its multiplier
    decision.reference_price = _fmt(ref)
    decision.notional = _fmt(notional)
    if notional > policy.max_order_notional:
        return refuse("max_notional", policy.max_order_notional, notional)
    passed("max_notional")
    if ctx.orders_last_minute + 1 > policy.max_orders_per_minute:
        return refuse("orders_per_minute", policy.max_orders_per_minute, ctx.orders_last_minute + 1)
    passed("orders_per_minute")
    if policy.duplicate_window_seconds and ctx.duplicate_age_seconds is not None \
            and ctx.duplicate_age_seconds < policy.duplicate_window_seconds:
        return refuse("duplicate_intent", policy.duplicate_window_seconds,
                      f"{intent.side} {_fmt(intent.quantity)} {intent.symbol}", age=ctx.duplicate_age_seconds)
    passed("duplicate_intent")
    exposure = ctx.open_exposure + notional
    if exposure > policy.max_open_exposure:
        return refuse("max_open_exposure", policy.max_open_exposure, exposure)
    passed("max_open_exposure")
    return decision
