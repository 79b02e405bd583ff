"""Money limits across currencies, in the pure rule: one base currency (orders converted at Tiger's
rates) or limits per currency. Property-based: no accepted order's value, converted exactly into
the limit's currency, exceeds that limit."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from trading.models import currency_limits_clean
from trading.risk import MSG, PolicyView, RiskContext, evaluate, money_notes
from trading.tests.test_risk_rules import intent, policy

D = Decimal
# As Tiger's assets report them for a USD account (the simulator's: 7.8 HKD and 7.2 CNH a dollar).
RATES = {"USD": D("1"), "HKD": D("0.128205"), "CNH": D("0.138889")}
CURRENCIES = ("USD", "HKD", "CNH")


def hk(**over):
    values = dict(symbol="00700", quantity="100", limit_price="380")
    values.update(over)
    return intent(**values)


def usd_base(**over) -> PolicyView:
    return policy(**{"allowed_markets": ("US", "HK"), "max_order_quantity": D("1000"), **over})


def per_currency(**over) -> PolicyView:
    values = dict(limits_mode="per_currency", allowed_markets=("US", "HK"), max_order_quantity=D("1000"),
                  currency_limits=(("CNH", D("72000"), D("144000")), ("HKD", D("78000"), D("156000"))))
    values.update(over)
    return policy(**values)


def test_an_hkd_order_on_a_usd_base_policy_is_converted_at_tigers_rate():
    d = evaluate(policy=usd_base(), intent=hk(), ctx=RiskContext(last_price=D("380"), fx_rates=RATES))
    assert d.accepted, d.message
    assert (d.currency, d.limit_currency, d.fx_rate) == ("HKD", "USD", "0.128205")
    assert d.notional == "38000" and d.converted_notional == "4871.79"
    assert d.limits == {"max_notional": "10000 USD", "max_open_exposure": "20000 USD", "closing_only": "1000 USD"}
    notes = money_notes(d.as_dict())
    assert notes["max_notional"] == ("order 4871.79 USD (38000 HKD at 0.128205 USD per HKD, Tiger's rate); "
                                     "limit 10000 USD")


def test_over_the_converted_limit_is_refused_with_the_rate_in_the_message():
    d = evaluate(policy=usd_base(), intent=hk(quantity="300"),
                 ctx=RiskContext(last_price=D("380"), fx_rates=RATES))
    assert not d.accepted and d.rule == "max_notional"
    assert (d.limit, d.value) == ("10000", "14615.37")  # 114,000 HKD x 0.128205, rounded up to the cent
    assert d.message == ("Order notional 14615.37 USD (114000 HKD at 0.128205 USD per HKD, Tiger's rate) exceeds "
                         "the maximum per order 10000 USD; reduce quantity.")


def test_without_rates_an_order_to_convert_is_refused_as_retryable_naming_the_reason():
    d = evaluate(policy=usd_base(), intent=hk(),
                 ctx=RiskContext(last_price=D("380"), fx_error="Tiger did not answer"))
    assert not d.accepted and d.rule == "fx_rate" and d.limit == "HKD in USD"
    assert "Tiger did not answer" in d.message and "retry in a moment" in d.message
    # Rates without the order's currency: refused the same way, never let through unvalued.
    d = evaluate(policy=usd_base(), intent=hk(),
                 ctx=RiskContext(last_price=D("380"), fx_rates={"USD": D("1")}))
    assert d.rule == "fx_rate" and "no HKD rate" in d.message


def test_base_mode_converts_working_orders_in_other_currencies_and_refuses_without_their_rate():
    pol = usd_base()
    # 1,000 USD of this order + 10,000 USD open + 78,000 HKD open (= 9,999.99 USD) is above 20,000 USD.
    cx = dict(last_price=D("100"), open_exposure=D("10000"), other_open_exposure={"HKD": D("78000")})
    d = evaluate(policy=pol, intent=intent(), ctx=RiskContext(**cx, fx_rates=RATES))
    assert d.rule == "max_open_exposure" and d.value == "20999.99"
    d = evaluate(policy=pol, intent=intent(), ctx=RiskContext(**cx))
    assert d.rule == "fx_rate" and d.value == "HKD"
    # Without the HKD orders the same order passes, needing no rate at all.
    d = evaluate(policy=pol, intent=intent(), ctx=RiskContext(last_price=D("100"), open_exposure=D("10000")))
    assert d.accepted and d.fx_rate == "" and d.exposure == "11000"


def test_per_currency_mode_uses_the_orders_own_currency_limits():
    d = evaluate(policy=per_currency(), intent=hk(), ctx=RiskContext(last_price=D("380")))
    assert d.accepted and d.limit_currency == "HKD" and d.fx_rate == ""
    assert d.limits["max_notional"] == "78000 HKD" and d.limits["closing_only"] == "1000 USD"
    d = evaluate(policy=per_currency(), intent=hk(quantity="300"), ctx=RiskContext(last_price=D("380")))
    assert (d.rule, d.limit, d.value) == ("max_notional", "78000", "114000") and "HKD" in d.message
    # Working orders count within their own currency: USD orders do not fill the HKD limit.
    d = evaluate(policy=per_currency(), intent=hk(), ctx=RiskContext(
        last_price=D("380"), open_exposure=D("100000"), other_open_exposure={"USD": D("1000000")}))
    assert d.accepted and d.exposure == "138000"
    d = evaluate(policy=per_currency(), intent=hk(), ctx=RiskContext(last_price=D("380"), open_exposure=D("118001")))
    assert (d.rule, d.value) == ("max_open_exposure", "156001")


def test_per_currency_mode_refuses_a_currency_without_limits_saying_which_to_add():
    d = evaluate(policy=per_currency(currency_limits=()), intent=hk(), ctx=RiskContext(last_price=D("380"), fx_rates=RATES))
    assert not d.accepted and (d.rule, d.limit, d.value) == ("currency", "USD", "HKD")
    assert "has none for HKD" in d.message and 'add HKD to the policy\'s currency limits' in d.message
    assert '{"HKD": {"max_order_notional"' in d.message
    assert d.message.startswith(MSG["currency"].split("{")[0])


@pytest.mark.parametrize("raw, mode, fix", [
    ({"HKD": {"max_order_notional": "1"}}, "per_currency", "needs exactly max_order_notional and max_open_exposure"),
    ({"HKD": {"max_order_notional": "-1", "max_open_exposure": "5"}}, "per_currency", "must be a positive amount"),
    ({"HKD": {"max_order_notional": "lots", "max_open_exposure": "5"}}, "per_currency", "must be a positive amount"),
    ({"HK": {"max_order_notional": "1", "max_open_exposure": "5"}}, "per_currency", "three letters"),
    ({"USD": {"max_order_notional": "1", "max_open_exposure": "5"}}, "per_currency", "Remove USD from this table"),
    ({"HKD": {"max_order_notional": "1", "max_open_exposure": "5"}}, "base", "choose that mode, or empty this field"),
    (["HKD"], "per_currency", "object keyed by currency"),
])
def test_the_limits_table_is_validated_with_how_to_fix_it(raw, mode, fix):
    with pytest.raises(ValidationError) as err:
        currency_limits_clean(raw, mode=mode, currency="USD")
    assert fix in " ".join(err.value.messages)


def test_the_limits_table_is_normalised_to_decimal_text():
    clean = currency_limits_clean({"hkd": {"max_order_notional": 780000, "max_open_exposure": "1950000.50"},
                                   "CNH": {"max_order_notional": "7.2E5", "max_open_exposure": "1800000"}},
                                  mode="per_currency", currency="USD")
    assert clean == {"CNH": {"max_order_notional": "720000", "max_open_exposure": "1800000"},
                     "HKD": {"max_order_notional": "780000", "max_open_exposure": "1950000.5"}}


def test_old_snapshots_read_as_base_mode():
    snap = {"version": 1, "currency": "USD", "max_order_quantity": "1", "max_order_notional": "1", "price_collar_pct": "10",
            "allowed_symbols": [], "denied_symbols": [], "allowed_order_types": ["LMT"], "allowed_markets": ["US"],
            "max_orders_per_minute": 1, "duplicate_window_seconds": 0, "daily_loss_limit": None, "max_open_exposure": "1"}
    view = PolicyView.from_snapshot(snap)
    assert view.limits_mode == "base" and view.currency_limits == ()
    view = PolicyView.from_snapshot({**snap, "limits_mode": "per_currency",
                                     "currency_limits": {"HKD": {"max_order_notional": "7", "max_open_exposure": "9"}}})
    assert view.money_limits("HKD") == ("HKD", D("7"), D("9")) and view.money_limits("CNH") is None


def exact(amount: Decimal, currency: str, into: str) -> Fraction:
    """`amount` in `into` with no rounding at all: the oracle the rule must never undercut."""
    return Fraction(amount) * Fraction(RATES[currency]) / Fraction(RATES[into])


money = st.decimals(min_value=D("0"), max_value=D("500000"), places=2)


@settings(max_examples=600, deadline=None)
@given(
    mode=st.sampled_from(["base", "per_currency"]), base=st.sampled_from(CURRENCIES),
    currency=st.sampled_from(CURRENCIES), qty=st.integers(1, 300),
    price=st.decimals(min_value=D("0.01"), max_value=D("900"), places=3),
    max_notional=st.decimals(1, 300000, places=2), max_exposure=st.decimals(1, 900000, places=2),
    table=st.dictionaries(st.sampled_from(CURRENCIES), st.tuples(st.decimals(1, 300000, places=2),
                                                                 st.decimals(1, 900000, places=2)), max_size=3),
    open_by_currency=st.dictionaries(st.sampled_from(CURRENCIES), money, max_size=3),
    rates_known=st.booleans(), loss=st.one_of(st.none(), st.decimals(-50000, 50000, places=2)),
    loss_currency=st.sampled_from(CURRENCIES), loss_limit=st.decimals(100, 50000, places=0),
)
def test_no_order_passes_a_limit_that_its_converted_value_exceeds(mode, base, currency, qty, price, max_notional,
                                                                   max_exposure, table, open_by_currency, rates_known,
                                                                   loss, loss_currency, loss_limit):
    rows = tuple((c, n, e) for c, (n, e) in sorted(table.items()) if c != base) if mode == "per_currency" else ()
    pol = policy(currency=base, limits_mode=mode, currency_limits=rows, max_order_quantity=D("100000"),
                 max_order_notional=max_notional, max_open_exposure=max_exposure, allowed_markets=("US", "HK"),
                 max_orders_per_minute=1000, daily_loss_limit=loss_limit)
    it = intent(symbol="00700" if currency == "HKD" else "AAPL", currency=currency, quantity=str(qty),
                limit_price=str(price))
    others = {c: v for c, v in open_by_currency.items() if c != currency}
    cx = RiskContext(last_price=price, open_exposure=open_by_currency.get(currency, D("0")), other_open_exposure=others,
                     fx_rates=RATES if rates_known else None, fx_error="" if rates_known else "down",
                     day_loss=loss, day_loss_currency=loss_currency)
    d = evaluate(policy=pol, intent=it, ctx=cx)
    if mode == "per_currency":
        limits = {c: (n, e) for c, n, e in rows} | {base: (max_notional, max_exposure)}
        if currency not in limits:
            assert not d.accepted and d.rule in ("currency", "closing_only", "fx_rate")
            return
        limit_currency, (notional_limit, exposure_limit) = currency, limits[currency]
        counted = {currency: open_by_currency.get(currency, D("0"))}  # other currencies meet their own limits
    else:
        limit_currency, notional_limit, exposure_limit = base, max_notional, max_exposure
        counted = dict(open_by_currency)
    if not d.accepted:
        assert d.rule and d.message and d.value
        return
    assert d.limit_currency == limit_currency
    if loss is not None:  # the day's loss, in the account's currency, under the limit in the policy's
        assert exact(loss, loss_currency, base) < loss_limit
        assert rates_known or loss_currency == base
    notional = it.quantity * price
    assert exact(notional, currency, limit_currency) <= notional_limit
    exposure = exact(notional, currency, limit_currency) + sum(exact(v, c, limit_currency) for c, v in counted.items())
    assert exposure <= exposure_limit
    if currency != limit_currency or any(counted.get(c) for c in counted if c != limit_currency):
        assert rates_known  # a conversion was needed: never done without Tiger's rates
    if currency != limit_currency:
        assert abs(Fraction(Decimal(d.fx_rate)) - exact(D(1), currency, limit_currency)) <= Fraction(1, 10**10)


def test_the_days_loss_in_the_accounts_currency_is_converted_into_the_policys():
    # A USD account under an HKD policy: a 1,000 USD loss is 7,800.0078 HKD, over a 7,800 HKD limit.
    pol = policy(currency="HKD", daily_loss_limit=D("7800"), max_order_notional=D("1000000"),
                 max_open_exposure=D("1000000"), allowed_markets=("US", "HK"))
    d = evaluate(policy=pol, intent=intent(), ctx=RiskContext(last_price=D("100"), day_loss=D("1000"),
                                                             day_loss_currency="USD", fx_rates=RATES))
    assert d.rule == "closing_only" and d.closing_only_triggered and d.value == "7800.01"
    d = evaluate(policy=pol, intent=intent(), ctx=RiskContext(last_price=D("100"), day_loss=D("999"),
                                                             day_loss_currency="USD", fx_rates=RATES))
    assert d.accepted, d.message
    # Without the rate a risk-increasing order is refused; a closing one still passes.
    # (HKD orders: they need no conversion themselves.)
    cx = dict(last_price=D("380"), day_loss=D("999"), day_loss_currency="USD", fx_error="Tiger did not answer")
    d = evaluate(policy=pol, intent=hk(), ctx=RiskContext(**cx))
    assert d.rule == "fx_rate" and d.limit == "USD in HKD" and "Tiger did not answer" in d.message
    d = evaluate(policy=pol, intent=hk(side="SELL"), ctx=RiskContext(**cx, closable_quantity=D("100")))
    assert d.accepted and not d.risk_increasing, d.message
