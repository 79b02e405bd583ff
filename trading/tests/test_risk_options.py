"""The risk function on options: contracts capped, premium and notional counted through the
multiplier against the money limits, and no naked short calls unless the policy allows them."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trading.intents import normalise_intent
from trading.risk import evaluate
from trading.tests.test_risk_rules import ctx, policy

D = Decimal
EXPIRY = date.today() + timedelta(days=30)


def option(**over):
    values = dict(account_number="A1", symbol="AAPL", expiry=EXPIRY, strike="190", right="CALL", side="BUY",
                  quantity="2", order_type="LMT", limit_price="3", multiplier="100")
    values.update(over)
    return normalise_intent(**values)


def test_an_option_is_valued_at_premium_times_multiplier():
    d = evaluate(policy=policy(), intent=option(), ctx=ctx(last_price=D("3")))
    assert d.accepted and d.notional == "600" and "max_option_contracts" in d.checked
    assert "max_quantity" not in d.checked  # the share limit is for stocks


def test_contracts_are_capped_by_their_own_limit():
    d = evaluate(policy=policy(max_option_contracts=5), intent=option(quantity="6"), ctx=ctx(last_price=D("3")))
    assert (d.accepted, d.rule, d.limit, d.value) == (False, "max_option_contracts", "5", "6")
    assert "6 option contracts exceed" in d.message


def test_selling_calls_needs_cover_unless_allowed():
    sell = option(side="SELL", quantity="3")
    d = evaluate(policy=policy(), intent=sell, ctx=ctx(last_price=D("3"), covered_calls=D("2")))
    assert (d.accepted, d.rule, d.limit, d.value) == (False, "naked_short_call", "2", "3")
    assert evaluate(policy=policy(), intent=sell, ctx=ctx(last_price=D("3"), covered_calls=D("3"))).accepted
    # Unknown cover counts as none; the policy's switch lets the sale through.
    assert not evaluate(policy=policy(), intent=sell, ctx=ctx(last_price=D("3"))).accepted
    assert evaluate(policy=policy(allow_naked_short_calls=True), intent=sell, ctx=ctx(last_price=D("3"))).accepted
    # Puts, and buying calls, need no cover.
    assert evaluate(policy=policy(), intent=option(side="SELL", right="PUT"), ctx=ctx(last_price=D("3"))).accepted


@settings(max_examples=300, deadline=None)
@given(
    qty=st.integers(min_value=1, max_value=50),
    premium=st.decimals(min_value=D("0.01"), max_value=D("80"), places=2),
    multiplier=st.sampled_from(["100", "10", "1000", "500"]),
    side=st.sampled_from(["BUY", "SELL"]),
    right=st.sampled_from(["CALL", "PUT"]),
    market_order=st.booleans(),
    max_notional=st.decimals(min_value=D("1"), max_value=D("200000"), places=2),
    max_exposure=st.decimals(min_value=D("1"), max_value=D("400000"), places=2),
    open_exposure=st.decimals(min_value=D("0"), max_value=D("100000"), places=2),
)
def test_no_option_order_passes_a_limit_its_premium_times_multiplier_exceeds(qty, premium, multiplier, side, right,
                                                                              market_order, max_notional, max_exposure,
                                                                              open_exposure):
    it = option(quantity=str(qty), side=side, right=right, multiplier=multiplier,
                order_type="MKT" if market_order else "LMT", limit_price=None if market_order else str(premium))
    pol = policy(max_order_notional=max_notional, max_open_exposure=max_exposure, max_option_contracts=50,
                 allow_naked_short_calls=True)
    d = evaluate(policy=pol, intent=it, ctx=ctx(last_price=premium, open_exposure=open_exposure))
    value = qty * premium * D(multiplier)
    if d.accepted:
        assert D(d.notional) == value
        assert value <= max_notional and open_exposure + value <= max_exposure
    else:
        assert d.rule in ("max_notional", "max_open_exposure")
        assert value > max_notional or open_exposure + value > max_exposure
