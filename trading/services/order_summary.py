"""What a previewed order will do, in the user's terms: the `preview` object every door shows.

    legs        every order that will work: the entry, and a bracket's take-profit and stop-loss
                (a single order is one leg), each leg of a combo, or each order of an OCA
                group (one filling cancels the others); each with its side,
                quantity, price and value
    net         the money that changes hands if it all fills at the shown prices: a debit (paid)
                or a credit (received), with currency, through the contract's multiplier
    commission  Tiger's preview of the commission (least and most)
    margin      Tiger's preview of the margin and buying-power impact: before, after, change
    max_loss    the most the order can lose where that is bounded (a long option: its premium; a
                bracket: the stop-loss distance x quantity; a long stock: what it costs), or
                "unbounded" (a short stock or a naked short call)
    session     the market session the order will trade in: regular, pre-market or post-market
                (outside_rth in those hours), futures, or queued for the next open

Amounts are plain decimal strings rounded to their currency; each part has a `text` for people.
"""

from decimal import Decimal

from broker.types import OrderIntent, Preview, canonical_decimal, option_identifier
from core.errors import ApplicationError
from core.formatting import format_money, format_price, format_quantity, money_text
from marketdata.services import account_market_status
from trading.combos import combo_max_loss, effective_side
from trading.risk import RiskDecision, oca_members

REGULAR, PRE_MARKET, POST_MARKET, OVERNIGHT, FUTURES, QUEUED, UNKNOWN = (
    "regular", "pre_market", "post_market", "overnight", "futures", "queued", "unknown")
SESSION_TEXT = {
    REGULAR: "Trades now, in the {market} regular session.",
    PRE_MARKET: "Trades now, in the {market} pre-market session (outside regular hours).",
    POST_MARKET: "Trades now, in the {market} post-market session (outside regular hours).",
    OVERNIGHT: "Trades in the {market} overnight session only (20:00 to 04:00 New York time, the nights before "
               "trading days); outside it the order waits for the next one.",
    FUTURES: "Trades now, in the future's own session at its exchange.",
    QUEUED: "The {market} market is {status}: the order is queued for the next regular open{opens}.",
    UNKNOWN: "Tiger's market status for {market} could not be read ({reason}); the order trades when the market is open.",
}
EXTENDED = {"PRE_HOUR_TRADING": PRE_MARKET, "POST_HOUR_TRADING": POST_MARKET}
STATUS_WORDS = {"NOT_YET_OPEN": "not yet open", "MIDDLE_CLOSE": "at its lunch break", "CLOSING": "closed",
                "MARKET_CLOSED": "closed today", "PRE_HOUR_TRADING": "in its pre-market session",
                "POST_HOUR_TRADING": "in its post-market session", "EARLY_CLOSED": "closed early"}


def order_summary(*, intent: OrderIntent, decision: RiskDecision, broker: Preview, market_status=None,
                  status_error: str = "") -> dict:
    """The `preview` object of one order (see the module's docstring). `market_status` is Tiger's
    status row of the order's market (broker.types.MarketStatus), or None with `status_error`."""
    if intent.is_combo:
        return {**combo_summary(intent, decision), "commission": _commission(broker, intent.currency),
                "margin": _margin(broker), "session": _session(intent, market_status, status_error)}
    if intent.is_oca:
        return {**oca_summary(intent, decision), "commission": _commission(broker, intent.currency),
                "margin": _margin(broker), "session": _session(intent, market_status, status_error)}
    price = intent.limit_price if intent.limit_price is not None else _decimal(decision.reference_price)
    legs = order_legs(intent, price)
    return {
        "legs": legs,
        "net": _net(intent, legs[0]),
        "commission": _commission(broker, intent.currency),
        "margin": _margin(broker),
        "max_loss": _max_loss(intent, decision, legs),
        "session": _session(intent, market_status, status_error),
    }


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _money(amount: Decimal | None, currency: str) -> dict:
    return {"amount": money_text(amount, currency), "currency": currency}


def order_legs(intent: OrderIntent, price: Decimal | None) -> list[dict]:
    """The entry, then a bracket's take-profit and stop-loss (the opposite side, the entry's quantity)."""
    closing = "SELL" if intent.side == "BUY" else "BUY"
    legs = [_leg("entry", intent, intent.side, intent.order_type, price, estimated=intent.limit_price is None)]
    if intent.take_profit_price is not None:
        legs.append(_leg("take_profit", intent, closing, "LMT", intent.take_profit_price))
    if intent.stop_loss_price is not None:
        legs.append(_leg("stop_loss", intent, closing, "STP", intent.stop_loss_price))
    return legs


def _leg(role: str, intent: OrderIntent, side: str, order_type: str, price: Decimal | None, *,
         estimated: bool = False) -> dict:
    currency, units = intent.currency, intent.units
    if intent.is_amount:  # an order by amount: its value is the amount; the shares follow from the price
        quantity, value = None, intent.amount
    else:
        quantity = intent.quantity
        value = None if price is None else price * quantity * units
    what = (f"{format_money(intent.amount, currency)} of" if quantity is None else format_quantity(quantity))
    at = "" if price is None else f" {'at about' if estimated else 'at'} {format_price(price, currency)}"
    times = f" x {format_quantity(units)}" if units != 1 else ""
    text = f"{ROLE_TEXT[role]}: {side} {what} {intent.instrument} {order_type}{at}"
    if value is not None:
        text += f" = {format_money(value, currency)}" + (f" (price x quantity{times})" if times else "")
    return {"role": role, "side": side, "quantity": canonical_decimal(quantity), "instrument": intent.instrument,
            "sec_type": intent.sec_type, "order_type": order_type, "price": canonical_decimal(price),
            "price_estimated": estimated, "multiplier": canonical_decimal(units), **_money(value, currency),
            "text": text}


ROLE_TEXT = {"entry": "Entry", "oca": "OCA order", "take_profit": "Take-profit (works once the entry fills)",
             "stop_loss": "Stop-loss (works once the entry fills)"}


def oca_summary(intent: OrderIntent, decision: RiskDecision) -> dict:
    """An OCA group: every order of it as a leg (role "oca"); at most one fills, so its net and its
    maximum loss are the largest of its orders'."""
    members = oca_members(intent)
    legs = []
    for member in members:
        price = member.limit_price if member.limit_price is not None else member.stop_price
        leg = _leg("oca", member, member.side, member.order_type, price)
        leg["text"] = leg["text"].replace(ROLE_TEXT["oca"], f"{ROLE_TEXT['oca']} {len(legs) + 1} of {len(members)}", 1)
        legs.append(leg)
    index = max(range(len(legs)), key=lambda i: _decimal(legs[i]["amount"]) or Decimal(0))
    net = _net(members[index], legs[index])
    net["text"] = "At most one order of the group fills. " + net["text"].replace("Net ", "Largest net ", 1)
    losses = [_max_loss(member, decision, [leg]) for member, leg in zip(members, legs)]
    unbounded = next((loss for loss in losses if not loss["bounded"]), None)
    max_loss = unbounded or max(losses, key=lambda loss: _decimal(loss["amount"]) or Decimal(0))
    return {"legs": legs, "net": net, "max_loss": max_loss}


def combo_summary(intent: OrderIntent, decision: RiskDecision) -> dict:
    """A combo's legs (each as it trades: a sold combo trades every leg the other way, `ratio` x the
    quantity), its net debit or credit at its net price (the limit, or the legs' last prices for MKT)
    and the most it can lose (trading.combos.combo_max_loss), None where uncovered calls make it unbounded."""
    currency, units, quantity = intent.currency, intent.units, intent.quantity
    legs = []
    for leg in intent.legs:
        side = effective_side(leg, intent.side)
        instrument = intent.symbol if leg.is_stock else option_identifier(intent.symbol, leg.expiry, leg.strike, leg.right)
        amount = leg.ratio * quantity
        legs.append({"role": "leg", "side": side, "quantity": canonical_decimal(amount), "instrument": instrument,
                     "sec_type": leg.sec_type, "order_type": intent.order_type, "price": None, "price_estimated": True,
                     "multiplier": canonical_decimal(leg.units), "amount": None, "currency": currency,
                     "text": f"Leg: {side} {format_quantity(amount)} {instrument} (priced by the combo's net price)"})
    net_price = intent.limit_price if intent.limit_price is not None else _decimal((decision.combo or {}).get("net_price"))
    estimated = intent.limit_price is None
    if net_price is None:
        net = {"direction": "debit" if intent.side == "BUY" else "credit", "amount": None, "currency": currency,
               "estimated": True, "text": "At the market's net price (no price is known yet)."}
        return {"legs": legs, "net": net, "max_loss": {"bounded": False, "amount": None, "currency": currency,
                                                       "text": "Not known until a net price is."}}
    paid = net_price * units * quantity * (1 if intent.side == "BUY" else -1)
    direction = "debit" if paid > 0 else "credit" if paid < 0 else "none"
    about = "about " if estimated else ""
    verb = {"debit": "paid", "credit": "received", "none": "paid or received"}[direction]
    net = {"direction": direction, **_money(abs(paid), currency), "estimated": estimated,
           "text": f"Net {direction}: {about}{format_money(abs(paid), currency)} {verb} if it fills "
                   f"({format_price(abs(net_price), currency)} per share x {format_quantity(units)} x "
                   f"{format_quantity(quantity)})."}
    loss = combo_max_loss(intent.legs, intent.side, net_price, units)
    if not decision.risk_increasing:  # every leg takes off a held leg
        max_loss = _reduces(currency)
    elif loss is None:
        max_loss = {"bounded": False, "amount": None, "currency": currency,
                    "text": "Unbounded: this combo sells calls its legs do not cover."}
    else:
        total = loss * quantity
        max_loss = {"bounded": True, **_money(total, currency),
                    "text": f"Maximum loss {format_money(total, currency)}: held to its first expiry, at the worst "
                            f"price of the underlying."}
    return {"legs": legs, "net": net, "max_loss": max_loss}


def _net(intent: OrderIntent, entry: dict) -> dict:
    """The entry's money: a debit for a buy, a credit for a sell. A future's price is no payment:
    its value is held against margin, so its net is nothing paid or received."""
    value = _decimal(entry["amount"])
    about = "about " if entry["price_estimated"] else ""
    if intent.is_future:
        shown = "" if value is None else f" (its value, {format_money(value, intent.currency)}, is held against margin)"
        return {"direction": "none", **_money(Decimal(0), intent.currency), "estimated": False,
                "text": f"Nothing is paid or received for a future when it fills{shown}."}
    direction = "debit" if intent.side == "BUY" else "credit"
    if value is None:
        return {"direction": direction, "amount": None, "currency": intent.currency, "estimated": True,
                "text": f"A {direction} at the market price (no price is known yet)."}
    verb = "paid" if direction == "debit" else "received"
    return {"direction": direction, **_money(value, intent.currency), "estimated": bool(about),
            "text": f"Net {direction}: {about}{format_money(value, intent.currency)} {verb} if it fills."}


def _commission(broker: Preview, currency: str) -> dict:
    fee_currency = broker.commission_currency or currency
    low, high = broker.min_commission, broker.max_commission
    if low is None and high is None:
        return {"min": None, "max": None, "currency": fee_currency, "text": "Tiger's preview gave no commission."}
    low, high = low if low is not None else high, high if high is not None else low
    text = format_money(low, fee_currency) if low == high else \
        f"{format_money(low, fee_currency)} to {format_money(high, fee_currency)}"
    return {"min": money_text(low, fee_currency), "max": money_text(high, fee_currency), "currency": fee_currency,
            "text": f"Commission {text} (Tiger's preview)."}


def _margin(broker: Preview) -> dict:
    """Tiger's margin figures before and after the order; the initial margin's change is the buying
    power the order uses (or frees, when negative)."""
    currency = broker.margin_currency or ""
    out = {"currency": currency}
    for name, before, after in (("initial", broker.init_margin_before, broker.init_margin),
                                ("maintenance", broker.maint_margin_before, broker.maint_margin),
                                ("equity_with_loan", broker.equity_with_loan_before, broker.equity_with_loan)):
        change = after - before if after is not None and before is not None else None
        out.update({f"{name}_before": money_text(before, currency), f"{name}_after": money_text(after, currency),
                    f"{name}_change": money_text(change, currency)})
    change = _decimal(out["initial_change"])
    if change is None:
        after = broker.init_margin
        out["text"] = ("Tiger's preview gave no margin figures." if after is None else
                       f"Initial margin after the order: {format_money(after, currency)} (Tiger's preview).")
    else:
        verb = "uses" if change >= 0 else "frees"
        out["text"] = (f"Buying power: {verb} {format_money(abs(change), currency)} (initial margin "
                       f"{format_money(broker.init_margin_before, currency)} -> {format_money(broker.init_margin, currency)}; "
                       f"maintenance {format_money(broker.maint_margin_before, currency)} -> "
                       f"{format_money(broker.maint_margin, currency)}; Tiger's preview).")
    return out


def _reduces(currency: str) -> dict:
    return {"bounded": True, **_money(Decimal(0), currency),
            "text": "This order reduces a position the account holds: it adds no new loss."}


def _max_loss(intent: OrderIntent, decision: RiskDecision, legs: list[dict]) -> dict:
    currency = intent.currency

    def bounded(amount: Decimal | None, why: str) -> dict:
        shown = "not known until a price is" if amount is None else format_money(amount, currency)
        return {"bounded": True, **_money(amount, currency), "text": f"Maximum loss {shown}: {why}."}

    if not decision.risk_increasing:
        return _reduces(currency)
    entry_price = _decimal(legs[0]["price"])
    quantity = intent.quantity
    if intent.stop_loss_price is not None and entry_price is not None:
        loss = abs(entry_price - intent.stop_loss_price) * quantity * intent.units
        return bounded(loss, f"the stop-loss distance {format_price(abs(entry_price - intent.stop_loss_price), currency)}"
                             f" x {format_quantity(quantity)} if the stop-loss fills at its price (a gap can fill it worse)")
    unbounded = {"bounded": False, "amount": None, "currency": currency}
    if intent.side == "SELL":
        if intent.is_option and intent.right == "PUT" and intent.strike is not None:
            premium = _decimal(legs[0]["amount"]) or Decimal(0)
            loss = max(Decimal(0), intent.strike * quantity * intent.units - premium)
            return bounded(loss, "the put is exercised and the underlying falls to zero (strike x quantity x multiplier, "
                                 "less the premium received)")
        what = "a naked short call" if intent.is_option else "a short future" if intent.is_future else "a short sale"
        return {**unbounded, "text": f"Unbounded: {what} loses as long as the price rises."}
    value = _decimal(legs[0]["amount"])
    if intent.is_option:
        return bounded(value, "the premium paid, if the option expires worthless")
    if intent.is_future:
        return bounded(value, "the future's whole value, should its price fall to zero")
    return bounded(value, "what the shares cost, should their price fall to zero")


def _session(intent: OrderIntent, market_status, status_error: str) -> dict:
    market = intent.market
    out = {"market": market, "market_status": None, "next_open": None}
    if intent.trading_session_type == "OVERNIGHT":
        if market_status is not None:
            out.update(market_status=str(market_status.status or "").upper(), next_open=market_status.open_time)
        return {**out, "name": OVERNIGHT, "text": SESSION_TEXT[OVERNIGHT].format(market=market)}
    if market_status is None:
        return {**out, "name": UNKNOWN, "text": SESSION_TEXT[UNKNOWN].format(market=market, reason=status_error or "none")}
    status = str(market_status.status or "").upper()
    out.update(market_status=status, next_open=market_status.open_time)
    if status == "TRADING":
        name = FUTURES if intent.is_future else REGULAR
    elif status in EXTENDED and intent.outside_rth:
        name = EXTENDED[status]
    else:
        name = QUEUED
    opens = f" ({market_status.open_time}, exchange time)" if market_status.open_time else ""
    text = SESSION_TEXT[name].format(market=market, status=STATUS_WORDS.get(status, status.lower() or "closed"),
                                     opens=opens)
    if name == QUEUED and status in EXTENDED and intent.sec_type == "STK" and market == "US":
        text += " Set outside_rth to trade now (limit orders only)."
    return {**out, "name": name, "text": text}


def market_status_for(*, account, intent: OrderIntent):
    """(Tiger's status row of the order's market, or None and why it could not be read). The
    caller has checked the actor's access to `account`."""
    try:
        rows = account_market_status(account, intent.market)
    except ApplicationError as exc:
        return None, exc.message
    row = next((r for r in rows if str(r.market).upper() == intent.market), None)
    return row, "" if row is not None else f"Tiger reported no status for {intent.market}"
