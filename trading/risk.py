"""The one risk function every door goes through.

`evaluate` is pure: the services gather the facts (last price, open exposure, recent orders, the
position, the day's loss, kill switches) into a RiskContext, under the account's row lock for order
entry, and this decides. A refusal names the rule, its limit and the order's value.
"""

from copy import deepcopy
from dataclasses import dataclass, field, fields, replace
from decimal import ROUND_CEILING, ROUND_UP, Decimal, localcontext

from marketdata.services import fx_convert
from trading.combos import combo_max_loss, combo_words, effective_side, net_words
from trading.intents import OrderIntent, canonical_decimal
from core.errors import PermissionDenied

# Message templates (tests assert them). Each says what to change.
MSG = {
    "kill_switch": "Kill switch is {limit} ({scope}) and this order is {value}: only orders that reduce a position are accepted. Ask an operator to turn it off.",
    "closing_only": "The daily loss limit ({limit} {currency}) was reached today (the loss is now {value} {currency}): closing orders only for the rest of the day.",
    "currency": ("This account's risk policy sets money limits per currency and has none for {value} (it has {limit}), "
                 "so orders in {value} are refused. Have an admin add {value} to the policy's currency limits "
                 "(Admin → Risk policies → Currency limits, e.g. {example}), or switch the policy to one base currency."),
    "fx_rate": ("Amounts in {value} must be converted into this policy's {currency} limits, but Tiger's FX rate for "
                "{limit} could not be read ({reason}), so the order cannot be checked against them. Nothing was sent; "
                "retry in a moment."),
    "market": "Market {value} is not allowed for this account (allowed: {limit}).",
    "order_type": "Order type {value} is not allowed for this account (allowed: {limit}).",
    "denied_symbol": "Symbol {value} is on this account's deny list.",
    "allowed_symbol": "Symbol {value} is not on this account's allow list ({limit}).",
    "max_quantity": "Quantity {value} exceeds the maximum order quantity {limit}; split or reduce the order.",
    "no_quote": "The price collar and notional need {limit} and there is none for {value}, so the order is refused. Retry when quotes are available.",
    "price_collar": "Limit price {value} is more than {limit}% through the last price {last}; use a price nearer the market.",
    "max_notional": "Order notional {value} {currency}{converted} exceeds the maximum per order {limit} {currency}; reduce quantity.",
    "orders_per_minute": "This would be order number {value} in the last minute (limit {limit}); wait and retry.",
    "duplicate_intent": "An order with the same symbol, side and quantity ({value}) was entered {age}s ago (window {limit}s). If you really want a second one, wait or change the quantity.",
    "max_open_exposure": "Open exposure would be {value} {currency} (open and pending orders plus this one), above the limit {limit} {currency}; cancel orders or reduce quantity.",
    "max_option_contracts": "{value} option contracts exceed this account's maximum of {limit} per order; split or reduce the order.",
    "max_future_contracts": "{value} futures contracts exceed this account's maximum of {limit} per order; split or reduce the order.",
    "max_combo_leg": ("A leg of this combo trades {value} ({leg}), above this account's maximum of {limit} per order; "
                      "reduce the quantity of combos."),
    "combo_unbounded": ("This {combo} sells {value} calls per combo that its own legs do not cover, so its loss grows "
                        "without limit as {symbol} rises. Make it a defined-risk combo (buy a call above the one sold, "
                        "or the shares for a COVERED), or have an admin allow naked short calls in the risk policy."),
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
    max_future_contracts: int = 5
    # "base": every order is valued in `currency` (converted at Tiger's rates); "per_currency": an
    # order meets its own currency's limits (`currency`'s are the two fields above).
    limits_mode: str = "base"
    currency_limits: tuple[tuple[str, Decimal, Decimal], ...] = ()  # (currency, max notional, max exposure)

    def money_limits(self, currency: str) -> tuple[str, Decimal, Decimal] | None:
        """(limit currency, max order notional, max open exposure) that an order in `currency` meets;
        None in per-currency mode when that currency has no limits."""
        if self.limits_mode != "per_currency" or currency == self.currency:
            return self.currency, self.max_order_notional, self.max_open_exposure
        return next((row for row in self.currency_limits if row[0] == currency), None)

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
            max_future_contracts=int(snap.get("max_future_contracts", 5)),
            # Snapshots older than the limits mode were single-currency: base mode in their currency.
            limits_mode=snap.get("limits_mode", "base"),
            currency_limits=tuple((c, Decimal(v["max_order_notional"]), Decimal(v["max_open_exposure"]))
                                  for c, v in sorted((snap.get("currency_limits") or {}).items())),
        )


@dataclass(frozen=True)
class RiskContext:
    last_price: Decimal | None
    open_exposure: Decimal = Decimal("0")  # remaining notional of the account's open + pending orders
    orders_last_minute: int = 0
    duplicate_age_seconds: int | None = None  # age of the youngest same-intent order in the window
    kill_switch: str | None = None  # "global" | "account" | None
    day_loss: Decimal | None = None  # positive = money lost since the day's start
    day_loss_currency: str = ""  # the account's (its net liquidation's); blank: the policy's currency
    closing_only: bool = False  # already set today
    # Quantity that can still be closed on this side: long position minus open sells (for a SELL),
    # short position minus open buys (for a BUY). None: unknown, so treated as risk-increasing.
    closable_quantity: Decimal | None = None
    # Selling calls: how many contracts of this call may be sold covered (long calls of this contract,
    # plus shares held / multiplier, less what open call sales already use). None: unknown, so none.
    covered_calls: Decimal | None = None
    # `open_exposure` is in the order's currency; the open orders in other currencies, by currency.
    other_open_exposure: dict = field(default_factory=dict)
    # Tiger's FX rates (one unit of each currency in the account's currency, as its assets report them);
    # None when they were not read, with the reason in fx_error when reading them failed.
    fx_rates: dict | None = None
    fx_error: str = ""
    # A combo: `last_price` is its net price at the legs' last prices (None without all of them), and
    # the underlying's last price values calls it sells uncovered (where the policy allows them).
    underlying_price: Decimal | None = None
    # A combo: for each of its legs (intent.legs' order), the units (contracts, or shares for a stock
    # leg) that can still be closed on the side the leg trades: held the other way, less open orders
    # (single or combo legs) on that side. None: unknown, so the combo counts as risk-increasing.
    leg_closable: tuple | None = None


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
    # The money side: the order's currency, the currency of the limits it met, and for an order
    # converted into that currency Tiger's rate and the converted notional.
    currency: str = ""
    limit_currency: str = ""
    fx_rate: str = ""
    converted_notional: str = ""
    exposure: str = ""  # open exposure with this order, in limit_currency
    # Each money limit the order was measured against: rule -> "amount currency".
    limits: dict = field(default_factory=dict)
    # A combo, in words: each leg as it trades, the net debit or credit, the most it can lose
    # ("" when unbounded) and its notional for the limits (the maximum loss).
    combo: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        # What dataclasses.asdict gives (its lists and dicts copied), without its walk into every value:
        # each preview and place calls this four times.
        return {name: deepcopy(value) if isinstance(value, (list, dict)) else value
                for name, value in ((name, getattr(self, name)) for name in _DECISION_FIELDS)}


_DECISION_FIELDS = tuple(f.name for f in fields(RiskDecision))

# Refusals that the same order may pass a moment later, unchanged.
RETRYABLE_RULES = frozenset({"fx_rate", "no_quote", "orders_per_minute"})


class RiskRefused(PermissionDenied):
    code = "risk_refused"
    http_status = 422

    def __init__(self, decision: RiskDecision, *, account=None):
        super().__init__(decision.message, extra={"rule": decision.rule, "limit": decision.limit,
                                                 "value": decision.value, "policy_version": decision.policy_version,
                                                 "retryable": decision.rule in RETRYABLE_RULES})
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


def _converted(amount: Decimal, currency: str, limit_currency: str, rates: dict | None) -> Decimal | None:
    """`amount` in `limit_currency` at Tiger's rates, rounded up (a limit is never passed by rounding);
    None without a rate."""
    if currency == limit_currency:
        return amount
    with localcontext() as context:
        context.rounding = ROUND_CEILING
        return fx_convert(amount, currency, limit_currency, rates or {})


def _shown(amount: Decimal) -> Decimal:
    # Converted amounts carry 28 digits; shown to the cent, rounded up like the comparison.
    return amount.quantize(Decimal("0.01"), rounding=ROUND_UP)


def _money_text(amount: str, currency: str) -> str:
    return f"{amount} {currency}"


def money_notes(decision: dict, money=_money_text) -> dict[str, str]:
    """For each money limit a decision (RiskDecision.as_dict) measured, the order's amount against it
    in words, with currencies and, for a converted order, Tiger's rate: what a preview shows.
    `money(amount, currency)` writes an amount (the admin formats it for people)."""
    limits = {rule: text.rsplit(" ", 1) for rule, text in (decision.get("limits") or {}).items()}
    currency, limit_currency = decision.get("currency") or "", decision.get("limit_currency") or ""
    notes = {}
    if decision.get("notional") and "max_notional" in limits:
        amount = money(decision["notional"], currency)
        if decision.get("converted_notional"):
            amount = (f"{money(decision['converted_notional'], limit_currency)} ({amount} at {decision['fx_rate']} "
                      f"{limit_currency} per {currency}, Tiger's rate)")
        notes["max_notional"] = f"order {amount}; limit {money(*limits['max_notional'])}"
    if decision.get("exposure") and "max_open_exposure" in limits:
        notes["max_open_exposure"] = (f"open orders with this one {money(decision['exposure'], limit_currency)}; "
                                      f"limit {money(*limits['max_open_exposure'])}")
    if "closing_only" in limits:
        notes["closing_only"] = f"limit {money(*limits['closing_only'])}"
    return notes


def _fmt(value) -> str:
    # Limits and values are Decimals, ints or words ("ON", "a last price"): only Decimals are canonicalised.
    return canonical_decimal(value) if isinstance(value, Decimal) else str(value)


def estimated_quantity(intent: OrderIntent, last_price: Decimal | None) -> Decimal | None:
    """The shares an order trades: its quantity, or what its amount buys at the last price (None
    without one)."""
    if intent.amount is None:
        return intent.quantity
    return (intent.amount / last_price).quantize(Decimal("0.000001")) if last_price else None


def _uncovered_calls(intent: OrderIntent) -> Decimal:
    """Calls per combo a combo sells beyond what its long calls and shares cover (a multiplier's
    worth each), once traded: what makes its loss unbounded as the underlying rises."""
    rising = Decimal(0)
    for leg in intent.legs:
        if leg.is_stock or leg.right == "CALL":
            weight = leg.ratio * (Decimal(1) if leg.is_stock else intent.units)
            rising += weight if effective_side(leg, intent.side) == "BUY" else -weight
    return max(-rising / intent.units, Decimal(0))


def _combo_value(intent: OrderIntent, ctx: RiskContext) -> tuple[Decimal, dict] | None:
    """(the combo order's value for the limits, the combo in words): its maximum loss, bounded; where
    the policy allows uncovered calls, the net paid plus those calls' worth of the underlying at its
    last price. None when a price it needs is missing."""
    net = intent.limit_price if intent.limit_price is not None else ctx.last_price
    if net is None:
        return None
    loss = combo_max_loss(intent.legs, intent.side, net, intent.units)
    words = {"legs": combo_words(intent.legs, intent.symbol, intent.side),
             "net": net_words(net, intent.side, intent.units, intent.quantity, intent.currency),
             "net_price": _fmt(net)}
    if loss is not None:
        total = loss * intent.quantity
        words["max_loss"] = f"{_fmt(total)} {intent.currency}"
        return total, words
    if ctx.underlying_price is None:
        return None
    paid = max(net * intent.units * (1 if intent.side == "BUY" else -1), Decimal(0))
    total = (paid + _uncovered_calls(intent) * intent.units * ctx.underlying_price) * intent.quantity
    words["max_loss"] = ""
    words["valued_at"] = (f"{_fmt(total)} {intent.currency}: unbounded loss, valued at the net paid plus the uncovered "
                          f"calls' shares at {_fmt(ctx.underlying_price)}")
    return total, words


def combo_reduces(intent: OrderIntent, leg_closable: tuple | None) -> bool:
    """Whether a combo only takes off what is held: each leg's side closes a position, held the
    other way, of at least what the leg trades (quantity x ratio), after the open orders on that side.
    One leg that opens (or grows) a position makes the whole combo risk-increasing."""
    if leg_closable is None or len(leg_closable) != len(intent.legs) or not intent.legs:
        return False
    return all(closable is not None and intent.quantity * leg.ratio <= closable
               for leg, closable in zip(intent.legs, leg_closable))


def oca_members(intent: OrderIntent) -> list[OrderIntent]:
    """Each order of an OCA group as an order of its own (the first is the group's own fields)."""
    return [replace(intent, order_type=o.order_type, limit_price=o.limit_price, stop_price=o.stop_price,
                    quantity=o.quantity, oca=()) for o in intent.group()]


def _evaluate_oca(*, policy: PolicyView, intent: OrderIntent, ctx: RiskContext) -> RiskDecision:
    """An OCA group works as one order: the first to fill cancels the rest. Each order must pass every
    rule on its own (the first refusal is the group's), and the group counts once, as its largest:
    its decision is that order's (notional, exposure, reference price)."""
    decisions = [evaluate(policy=policy, intent=member, ctx=ctx) for member in oca_members(intent)]
    refused = next((d for d in decisions if not d.accepted), None)
    if refused is not None:
        return refused
    largest = max(decisions, key=lambda d: Decimal(d.notional or 0))
    # The first order's own price is what its row is valued at; the others' rows carry theirs.
    return replace(largest, reference_price=decisions[0].reference_price)


def evaluate(*, policy: PolicyView, intent: OrderIntent, ctx: RiskContext) -> RiskDecision:
    if intent.is_oca:
        return _evaluate_oca(policy=policy, intent=intent, ctx=ctx)
    decision = RiskDecision(accepted=True, policy_version=policy.version)
    closable = ctx.closable_quantity
    # An order by amount: its value is the amount; its quantity the shares the amount buys now.
    quantity = estimated_quantity(intent, ctx.last_price)
    if intent.is_combo:
        decision.risk_increasing = not combo_reduces(intent, ctx.leg_closable)
    else:
        decision.risk_increasing = not (closable is not None and quantity is not None and quantity <= closable)

    def refuse(rule: str, limit, value, **more) -> RiskDecision:
        decision.accepted = False
        decision.rule = rule
        decision.limit = _fmt(limit)
        decision.value = _fmt(value)
        decision.message = MSG[rule].format(limit=_fmt(limit), value=_fmt(value),
                                            currency=decision.limit_currency or policy.currency,
                                            **{k: _fmt(v) for k, v in more.items()})
        return decision

    def passed(rule: str):
        decision.checked.append(rule)

    if ctx.kill_switch and decision.risk_increasing:
        return refuse("kill_switch", "ON", "risk-increasing", scope=ctx.kill_switch)
    passed("kill_switch")

    closing_only = ctx.closing_only
    day_loss = ctx.day_loss
    if day_loss is not None and ctx.day_loss_currency and ctx.day_loss_currency != policy.currency \
            and policy.daily_loss_limit is not None:
        # The account's equity is in its own currency; the limit is in the policy's.
        day_loss = _converted(day_loss, ctx.day_loss_currency, policy.currency, ctx.fx_rates)
        if day_loss is None and decision.risk_increasing:
            return refuse("fx_rate", f"{ctx.day_loss_currency} in {policy.currency}", ctx.day_loss_currency,
                          reason=ctx.fx_error or f"no {ctx.day_loss_currency} rate in the account's assets")
    if policy.daily_loss_limit is not None and day_loss is not None and day_loss >= policy.daily_loss_limit:
        if not closing_only:
            decision.closing_only_triggered = True
        closing_only = True
    if closing_only and decision.risk_increasing:
        loss = "not known" if day_loss is None else _shown(day_loss) if day_loss != ctx.day_loss else day_loss
        return refuse("closing_only", policy.daily_loss_limit if policy.daily_loss_limit is not None else "-", loss)
    passed("closing_only")

    decision.currency = intent.currency
    money = policy.money_limits(intent.currency)
    if money is None:
        have = ",".join([policy.currency] + [row[0] for row in policy.currency_limits])
        return refuse("currency", have, intent.currency, example=f'{{"{intent.currency}": {{"max_order_notional": '
                      f'"…", "max_open_exposure": "…"}}}}')
    limit_currency, max_notional, max_exposure = money
    decision.limit_currency = limit_currency
    decision.limits = {"max_notional": f"{_fmt(max_notional)} {limit_currency}",
                       "max_open_exposure": f"{_fmt(max_exposure)} {limit_currency}"}
    if policy.daily_loss_limit is not None:
        decision.limits["closing_only"] = f"{_fmt(policy.daily_loss_limit)} {policy.currency}"
    rate = _converted(Decimal(1), intent.currency, limit_currency, ctx.fx_rates)
    if rate is None:
        return refuse("fx_rate", f"{intent.currency} in {limit_currency}", intent.currency,
                      reason=ctx.fx_error or f"no {intent.currency} rate in the account's assets")
    if intent.currency != limit_currency:
        # Shown to 10 places (a cross rate through the account's currency has 28 digits).
        decision.fx_rate = _fmt(rate.quantize(Decimal("1E-10")) if rate.as_tuple().exponent < -10 else rate)
    passed("currency")
    if intent.market not in policy.allowed_markets:
        return refuse("market", ",".join(policy.allowed_markets) or "none", intent.market)
    passed("market")
    if intent.order_type not in policy.allowed_order_types:
        return refuse("order_type", ",".join(policy.allowed_order_types) or "none", intent.order_type)
    # A bracket's legs are orders too (a limit take-profit, a stop stop-loss); they add no exposure:
    # they close, for the entry's quantity, what the entry opens, so every money rule is the entry's.
    for leg_type, price in (("LMT", intent.take_profit_price), ("STP", intent.stop_loss_price)):
        if price is not None and leg_type not in policy.allowed_order_types:
            return refuse("order_type", ",".join(policy.allowed_order_types) or "none", leg_type)
    passed("order_type")
    if intent.symbol in policy.denied_symbols:
        return refuse("denied_symbol", ",".join(policy.denied_symbols), intent.symbol)
    passed("denied_symbol")
    if policy.allowed_symbols and intent.symbol not in policy.allowed_symbols:
        return refuse("allowed_symbol", ",".join(policy.allowed_symbols), intent.symbol)
    passed("allowed_symbol")
    if intent.is_combo:
        for leg in intent.legs:
            units = intent.quantity * leg.ratio
            limit = policy.max_order_quantity if leg.is_stock else policy.max_option_contracts
            if units > limit:
                return refuse("max_combo_leg", limit, units, leg=leg.describe(intent.symbol))
        passed("max_combo_leg")
        uncovered = _uncovered_calls(intent)
        if uncovered and not policy.allow_naked_short_calls:
            return refuse("combo_unbounded", "covered", uncovered, combo=intent.combo_type, symbol=intent.symbol)
        passed("combo_unbounded")
    elif intent.is_option:
        if intent.quantity > policy.max_option_contracts:
            return refuse("max_option_contracts", policy.max_option_contracts, intent.quantity)
        passed("max_option_contracts")
        if intent.side == "SELL" and intent.right == "CALL" and not policy.allow_naked_short_calls:
            covered = max(ctx.covered_calls or Decimal(0), Decimal(0))
            if intent.quantity > covered:
                return refuse("naked_short_call", covered, intent.quantity, multiplier=intent.units)
            passed("naked_short_call")
    elif intent.is_future:
        if intent.quantity > policy.max_future_contracts:
            return refuse("max_future_contracts", policy.max_future_contracts, intent.quantity)
        passed("max_future_contracts")
    elif quantity is not None and quantity > policy.max_order_quantity:
        return refuse("max_quantity", policy.max_order_quantity, quantity)
    elif quantity is not None:
        passed("max_quantity")

    if intent.is_combo:
        # A combo's value is the most it can lose (its limit price, or the legs' last prices for MKT).
        valued = _combo_value(intent, ctx)
        if valued is None:
            return refuse("no_quote", "the last prices of its legs and underlying", intent.symbol)
        passed("no_quote")
        notional, decision.combo = valued
        ref = notional / (intent.quantity * intent.units)
    else:
        if ctx.last_price is None or ctx.last_price <= 0:
            return refuse("no_quote", "a last price", intent.symbol)
        passed("no_quote")
        if quantity is None:  # by amount, now that the last price is known
            quantity = estimated_quantity(intent, ctx.last_price)
            if quantity > policy.max_order_quantity:
                return refuse("max_quantity", policy.max_order_quantity, quantity)
            passed("max_quantity")
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
        # An option's premium, a future's value: through the multiplier; an order by amount is worth its amount.
        notional = intent.amount if intent.amount is not None else intent.quantity * ref * intent.units
    decision.reference_price = _fmt(ref)
    decision.notional = _fmt(notional)
    value = _converted(notional, intent.currency, limit_currency, ctx.fx_rates)
    converted = ""
    if intent.currency != limit_currency:
        decision.converted_notional = _fmt(_shown(value))
        converted = f" ({_fmt(notional)} {intent.currency} at {decision.fx_rate} {limit_currency} per {intent.currency}, Tiger's rate)"
    if value > max_notional:
        return refuse("max_notional", max_notional, _shown(value) if converted else value, converted=converted)
    passed("max_notional")
    if ctx.orders_last_minute + 1 > policy.max_orders_per_minute:
        return refuse("orders_per_minute", policy.max_orders_per_minute, ctx.orders_last_minute + 1)
    passed("orders_per_minute")
    if policy.duplicate_window_seconds and ctx.duplicate_age_seconds is not None \
            and ctx.duplicate_age_seconds < policy.duplicate_window_seconds:
        return refuse("duplicate_intent", policy.duplicate_window_seconds,
                      f"{intent.side} {_fmt(intent.quantity)} {intent.symbol}" if intent.amount is None else
                      f"{intent.side} {_fmt(intent.amount)} {intent.currency} of {intent.symbol}",
                      age=ctx.duplicate_age_seconds)
    passed("duplicate_intent")
    exposure = _converted(ctx.open_exposure + notional, intent.currency, limit_currency, ctx.fx_rates)
    converted_any = intent.currency != limit_currency
    if policy.limits_mode != "per_currency":
        # Base mode: working orders in other currencies count too, converted. Per currency, each
        # currency's orders meet only that currency's limits.
        for currency, amount in sorted(ctx.other_open_exposure.items()):
            part = _converted(amount, currency, limit_currency, ctx.fx_rates) if amount else Decimal(0)
            if part is None:
                return refuse("fx_rate", f"{currency} in {limit_currency}", currency,
                              reason=ctx.fx_error or f"no {currency} rate in the account's assets")
            exposure += part
            converted_any = converted_any or bool(amount)
    decision.exposure = _fmt(_shown(exposure) if converted_any else exposure)
    if exposure > max_exposure:
        return refuse("max_open_exposure", max_exposure, _shown(exposure) if converted_any else exposure)
    passed("max_open_exposure")
    return decision
