"""The risk function on futures: contracts capped by their own limit, and the contract's value
(price x quantity x multiplier) counted against the money limits."""

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trading.intents import normalise_intent
from trading.risk import evaluate
from trading.tests.test_risk_rules import ctx, policy

D = Decimal


def future(**over):
    values = dict(account_number="A1", sec_type="FUT", symbol="ES2612", expiry=date(2026, 12, 18), side="BUY",
                  quantity="2", order_type="LMT", limit_price="5600.25", multiplier="50")
    values.update(over)
    return normalise_intent(**values)


def test_a_future_is_valued_at_price_times_multiplier_and_capped_by_its_own_limit():
    d = evaluate(policy=policy(max_order_notional=D("1000000"), max_open_exposure=D("2000000")), intent=future(), ctx=ctx(last_price=D("5600")))
    assert d.accepted and d.notional == "560025" and "max_future_contracts" in d.checked
    assert "max_quantity" not in d.checked and "max_option_contracts" not in d.checked
    d = evaluate(policy=policy(max_future_contracts=1), intent=future(), ctx=ctx(last_price=D("5600")))
    assert (d.accepted, d.rule, d.limit, d.value) == (False, "max_future_contracts", "1", "2")
    assert "2 futures contracts exceed" in d.message


@settings(max_examples=300, deadline=None)
@given(
    qty=st.integers(min_value=1, max_value=20),
    price=st.decimals(min_value=D("100"), max_value=D("40000"), places=0).map(lambda p: p + D("0.25")),
    multiplier=st.sampled_from(["50", "20", "5", "1000", "10"]),
    side=st.sampled_from(["BUY", "SELL"]),
    market_order=st.booleans(),
    max_notional=st.decimals(min_value=D("1"), max_value=D("5000000"), places=2),
    max_exposure=st.decimals(min_value=D("1"), max_value=D("10000000"), places=2),
    open_exposure=st.decimals(min_value=D("0"), max_value=D("2000000"), places=2),
)
def test_no_futures_order_passes_a_limit_its_price_times_quantity_times_multiplier_exceeds(
        qty, price, multiplier, side, market_order, max_notional, max_exposure, open_exposure):
    it = future(quantity=str(qty), side=side, multiplier=multiplier, order_type="MKT" if market_order else "LMT",
                limit_price=None if market_order else str(price))
    pol = policy(max_order_notional=max_notional, max_open_exposure=max_exposure, max_future_contracts=20)
    d = evaluate(policy=pol, intent=it, ctx=ctx(last_price=price, open_exposure=open_exposure))
    value = qty * price * D(multiplier)
    if d.accepted:
        assert D(d.notional) == value
        assert value <= max_notional and open_exposure + value <= max_exposure
    else:
        assert d.rule in ("max_notional", "max_open_exposure")
        assert value > max_notional or open_exposure + value > max_exposure
