"""The risk function on combos: each combo valued at the most it can lose (the net debit of a
debit spread, the width less the credit of a credit spread, the stock's cost less the premium of a
covered call ...), converted into the limits' currency; each leg's contracts capped; calls sold
uncovered by the combo's own legs refused unless the policy allows naked calls. Hypothesis looks
for a combo that passes a limit its legs exceed, against a brute-force payoff oracle."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import event, given, settings
from hypothesis import strategies as st

from trading.intents import normalise_intent
from trading.risk import RiskContext, evaluate
from trading.tests.test_risk_fx import RATES, exact
from trading.tests.test_risk_rules import ctx, policy

D = Decimal
DAY = date.today() + timedelta(days=30)
LATER = DAY + timedelta(days=35)


def resolved(intent, multiplier=D(100)):
    """The combo as the services hand it to risk: each option leg with its chain's multiplier."""
    return replace(intent, multiplier=multiplier, legs=tuple(
        leg if leg.is_stock else replace(leg, multiplier=multiplier) for leg in intent.legs))


def combo(kind, legs, **over):
    values = dict(account_number="A1", symbol="AAPL", side="BUY", quantity="1", order_type="LMT", limit_price="2",
                  combo_type=kind, legs=legs)
    values.update(over)
    return resolved(normalise_intent(**values))


def opt(strike, right, side, expiry=DAY, ratio=1):
    return {"expiry": expiry, "strike": str(strike), "right": right, "side": side, "ratio": ratio}


def stock(ratio=100):
    return {"sec_type": "STK", "side": "BUY", "ratio": ratio}


def notional(kind, legs, **over):
    d = evaluate(policy=policy(max_order_notional=D("1000000"), max_open_exposure=D("1000000")),
                 intent=combo(kind, legs, **over), ctx=ctx(last_price=None, underlying_price=D("190")))
    assert d.accepted, d.message
    return D(d.notional)


def test_bounded_losses_of_each_kind():
    # A debit spread loses its debit; a credit vertical the width less the credit.
    assert notional("VERTICAL", [opt(190, "CALL", "BUY"), opt(200, "CALL", "SELL")], limit_price="3.10") == 310
    assert notional("VERTICAL", [opt(190, "PUT", "BUY"), opt(200, "PUT", "SELL")], limit_price="-6.50") == 350
    # A long straddle or strangle loses what it costs; two of them twice that.
    assert notional("STRADDLE", [opt(190, "CALL", "BUY"), opt(190, "PUT", "BUY")], limit_price="9", quantity="2") == 1800
    assert notional("STRANGLE", [opt(200, "CALL", "BUY"), opt(180, "PUT", "BUY")], limit_price="4") == 400
    # A calendar bought: its debit (the later call is worth at least the earlier one's intrinsic value).
    assert notional("CALENDAR", [opt(190, "CALL", "SELL"), opt(190, "CALL", "BUY", LATER)], limit_price="1.2") == 120
    # Covered call: the stock's cost less the premium; protective put: the cost less the put's strike.
    assert notional("COVERED", [stock(), opt(200, "CALL", "SELL")], limit_price="186.50") == 18650
    assert notional("PROTECTIVE", [stock(), opt(180, "PUT", "BUY")], limit_price="193") == 1300


def test_calls_sold_uncovered_are_refused_unless_allowed_then_valued_at_the_shares():
    short = combo("STRADDLE", [opt(190, "CALL", "SELL"), opt(190, "PUT", "SELL")], limit_price="-8")
    d = evaluate(policy=policy(), intent=short, ctx=ctx(last_price=None, underlying_price=D("190")))
    assert (d.accepted, d.rule, d.value) == (False, "combo_unbounded", "1")
    assert "grows without limit as AAPL rises" in d.message
    bought_back = combo("STRADDLE", [opt(190, "CALL", "BUY"), opt(190, "PUT", "BUY")], side="SELL", limit_price="8")
    assert evaluate(policy=policy(), intent=bought_back, ctx=ctx(last_price=None)).rule == "combo_unbounded"
    allowed = policy(allow_naked_short_calls=True, max_order_notional=D("100000"), max_open_exposure=D("100000"))
    d = evaluate(policy=allowed, intent=short, ctx=ctx(last_price=None, underlying_price=D("190")))
    assert d.accepted and d.notional == "19000" and d.combo["max_loss"] == ""  # 100 shares at 190, nothing paid
    assert evaluate(policy=allowed, intent=short, ctx=ctx(last_price=None)).rule == "no_quote"


def test_each_legs_contracts_are_capped_and_a_market_combo_needs_its_legs_prices():
    spread = [opt(190, "CALL", "BUY", ratio=2), opt(200, "CALL", "SELL", ratio=2)]
    d = evaluate(policy=policy(max_option_contracts=5), intent=combo("VERTICAL", spread, quantity="3"),
                 ctx=ctx(last_price=None))
    assert (d.accepted, d.rule, d.limit, d.value) == (False, "max_combo_leg", "5", "6")
    covered = combo("COVERED", [stock(), opt(200, "CALL", "SELL")], quantity="2", limit_price="180")
    d = evaluate(policy=policy(max_order_quantity=D("150")), intent=covered, ctx=ctx(last_price=None))
    assert (d.rule, d.value) == ("max_combo_leg", "200")  # the stock leg meets the share limit
    market = combo("VERTICAL", spread[:1] + spread[1:], order_type="MKT", limit_price=None)
    assert evaluate(policy=policy(), intent=market, ctx=ctx(last_price=None)).rule == "no_quote"
    d = evaluate(policy=policy(), intent=market, ctx=ctx(last_price=D("2.35")))
    assert d.accepted and d.notional == "235"  # the net price is the whole combo's (both legs' ratios), x 100


# --- the property ----------------------------------------------------------------------------------

STRIKES = st.integers(min_value=10, max_value=60).map(lambda n: n * 5)


@st.composite
def combos(draw):
    kind = draw(st.sampled_from(["VERTICAL", "STRADDLE", "STRANGLE", "CALENDAR", "DIAGONAL", "COVERED", "PROTECTIVE"]))
    ratio = draw(st.integers(1, 3))
    first = draw(st.sampled_from(["BUY", "SELL"]))
    other = "SELL" if first == "BUY" else "BUY"
    right = draw(st.sampled_from(["CALL", "PUT"]))
    a, b = draw(st.lists(STRIKES, min_size=2, max_size=2, unique=True))
    legs = {
        "VERTICAL": [opt(a, right, first, ratio=ratio), opt(b, right, other, ratio=ratio)],
        "STRADDLE": [opt(a, "CALL", first, ratio=ratio), opt(a, "PUT", first, ratio=ratio)],
        "STRANGLE": [opt(a, "CALL", first, ratio=ratio), opt(b, "PUT", first, ratio=ratio)],
        "CALENDAR": [opt(a, right, first, ratio=ratio), opt(a, right, other, LATER, ratio=ratio)],
        "DIAGONAL": [opt(a, right, first, ratio=ratio), opt(b, right, other, LATER, ratio=ratio)],
        "COVERED": [stock(100 * ratio), opt(a, "CALL", "SELL", ratio=ratio)],
        "PROTECTIVE": [stock(100 * ratio), opt(a, "PUT", "BUY", ratio=ratio)],
    }[kind]
    return kind, legs


def oracle_loss(intent, net: Decimal) -> Fraction | None:
    """The most one combo loses held to its first expiry, every option at its intrinsic value, by
    brute force over the underlying's price (every half dollar to twice the top strike, and each
    strike); None when the payoff keeps falling far above every strike."""
    def payoff(price: Fraction) -> Fraction:
        total = Fraction(0)
        for leg in intent.legs:
            bought = (leg.side == "BUY") == (intent.side == "BUY")
            weight = Fraction(leg.ratio) * (1 if leg.is_stock else 100) * (1 if bought else -1)
            if leg.is_stock:
                value = price
            elif leg.right == "CALL":
                value = max(price - Fraction(leg.strike), Fraction(0))
            else:
                value = max(Fraction(leg.strike) - price, Fraction(0))
            total += weight * value
        return total

    top = max(Fraction(leg.strike) for leg in intent.legs if not leg.is_stock)
    grid = [Fraction(n, 2) for n in range(0, int(top * 4) + 1)] + [Fraction(leg.strike) for leg in intent.legs
                                                                   if not leg.is_stock]
    if payoff(Fraction(10 ** 6)) < payoff(2 * top):
        return None
    paid = Fraction(net) * 100 * (1 if intent.side == "BUY" else -1)
    return max(paid - min(payoff(x) for x in grid), Fraction(0))


@settings(max_examples=400, deadline=None)
@given(
    shape=combos(), side=st.sampled_from(["BUY", "SELL"]), qty=st.integers(1, 12),
    net=st.decimals(min_value=D("-60"), max_value=D("300"), places=2), market=st.booleans(),
    base=st.sampled_from(["USD", "HKD", "CNH"]), allow_naked=st.booleans(),
    max_contracts=st.integers(1, 30), max_shares=st.integers(100, 3000),
    max_notional=st.decimals(min_value=D("1"), max_value=D("400000"), places=2),
    max_exposure=st.decimals(min_value=D("1"), max_value=D("900000"), places=2),
    open_exposure=st.decimals(min_value=D("0"), max_value=D("100000"), places=2),
)
def test_no_combo_passes_a_limit_its_maximum_loss_or_legs_exceed(shape, side, qty, net, market, base, allow_naked,
                                                                   max_contracts, max_shares, max_notional,
                                                                   max_exposure, open_exposure):
    kind, legs = shape
    it = combo(kind, legs, side=side, quantity=str(qty), order_type="MKT" if market else "LMT",
               limit_price=None if market else str(net))
    pol = policy(currency=base, max_option_contracts=max_contracts, max_order_quantity=D(max_shares),
                 max_order_notional=max_notional, max_open_exposure=max_exposure,
                 allow_naked_short_calls=allow_naked, allowed_order_types=("MKT", "LMT"))
    cx = RiskContext(last_price=net if market else None, underlying_price=D("190"), open_exposure=open_exposure,
                     fx_rates=RATES)
    d = evaluate(policy=pol, intent=it, ctx=cx)
    loss = oracle_loss(it, net)
    event(f"accepted={d.accepted} bounded={loss is not None}")
    if loss is None and not allow_naked:
        assert not d.accepted  # an unbounded loss never passes without the policy's consent
    if not d.accepted:
        assert d.rule and d.message
        return
    for leg in it.legs:
        assert qty * leg.ratio <= (max_shares if leg.is_stock else max_contracts)
    counted = exact(D(d.notional), "USD", base)
    if loss is not None:
        assert Fraction(D(d.notional)) == loss * qty  # valued at exactly its maximum loss
    else:
        assert allow_naked and Fraction(D(d.notional)) > 0
    assert counted <= Fraction(max_notional)
    assert counted + exact(open_exposure, "USD", base) <= Fraction(max_exposure)
