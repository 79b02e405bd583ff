"""The pre-trade check: facts gathered from the broker first, then trading.risk.evaluate under the account's lock."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import TigerAccount
from audit.services import audit_record
from broker.client import broker_for
from core.errors import BrokerError
from broker.quotes import account_quotes
from trading import selectors
from trading.combos import effective_side
from trading.intents import OrderIntent, canonical_decimal
from trading.models import (
    AccountTradingState,
    LimitsMode,
    RiskPolicy,
)
from trading.risk import PolicyView, RiskContext, RiskDecision, evaluate
from trading.services.common import NEW_YORK
from trading.services.future_contracts import future_last_price
from trading.services.option_contracts import combo_last_price, option_last_price, option_underlying_stock


def trading_day(now=None) -> date:
    # US equities: the trading day is New York's calendar day.
    return (now or timezone.now()).astimezone(NEW_YORK).date()


@dataclass
class _Facts:
    last_price: Decimal | None
    net_liquidation: Decimal | None = None
    equity_currency: str = ""  # net_liquidation's (the account's currency)
    position: Decimal | None = None
    # Selling calls: long calls of this contract, shares of the underlying, and calls on it already short.
    long_calls: Decimal | None = None
    shares: Decimal | None = None
    short_calls: Decimal | None = None
    underlying: str = ""  # the stock whose shares cover calls (00700 for TCH.HK options)
    fx_rates: dict[str, Decimal] | None = None  # Tiger's, from the account's assets; None: not read
    fx_error: str = ""
    underlying_price: Decimal | None = None  # a combo's underlying
    # A combo under the kill switch or closing only: the signed position in each leg's instrument.
    leg_positions: tuple[Decimal, ...] | None = None


def _day_loss(state: AccountTradingState | None, net_liquidation: Decimal | None, today: date) -> Decimal | None:
    """Money lost since the day's starting equity (negative: gained); None until today's start is known."""
    if state is None or state.trading_day != today or state.day_start_equity is None or net_liquidation is None:
        return None
    return state.day_start_equity - net_liquidation


def last_price(account, symbol: str) -> Decimal | None:
    """The last traded price, or None when the broker has none (the risk check then refuses).
    Through the quote cache: a price collar of a few percent does not need a quote younger than the
    quote time-to-live, and a burst of previews must not spend Tiger's quote budget."""
    for quote in account_quotes(account=account, symbols=[symbol]):
        if quote.symbol.upper() == symbol.upper():
            return quote.latest_price
    return None


def position_quantity(account, symbol: str) -> Decimal:
    """Signed stock position: positive long, negative short, zero when flat."""
    total = Decimal("0")
    for position in broker_for(account).positions():
        if position.symbol.upper() == symbol.upper() and position.sec_type in ("STK", "", None):
            total += position.quantity
    return total


def _option_positions(account) -> list:
    return broker_for(account).positions(sec_type="OPT")


def _same_option(position, intent: OrderIntent) -> bool:
    return " ".join((position.identifier or "").split()) == " ".join(intent.identifier.split())


def instrument_position(account, intent: OrderIntent) -> Decimal:
    """Signed position in what `intent` trades: the stock, or this one option or future (in contracts)."""
    if intent.is_future:
        return sum((p.quantity for p in broker_for(account).positions(sec_type="FUT")
                    if p.symbol.upper() == intent.symbol), Decimal("0"))
    if not intent.is_option:
        return position_quantity(account, intent.symbol)
    return sum((p.quantity for p in _option_positions(account) if _same_option(p, intent)), Decimal("0"))


def leg_intent(intent: OrderIntent, leg) -> OrderIntent:
    """A combo's leg as an order of its own (the stock, or the one option), on the side it trades."""
    contract = {} if leg.is_stock else {"sec_type": "OPT", "expiry": leg.expiry, "strike": leg.strike,
                                         "right": leg.right, "multiplier": leg.multiplier}
    return OrderIntent(symbol=intent.symbol, side=effective_side(leg, intent.side), quantity=intent.quantity * leg.ratio,
                       order_type="MKT", market=intent.market, currency=intent.currency, **contract)


def combo_leg_positions(account, intent: OrderIntent) -> tuple[Decimal, ...]:
    """The signed position held in each leg's instrument of a combo (contracts, or shares), read once."""
    options = _option_positions(account) if any(not leg.is_stock for leg in intent.legs) else []
    held = []
    for leg in intent.legs:
        one = leg_intent(intent, leg)
        held.append(position_quantity(account, intent.symbol) if leg.is_stock else
                    sum((p.quantity for p in options if _same_option(p, one)), Decimal("0")))
    return tuple(held)


def _call_cover_facts(account, intent: OrderIntent, facts: "_Facts", actor) -> None:
    """What may cover a sale of calls: long calls of this contract, and shares of the underlying less
    the calls on it already sold short (each short call holds a multiplier's worth of shares)."""
    options = _option_positions(account)
    facts.long_calls = sum((p.quantity for p in options if _same_option(p, intent) and p.quantity > 0), Decimal("0"))
    facts.short_calls = sum((-p.quantity for p in options if p.symbol.upper() == intent.symbol
                             and p.quantity < 0 and (p.identifier or "").strip()[-9:-8] == "C"), Decimal("0"))
    facts.underlying = option_underlying_stock(actor=actor, account=account, intent=intent)
    facts.shares = max(position_quantity(account, facts.underlying), Decimal("0"))


def _needs_fx_rates(account: TigerAccount, intent: OrderIntent, policy: RiskPolicy) -> bool:
    """Base mode converts an order, or working orders, in another currency than the policy's."""
    if policy.limits_mode != LimitsMode.BASE:
        return False
    return intent.currency != policy.currency or bool(selectors.open_order_currencies(account=account) - {policy.currency})


def _gather_facts(account: TigerAccount, intent: OrderIntent, policy: RiskPolicy, actor=None,
                  state_and_switch: tuple[AccountTradingState | None, str | None] | None = None) -> _Facts:
    """Network reads, before any lock. A position is only fetched when it decides something.
    An option is valued at its own last price in the chain (read as `actor`). FX rates (Tiger's,
    riding on the assets reply, as the portfolio totals use them) only when an amount must be
    converted; rates that cannot be read are a fact too: the rule then refuses.
    `state_and_switch`: the trading state (unlocked) and the kill switch, when the caller read them
    with the policy (selectors.risk_policy_and_state); otherwise read here. Either way a switch or a
    closing-only day that begins after this read is seen under the lock, where the order then counts
    as risk-increasing (no position was read): refused, never let through."""
    if intent.is_combo:
        # Valued at its limit price, or (MKT) its legs' last prices; the underlying's values calls it sells uncovered.
        facts = _Facts(last_price=None if intent.limit_price is not None else combo_last_price(
            actor=actor, account=account, intent=intent), underlying_price=last_price(account, intent.symbol))
    elif intent.is_option:
        facts = _Facts(last_price=option_last_price(actor=actor, account=account, intent=intent))
        if intent.side == "SELL" and intent.right == "CALL" and not policy.allow_naked_short_calls:
            _call_cover_facts(account, intent, facts, actor)
    elif intent.is_future:
        facts = _Facts(last_price=future_last_price(actor=actor, account=account, intent=intent))
    else:
        facts = _Facts(last_price=last_price(account, intent.symbol))
    if policy.daily_loss_limit is not None:
        assets = broker_for(account).assets()
        facts.net_liquidation, facts.fx_rates = assets.net_liquidation, dict(assets.fx_rates)
        facts.equity_currency = assets.currency
    elif _needs_fx_rates(account, intent, policy):
        try:
            facts.fx_rates = dict(broker_for(account).assets().fx_rates)
        except BrokerError as exc:
            facts.fx_error = exc.message
    state, kill_switch = state_and_switch or selectors.trading_state_and_kill_switch(account=account)
    today = trading_day()
    day_loss = _day_loss(state, facts.net_liquidation, today)
    losing = day_loss is not None and policy.daily_loss_limit is not None and day_loss >= policy.daily_loss_limit
    if losing or (state and state.closing_only_day == today) or kill_switch:
        # Only then does reducing a position decide anything: a combo reduces when every leg does.
        if intent.is_combo:
            facts.leg_positions = combo_leg_positions(account, intent)
        else:
            facts.position = instrument_position(account, intent)
    return facts


def _covered_calls(account, intent: OrderIntent, facts: _Facts, exclude_order_id) -> Decimal | None:
    """Contracts of this call that may still be sold covered, counting open orders (read under the lock):
    shares not being sold, less calls already short, per multiplier; plus long calls of this contract;
    less every open sale of calls on the underlying (conservative: a sale closing other long calls counts too)."""
    if facts.shares is None:
        return None
    stock = OrderIntent(symbol=facts.underlying or intent.symbol, side="SELL", quantity=Decimal(1), order_type="MKT",
                        market=intent.market, currency=intent.currency)
    free_shares = max(facts.shares - selectors.open_same_side_remaining(account=account, intent=stock), Decimal(0))
    by_shares = max(free_shares // intent.units - facts.short_calls, Decimal(0))
    selling = selectors.open_call_sales(account=account, underlying=intent.symbol, exclude_order_id=exclude_order_id)
    return max(facts.long_calls + by_shares - selling, Decimal(0))


def _closable(account, leg: OrderIntent, held: Decimal, exclude_order_id) -> Decimal:
    """What one leg may still close on its side: held the other way, less the open orders on that side
    (single orders and other combos' legs; read under the lock)."""
    holding = held if leg.side == "SELL" else -held
    return max(holding - selectors.open_same_side_remaining(account=account, intent=leg,
                                                           exclude_order_id=exclude_order_id), Decimal("0"))


def _lock_state(account: TigerAccount) -> AccountTradingState:
    """Take the account's order-entry lock (call inside transaction.atomic)."""
    state = selectors.trading_state_locked(account=account)
    if state is None:  # the account's first order
        state = AccountTradingState.objects.select_for_update().get_or_create(account=account)[0]
    return state


def _read_locked(account: TigerAccount, *, idempotency_key: str | None = None,
                 exclude_order_id: int | None = None) -> tuple[datetime, selectors.OrderEntryReads]:
    """(now, what the database says) for the risk check: orders entered in the last minute, the kill
    switch, (a place) the idempotency key's order, and the open exposure, in one statement after
    _lock_state, so that what the lock's previous holder committed is seen."""
    now = timezone.now()
    return now, selectors.order_entry_reads(account=account, since=now - timedelta(seconds=60),
                                            idempotency_key=idempotency_key, exclude_order_id=exclude_order_id)


def _evaluate_locked(*, actor, account, intent, policy, facts, state, stage, exclude_order_id=None,
                     modifying=False, reads: tuple[datetime, selectors.OrderEntryReads] | None = None) -> RiskDecision:
    """Decide with the lock held; writes the risk decision event (and the closing-only switch).
    `reads`: _read_locked's, when the caller already made them under this lock (without an order to
    exclude)."""
    now, reads = reads or _read_locked(account, exclude_order_id=exclude_order_id)
    today = trading_day(now)
    if facts.net_liquidation is not None and (state.trading_day != today or state.day_start_equity is None):
        # First look at the account today: today's losses are measured from here.
        state.trading_day = today
        state.day_start_equity = facts.net_liquidation
        state.equity_currency = facts.equity_currency
        state.save()
    day_loss = _day_loss(state, facts.net_liquidation, today)
    closable = None if facts.position is None else _closable(account, intent, facts.position, exclude_order_id)
    leg_closable = None
    if facts.leg_positions is not None:
        leg_closable = tuple(_closable(account, leg_intent(intent, leg), held, exclude_order_id)
                             for leg, held in zip(intent.legs, facts.leg_positions))
    exposure = dict(reads.open_exposure)
    ctx = RiskContext(
        last_price=facts.last_price,
        open_exposure=exposure.pop(intent.currency, Decimal("0")),
        other_open_exposure=exposure,
        fx_rates=facts.fx_rates,
        fx_error=facts.fx_error,
        orders_last_minute=0 if modifying else reads.orders_entered,
        duplicate_age_seconds=None if modifying else selectors.duplicate_age_seconds(
            account=account, intent=intent, window_seconds=policy.duplicate_window_seconds, now=now),
        kill_switch=reads.kill_switch,
        day_loss=day_loss,
        day_loss_currency=facts.equity_currency,
        closing_only=state.closing_only_day == today,
        closable_quantity=closable,
        covered_calls=_covered_calls(account, intent, facts, exclude_order_id),
        underlying_price=facts.underlying_price,
        leg_closable=leg_closable,
    )
    decision = evaluate(policy=PolicyView.from_snapshot(policy.snapshot()), intent=intent, ctx=ctx)
    if decision.closing_only_triggered:
        state.closing_only_day = today
        state.save()
        audit_record(actor=actor, event_type="risk.closing_only_activated", account=account,
                     payload={"day": today.isoformat(), "day_loss": str(day_loss), "day_loss_currency": facts.equity_currency,
                              "limit": str(policy.daily_loss_limit),
                              "currency": policy.currency, "policy_version": policy.version})
    audit_record(actor=actor, event_type="risk.decision", account=account,
                 payload={"stage": stage, "order": intent.canonical(), **decision.as_dict(),
                          "open_exposure": str(ctx.open_exposure), "last_price": canonical_decimal(ctx.last_price),
                          "other_open_exposure": {c: canonical_decimal(v) for c, v in ctx.other_open_exposure.items()},
                          "fx_rates": {c: canonical_decimal(v) for c, v in (ctx.fx_rates or {}).items()}})
    return decision
