"""The risk function, rule by rule, and property-based: an accepted order never breaks a limit."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trading.intents import normalise_intent
from trading.risk import MSG, PolicyView, RiskContext, evaluate, reference_price

D = Decimal


def policy(**over) -> PolicyView:
    values = dict(version=3, currency="USD", max_order_quantity=D("100"), max_order_notional=D("10000"),
                  price_collar_pct=D("10"), allowed_symbols=(), denied_symbols=("GME",),
                  allowed_order_types=("MKT", "LMT", "STP", "STP_LMT"), allowed_markets=("US",),
                  max_orders_per_minute=5, duplicate_window_seconds=10, daily_loss_limit=D("1000"),
                  max_open_exposure=D("20000"))
    values.update(over)
    return PolicyView(**values)


def intent(**over):
    values = dict(account_number="A1", symbol="AAPL", side="BUY", quantity="10", order_type="LMT", limit_price="100")
    values.update(over)
    return normalise_intent(**values)


def ctx(**over) -> RiskContext:
    values = dict(last_price=D("100"))
    values.update(over)
    return RiskContext(**values)


def test_plain_order_is_accepted_with_its_notional_and_policy_version():
    d = evaluate(policy=policy(), intent=intent(), ctx=ctx())
    assert d.accepted and d.rule == "" and d.notional == "1000" and d.policy_version == 3
    assert d.checked[-1] == "max_open_exposure"


@pytest.mark.parametrize("case, pol, it, cx, rule, limit, value", [
    ("quantity", {}, {"quantity": "101"}, {}, "max_quantity", "100", "101"),
    ("notional", {}, {"quantity": "100", "limit_price": "101"}, {"last_price": D("100")}, "max_notional", "10000", "10100"),
    ("collar buy", {}, {"limit_price": "110.01"}, {}, "price_collar", "10", "110.01"),
    ("collar sell", {}, {"side": "SELL", "limit_price": "89.99"}, {}, "price_collar", "10", "89.99"),
    ("deny list", {}, {"symbol": "gme"}, {}, "denied_symbol", "GME", "GME"),
    ("allow list", {"allowed_symbols": ("MSFT", "TSLA")}, {}, {}, "allowed_symbol", "MSFT,TSLA", "AAPL"),
    ("order type", {"allowed_order_types": ("LMT",)}, {"order_type": "MKT", "limit_price": None}, {}, "order_type", "LMT", "MKT"),
    ("market", {}, {"market": "HK"}, {}, "market", "US", "HK"),
    ("no fx rate", {}, {"currency": "HKD"}, {}, "fx_rate", "HKD in USD", "HKD"),
    ("no currency limits", {"limits_mode": "per_currency"}, {"currency": "HKD"}, {}, "currency", "USD", "HKD"),
    ("rate", {}, {}, {"orders_last_minute": 5}, "orders_per_minute", "5", "6"),
    ("duplicate", {}, {}, {"duplicate_age_seconds": 3}, "duplicate_intent", "10", "BUY 10 AAPL"),
    ("exposure", {}, {}, {"open_exposure": D("19500")}, "max_open_exposure", "20000", "20500"),
    ("no quote", {}, {"order_type": "MKT", "limit_price": None}, {"last_price": None}, "no_quote", "a last price", "AAPL"),
    ("kill switch", {}, {}, {"kill_switch": "global"}, "kill_switch", "ON", "risk-increasing"),
    ("daily loss", {}, {}, {"day_loss": D("1000")}, "closing_only", "1000", "1000"),
    ("closing only already", {}, {}, {"closing_only": True, "day_loss": D("10")}, "closing_only", "1000", "10"),
])
def test_each_rule_refuses_naming_rule_limit_and_value(case, pol, it, cx, rule, limit, value):
    d = evaluate(policy=policy(**pol), intent=intent(**it), ctx=ctx(**cx))
    assert not d.accepted
    assert (d.rule, d.limit, d.value) == (rule, limit, value)
    assert limit in d.message and value in d.message
    assert d.message.split(" ")[0] == MSG[rule].split(" ")[0]


def test_duplicate_outside_window_and_collar_edge_pass():
    assert evaluate(policy=policy(), intent=intent(), ctx=ctx(duplicate_age_seconds=10)).accepted
    assert evaluate(policy=policy(), intent=intent(limit_price="110"), ctx=ctx()).accepted
    assert evaluate(policy=policy(), intent=intent(side="SELL", limit_price="90"), ctx=ctx()).accepted


def test_kill_switch_and_closing_only_let_closing_orders_through():
    closing = intent(side="SELL", limit_price="100")
    for cx in ({"kill_switch": "account"}, {"day_loss": D("5000")}, {"closing_only": True}):
        d = evaluate(policy=policy(), intent=closing, ctx=ctx(closable_quantity=D("10"), **cx))
        assert d.accepted and not d.risk_increasing, cx
        # One share more than can be closed is risk-increasing again.
        d = evaluate(policy=policy(), intent=closing, ctx=ctx(closable_quantity=D("9"), **cx))
        assert not d.accepted and d.risk_increasing, cx


def test_reaching_the_loss_limit_marks_the_trigger():
    d = evaluate(policy=policy(), intent=intent(), ctx=ctx(day_loss=D("1200")))
    assert d.closing_only_triggered and d.rule == "closing_only"
    d = evaluate(policy=policy(daily_loss_limit=None), intent=intent(), ctx=ctx(day_loss=D("99999")))
    assert d.accepted


def test_stop_orders_are_valued_at_the_worse_of_stop_and_last():
    it = intent(order_type="STP", limit_price=None, stop_price="105")
    assert reference_price(it, D("100")) == D("105")
    assert reference_price(it, D("107")) == D("107")


prices = st.decimals(min_value=D("0.01"), max_value=D("2000"), places=2)
qtys = st.integers(min_value=1, max_value=500)


@settings(max_examples=400, deadline=None)
@given(
    qty=qtys, side=st.sampled_from(["BUY", "SELL"]), otype=st.sampled_from(["MKT", "LMT", "STP", "STP_LMT"]),
    limit=prices, stop=prices, last=st.one_of(st.none(), prices),
    symbol=st.sampled_from(["AAPL", "GME", "MSFT", "TSLA"]),
    exposure=st.decimals(min_value=0, max_value=D("50000"), places=2),
    per_min=st.integers(0, 10), dup=st.one_of(st.none(), st.integers(0, 30)),
    kill=st.sampled_from([None, "global", "account"]), loss=st.one_of(st.none(), st.decimals(-5000, 5000, places=2)),
    closing_only=st.booleans(), closable=st.one_of(st.none(), st.integers(0, 600).map(D)),
    max_qty=qtys, max_notional=st.decimals(100, 100000, places=0), collar=st.decimals(1, 30, places=1),
    allowed=st.sampled_from([(), ("AAPL", "MSFT")]), max_exposure=st.decimals(1000, 60000, places=0),
)
def test_an_accepted_order_never_breaks_a_limit(qty, side, otype, limit, stop, last, symbol, exposure, per_min, dup,
                                               kill, loss, closing_only, closable, max_qty, max_notional, collar,
                                               allowed, max_exposure):
    pol = policy(max_order_quantity=D(max_qty), max_order_notional=max_notional, price_collar_pct=collar,
                 allowed_symbols=allowed, max_open_exposure=max_exposure)
    it = intent(symbol=symbol, side=side, quantity=str(qty), order_type=otype,
                limit_price=limit if otype in ("LMT", "STP_LMT") else None,
                stop_price=stop if otype in ("STP", "STP_LMT") else None)
    cx = RiskContext(last_price=last, open_exposure=exposure, orders_last_minute=per_min, duplicate_age_seconds=dup,
                     kill_switch=kill, day_loss=loss, closing_only=closing_only, closable_quantity=closable)
    d = evaluate(policy=pol, intent=it, ctx=cx)
    if not d.accepted:
        assert d.rule and d.message and d.limit and d.value
        return
    increasing = closable is None or it.quantity > closable
    assert not (kill and increasing)
    assert not ((closing_only or (loss is not None and loss >= pol.daily_loss_limit)) and increasing)
    assert it.symbol not in pol.denied_symbols and (not allowed or it.symbol in allowed)
    assert it.quantity <= pol.max_order_quantity
    assert last is not None
    band = pol.price_collar_pct / 100
    if it.limit_price is not None:
        assert (it.limit_price <= last * (1 + band)) if side == "BUY" else (it.limit_price >= last * (1 - band))
    notional = it.quantity * reference_price(it, last)
    assert notional <= pol.max_order_notional
    assert per_min + 1 <= pol.max_orders_per_minute
    assert dup is None or dup >= pol.duplicate_window_seconds
    assert exposure + notional <= pol.max_open_exposure
