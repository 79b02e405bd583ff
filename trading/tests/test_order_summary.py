"""The preview in the user's terms (trading.services.order_summary): every leg, the net debit or credit
through the multiplier, Tiger's commission and margin impact, the maximum loss where it is bounded and
the session the order will trade in, from order_preview with the real SDK against the simulator."""

from decimal import Decimal

import pytest

from tigermcp.testing import listed_option
from trading import services

D = Decimal
CENT = D("0.01")
PRE_MARKET = "2026-11-23T13:00:00Z"  # Monday 08:00 in New York
SATURDAY = "2026-11-28T15:00:00Z"


def preview(actor, account, **order):
    return services.order_preview(actor=actor, account_number=account.account_number, **order)


@pytest.fixture
def clock_at(sim):
    """Move the session's simulator clock for one test, and give it back after."""
    start = sim.clock.now()

    def move(instant: str) -> None:
        sim.clock.set(instant)

    yield move
    sim.clock.set(start)


@pytest.mark.django_db
def test_a_limit_buy_shows_its_one_leg_its_debit_commission_margin_loss_and_the_regular_session(
        system_actor, account):
    p = preview(system_actor, account, symbol="AAPL", side="BUY", quantity="10", order_type="LMT", limit_price="150")
    s = p.preview
    assert set(s) == {"legs", "net", "commission", "margin", "max_loss", "session"}
    (leg,) = s["legs"]
    assert (leg["role"], leg["side"], leg["quantity"], leg["instrument"], leg["price"], leg["amount"], leg["currency"]) \
        == ("entry", "BUY", "10", "AAPL", "150", "1500", "USD")
    assert leg["text"] == "Entry: BUY 10 AAPL LMT at 150.00 USD = 1,500.00 USD"
    assert s["net"] == {"direction": "debit", "amount": "1500", "currency": "USD", "estimated": False,
                        "text": "Net debit: 1,500.00 USD paid if it fills."}
    # The simulator's schedule: USD 0.005 a share, at least USD 1.00.
    assert (s["commission"]["min"], s["commission"]["max"], s["commission"]["currency"]) == ("1", "1", "USD")
    margin = s["margin"]
    assert margin["currency"] == "USD" and D(margin["initial_change"]) > 0
    assert D(margin["initial_after"]) - D(margin["initial_before"]) == D(margin["initial_change"])
    assert margin["text"].startswith(f"Buying power: uses {D(margin['initial_change']):,.2f} USD")
    assert s["max_loss"]["bounded"] is True and s["max_loss"]["amount"] == "1500"
    assert s["session"]["name"] == "regular" and s["session"]["market_status"] == "TRADING"
    assert s["session"]["text"] == "Trades now, in the US regular session."


@pytest.mark.django_db
def test_a_bracket_shows_three_legs_and_its_loss_is_the_stop_loss_distance(system_actor, account):
    p = preview(system_actor, account, symbol="AAPL", side="BUY", quantity="10", order_type="LMT", limit_price="150",
                take_profit_price="165", stop_loss_price="142.5")
    legs = p.preview["legs"]
    assert [(leg["role"], leg["side"], leg["order_type"], leg["price"], leg["quantity"]) for leg in legs] == [
        ("entry", "BUY", "LMT", "150", "10"), ("take_profit", "SELL", "LMT", "165", "10"),
        ("stop_loss", "SELL", "STP", "142.5", "10")]
    assert p.preview["max_loss"]["bounded"] is True and p.preview["max_loss"]["amount"] == "75"  # 7.50 x 10
    assert "stop-loss distance 7.50 USD x 10" in p.preview["max_loss"]["text"]
    assert p.preview["net"]["amount"] == "1500"  # the entry's money; the legs pay out only if it fills


@pytest.mark.django_db
def test_a_short_sale_is_a_credit_and_its_loss_unbounded(system_actor, account, last_price):
    price = last_price("AAPL").quantize(CENT)
    p = preview(system_actor, account, symbol="AAPL", side="SELL", quantity="5", order_type="LMT", limit_price=str(price))
    assert p.preview["net"]["direction"] == "credit" and D(p.preview["net"]["amount"]) == price * 5
    assert p.preview["max_loss"] == {"bounded": False, "amount": None, "currency": "USD",
                                     "text": "Unbounded: a short sale loses as long as the price rises."}
    # A short sale holds short margin (the simulator's 50 % of its value): it uses buying power.
    margin = p.preview["margin"]
    assert D(margin["initial_change"]) == (price * 5 * D("0.5")).quantize(CENT)
    assert margin["text"].startswith("Buying power: uses")


@pytest.mark.django_db
def test_a_long_option_costs_its_premium_through_the_multiplier_and_a_naked_call_is_unbounded(
        system_actor, account, sim):
    expiry, strike, quote = listed_option(sim)
    ask = D(str(quote["askPrice"]))
    contract = dict(symbol="AAPL", expiry=expiry.isoformat(), strike=str(strike), right="CALL", quantity="2",
                    order_type="LMT", limit_price=str(ask))
    p = preview(system_actor, account, side="BUY", **contract)
    (leg,) = p.preview["legs"]
    premium = ask * 2 * 100
    assert leg["sec_type"] == "OPT" and leg["multiplier"] == "100" and D(leg["amount"]) == premium
    assert "(price x quantity x 100)" in leg["text"]
    assert D(p.preview["net"]["amount"]) == premium and p.preview["net"]["direction"] == "debit"
    assert D(p.preview["max_loss"]["amount"]) == premium and "premium paid" in p.preview["max_loss"]["text"]
    assert D(p.preview["commission"]["min"]) == D("1.30")  # USD 0.65 a contract
    policy = services.risk_policy_for(account=account)
    policy.allow_naked_short_calls = True
    services.risk_policy_save(actor=system_actor, policy=policy)
    short = preview(system_actor, account, side="SELL", **contract)
    assert short.preview["max_loss"]["bounded"] is False and "naked short call" in short.preview["max_loss"]["text"]


@pytest.mark.django_db
def test_before_the_open_an_extended_hours_order_trades_pre_market_and_a_regular_one_is_queued(
        system_actor, account, clock_at):
    clock_at(PRE_MARKET)
    order = dict(symbol="AAPL", side="BUY", quantity="1", order_type="LMT", limit_price="150")
    extended = preview(system_actor, account, outside_rth=True, **order).preview["session"]
    assert (extended["name"], extended["market_status"]) == ("pre_market", "PRE_HOUR_TRADING")
    regular = preview(system_actor, account, **order).preview["session"]
    assert regular["name"] == "queued" and regular["next_open"]
    assert regular["text"].startswith("The US market is in its pre-market session: the order is queued for the next "
                                      "regular open (") and regular["text"].endswith("Set outside_rth to trade now "
                                                                                     "(limit orders only).")


@pytest.mark.django_db
def test_on_a_saturday_the_order_is_queued_for_the_next_open(system_actor, account, clock_at):
    clock_at(SATURDAY)
    session = preview(system_actor, account, symbol="AAPL", side="BUY", quantity="1", order_type="LMT",
                      limit_price="150").preview["session"]
    assert session["name"] == "queued" and session["market_status"] == "MARKET_CLOSED"
    assert "closed today: the order is queued for the next regular open" in session["text"]


@pytest.mark.django_db
def test_a_future_pays_nothing_up_front_holds_margin_and_trades_in_its_session(system_actor, futures_account):
    p = preview(system_actor, futures_account, sec_type="FUT", symbol="ES", side="BUY", quantity="1", order_type="MKT")
    s = p.preview
    assert s["legs"][0]["multiplier"] == "50" and s["legs"][0]["price_estimated"] is True
    assert s["net"]["direction"] == "none" and s["net"]["amount"] == "0"
    assert "is held against margin" in s["net"]["text"] and D(s["margin"]["initial_change"]) > 0
    assert s["session"]["name"] == "futures"
    assert D(s["commission"]["min"]) == D("1.50")


@pytest.mark.django_db
def test_a_credit_vertical_shows_each_leg_its_net_credit_and_its_width_less_the_credit_as_maximum_loss(
        system_actor, account):
    from trading.tests.test_combo_orders import _leg, _strikes

    expiry, strikes, mid = _strikes(system_actor, account)
    low, high = strikes[mid - 2], strikes[mid]
    p = preview(system_actor, account, symbol="AAPL", side="BUY", quantity="2", order_type="LMT", limit_price="-1.50",
                combo_type="VERTICAL", legs=[_leg(expiry, low, "PUT", "BUY"), _leg(expiry, high, "PUT", "SELL")])
    s = p.preview
    assert [(leg["role"], leg["side"], leg["quantity"], leg["instrument"], leg["multiplier"]) for leg in s["legs"]] == [
        ("leg", "BUY", "2", f"AAPL  {expiry:%y%m%d}P{int(low * 1000):08d}", "100"),
        ("leg", "SELL", "2", f"AAPL  {expiry:%y%m%d}P{int(high * 1000):08d}", "100")]
    assert s["net"]["direction"] == "credit" and D(s["net"]["amount"]) == 300  # 1.50 x 100 x 2
    assert D(s["max_loss"]["amount"]) == ((high - low) * 100 - 150) * 2 and s["max_loss"]["bounded"] is True
    assert s["session"]["name"] == "regular" and s["commission"]["currency"] == "USD"
