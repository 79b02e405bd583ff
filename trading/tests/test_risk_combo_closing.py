"""A combo that only takes off what is held (each leg's side closes a position, held the other way, of at
least what the leg trades) is risk-reducing: the kill switch and "closing only" let it through like a
closing single order. One leg that opens or grows a position makes the whole combo risk-increasing.
Hypothesis checks the rule against a per-leg oracle, with legs held long, short or not at all."""

from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from trading.risk import evaluate
from trading.tests.test_risk_combos import combo, combos, opt
from trading.tests.test_risk_rules import ctx, policy

D = Decimal
ROOMY = dict(max_order_notional=D("10000000"), max_open_exposure=D("10000000"), allow_naked_short_calls=True,
             max_option_contracts=100, max_order_quantity=D("100000"))


def _decide(intent, leg_closable, **switches):
    return evaluate(policy=policy(**ROOMY), intent=intent,
                    ctx=ctx(last_price=None, underlying_price=D("190"), leg_closable=leg_closable, **switches))


def test_selling_a_held_vertical_passes_the_kill_switch_buying_one_does_not():
    # Held: long 2 of the 190 call, short 2 of the 200 call (a debit vertical bought twice).
    vertical = [opt(190, "CALL", "BUY"), opt(200, "CALL", "SELL")]
    sell = combo("VERTICAL", vertical, side="SELL", quantity="2", limit_price="4")
    # Legs in canonical order (190 first): selling the combo sells the 190 (held 2 long), buys the 200 (held 2 short).
    d = _decide(sell, (D(2), D(2)), kill_switch="account")
    assert d.accepted and not d.risk_increasing and "kill_switch" in d.checked
    d = _decide(sell, (D(2), D(2)), closing_only=True)
    assert d.accepted and not d.risk_increasing
    # One more than held on either leg, nothing known about the legs, or buying the combo again: adds risk.
    for closable in ((D(1), D(2)), (D(2), D(1)), None):
        d = _decide(sell, closable, kill_switch="global")
        assert (d.accepted, d.rule, d.value) == (False, "kill_switch", "risk-increasing")
    buy = combo("VERTICAL", vertical, side="BUY", quantity="2", limit_price="4")
    assert _decide(buy, (D(0), D(0)), kill_switch="account").rule == "kill_switch"
    assert _decide(buy, (D(0), D(0)), closing_only=True).rule == "closing_only"
    # A reducing combo still meets every other rule (here its notional).
    d = evaluate(policy=policy(max_order_notional=D("100")), intent=sell,
                 ctx=ctx(last_price=None, underlying_price=D("190"), leg_closable=(D(2), D(2)), kill_switch="account"))
    assert (d.accepted, d.rule) == (False, "max_notional")


def test_a_covered_call_sold_back_closes_the_shares_and_the_short_call():
    covered = combo("COVERED", [{"sec_type": "STK", "side": "BUY", "ratio": 100}, opt(200, "CALL", "SELL")],
                    side="SELL", quantity="3", limit_price="180")
    legs = [leg.sec_type for leg in covered.legs]
    shares, calls = (D(300), D(3)) if legs[0] == "STK" else (D(3), D(300))
    assert not _decide(covered, (shares, calls), kill_switch="account").risk_increasing
    short = (D(299), D(3)) if legs[0] == "STK" else (D(3), D(299))
    assert _decide(covered, short, kill_switch="account").rule == "kill_switch"


@settings(max_examples=300, deadline=None)
@given(shape=combos(), side=st.sampled_from(["BUY", "SELL"]), qty=st.integers(1, 6),
       held=st.tuples(*[st.tuples(st.booleans(), st.integers(-3, 3))] * 2), switch=st.sampled_from(["kill", "closing"]),
       known=st.booleans())
def test_only_a_combo_whose_every_leg_closes_a_held_position_is_reducing(shape, side, qty, held, switch, known):
    kind, legs = shape
    intent = combo(kind, legs, side=side, quantity=str(qty), limit_price="1")
    # Held per leg, near what the leg trades (a stock leg in shares), long or short: the way that the leg
    # closes or the other way, a little more or less than it trades.
    positions = []
    for (closing_way, off), leg in zip(held, intent.legs):
        sells = (leg.side == "SELL") == (side == "BUY")
        size = max(qty * leg.ratio + off * (50 if leg.is_stock else 1), 0)
        positions.append(D(size) * (1 if sells == closing_way else -1))

    def closes(leg, position) -> bool:  # the oracle: this leg's trade only takes off what is held
        sells = (leg.side == "SELL") == (side == "BUY")
        trades = qty * leg.ratio
        return position >= trades if sells else -position >= trades

    # What each leg may close on its side (the services subtract open orders; none here).
    closable = tuple(max(p if ((leg.side == "SELL") == (side == "BUY")) else -p, D(0))
                     for leg, p in zip(intent.legs, positions)) if known else None
    reducing = known and all(closes(leg, p) for leg, p in zip(intent.legs, positions))
    event("reducing" if reducing else "adding risk")
    d = _decide(intent, closable, **({"kill_switch": "account"} if switch == "kill" else {"closing_only": True}))
    assert d.risk_increasing == (not reducing)
    if reducing:
        assert d.rule not in ("kill_switch", "closing_only") and {"kill_switch", "closing_only"} <= set(d.checked)
    else:
        assert (d.accepted, d.rule) == (False, "kill_switch" if switch == "kill" else "closing_only")
