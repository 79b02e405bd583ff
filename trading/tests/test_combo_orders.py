"""Combos (multi-leg, MLEG): normalised with fix-it messages for each combo type's shape, hashed alike
whatever the legs' order and spelling, checked against the chain, valued at their maximum loss by
risk, and taken through preview -> confirm -> fill or rest -> cancel with the real SDK against the
simulator, legs stored on the order."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from broker.types import OrderIntent
from core.errors import InvalidInput
from trading import services
from trading.combos import BAD_SHAPE, COMBO_TIF, SHAPES, TWO_LEGS
from trading.intents import normalise_intent
from trading.models import Order, OrderStatus
from trading.risk import RiskRefused

S = OrderStatus
DAY = date.today() + timedelta(days=60)
LATER = DAY + timedelta(days=28)


def call(strike, side, expiry=DAY, **more):
    return {"expiry": expiry.isoformat(), "strike": str(strike), "right": "CALL", "side": side, **more}


def put(strike, side, expiry=DAY, **more):
    return {"expiry": expiry.isoformat(), "strike": str(strike), "right": "PUT", "side": side, **more}


def combo(combo_type, legs, **fields):
    values = {"account_number": "1", "symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT",
              "limit_price": "1.25", "combo_type": combo_type, "legs": legs}
    return normalise_intent(**{**values, **fields})


def test_legs_in_any_order_and_either_spelling_are_the_same_combo():
    a = combo("VERTICAL", [call(190, "BUY"), call(200, "SELL")])
    ident = f"AAPL  {DAY:%y%m%d}C00200000"
    b = combo("vertical", [{"identifier": ident, "side": "sell"}, call("190.0", "BUY")], symbol="aapl")
    assert a == b and a.hash() == b.hash()
    assert a.sec_type == "MLEG" and a.is_combo and [leg.side for leg in a.legs] == ["BUY", "SELL"]
    assert OrderIntent.from_canonical(a.canonical()) == a
    assert a.canonical()["legs"][0] == {"side": "BUY", "ratio": 1, "sec_type": "OPT", "expiry": DAY.isoformat(),
                                        "strike": "190", "right": "CALL"}
    assert a.hash() != combo("VERTICAL", [call(190, "BUY"), call(205, "SELL")]).hash()
    credit = combo("VERTICAL", [put(190, "BUY"), put(200, "SELL")], limit_price="-2.52")
    assert credit.limit_price == Decimal("-2.52")
    # Orders that are not combos keep their canonical form (and hash): no combo key in it.
    stock = normalise_intent(account_number="1", symbol="AAPL", side="BUY", quantity="1", order_type="MKT")
    assert not {"combo_type", "legs"} & set(stock.canonical())


@pytest.mark.parametrize("kind, legs", [
    ("VERTICAL", [call(190, "BUY"), call(190, "SELL")]),  # one strike
    ("VERTICAL", [call(190, "BUY"), call(200, "BUY")]),  # both bought
    ("VERTICAL", [call(190, "BUY"), put(200, "SELL")]),  # a call and a put
    ("STRADDLE", [call(190, "BUY"), put(200, "BUY")]),  # two strikes
    ("STRANGLE", [call(200, "BUY"), put(190, "SELL")]),  # opposite sides
    ("CALENDAR", [call(190, "SELL"), call(190, "BUY", expiry=DAY)]),  # one expiry
    ("DIAGONAL", [call(190, "SELL"), call(190, "BUY", expiry=LATER)]),  # one strike
    ("COVERED", [{"sec_type": "STK", "side": "BUY"}, put(200, "SELL")]),  # a put
    ("COVERED", [{"sec_type": "STK", "side": "BUY", "ratio": "50"}, call(200, "SELL")]),  # half covered
    ("PROTECTIVE", [{"sec_type": "STK", "side": "BUY"}, put(180, "SELL")]),  # the put sold
])
def test_each_combo_type_refuses_legs_of_another_shape_saying_what_it_needs(kind, legs):
    with pytest.raises(InvalidInput) as err:
        combo(kind, legs)
    assert err.value.message == BAD_SHAPE.format(combo=kind, shape=SHAPES[kind].format(shares=100))
    assert err.value.code == "bad_combo_shape"


def test_well_formed_combos_of_every_type_are_accepted():
    for kind, legs in [
        ("VERTICAL", [put(190, "BUY"), put(200, "SELL")]),
        ("STRADDLE", [call(190, "SELL"), put(190, "SELL")]),
        ("STRANGLE", [call(200, "BUY"), put(180, "BUY")]),
        ("CALENDAR", [call(190, "SELL"), call(190, "BUY", expiry=LATER)]),
        ("DIAGONAL", [call(195, "SELL"), call(190, "BUY", expiry=LATER)]),
        ("COVERED", [{"sec_type": "STK", "side": "BUY"}, call(200, "SELL")]),
        ("PROTECTIVE", [{"sec_type": "STK", "side": "BUY", "ratio": 200}, put(180, "BUY", ratio=2)]),
    ]:
        assert combo(kind, legs).combo_type == kind


@pytest.mark.parametrize("fields, message", [
    ({"legs": [call(190, "BUY")]}, TWO_LEGS.format(combo="VERTICAL", count=1, shape=SHAPES["VERTICAL"].format(shares=100))),
    ({"time_in_force": "GTD"}, COMBO_TIF.format(value="GTD")),
    ({"combo_type": "BUTTERFLY"}, "combo_type must be one of"),
    ({"limit_price": "1.255"}, "net price in cents"),
    ({"order_type": "STP"}, "A combo is a LMT (a net price) or MKT order"),
    ({"legs": [call(190, "BUY"), {"identifier": f"TSLA  {DAY:%y%m%d}C00200000", "side": "SELL"}]},
     "legs[1] is on TSLA, the combo on AAPL"),
    ({"stop_loss_price": "1"}, "stop_loss_price is not offered for combos"),
    ({"symbol": None}, "A combo needs symbol: its underlying"),
    ({"legs": [call(190, "BUY"), call(200, "HOLD")]}, "legs[1].side must be BUY or SELL"),
])
def test_combo_input_errors_say_how_to_fix_them(fields, message):
    with pytest.raises(InvalidInput) as err:
        combo("VERTICAL", [call(190, "BUY"), call(200, "SELL")]) if not fields else \
            combo(**{"combo_type": "VERTICAL", "legs": [call(190, "BUY"), call(200, "SELL")], **fields})
    assert message in err.value.message


# --- through the services, the SDK and the simulator ----------------------------------------------


def _strikes(system_actor, account, index=4):
    """(expiry, strikes near the money) of a listed AAPL expiry, from the account's own chain."""
    from marketdata.services import option_chain_get, option_expirations_get
    from trading.services import last_price

    n = account.account_number
    expiry = option_expirations_get(actor=system_actor, symbol="AAPL", account_number=n)[index]
    strikes = sorted({o.strike for o in option_chain_get(actor=system_actor, symbol="AAPL", expiry=expiry,
                                                         account_number=n)})
    spot = last_price(account, "AAPL")
    mid = min(range(len(strikes)), key=lambda i: abs(strikes[i] - spot))
    return expiry, strikes, mid


def _leg(expiry, strike, right, side, **more):
    return {"expiry": expiry.isoformat(), "strike": str(strike), "right": right, "side": side, **more}


@pytest.mark.django_db
def test_a_debit_vertical_is_previewed_with_its_legs_and_max_loss_then_fills_every_leg(system_actor, account, sim):
    expiry, strikes, mid = _strikes(system_actor, account)
    low, high = strikes[mid], strikes[mid + 2]
    legs = [_leg(expiry, high, "CALL", "SELL"), _leg(expiry, low, "CALL", "BUY")]
    n = account.account_number
    preview = services.order_preview(actor=system_actor, account_number=n, symbol="AAPL", side="BUY", quantity="2",
                                     order_type="LMT", limit_price="9.00", combo_type="VERTICAL", legs=legs)
    assert preview.order["sec_type"] == "MLEG" and preview.order["multiplier"] == "100"
    assert [leg["multiplier"] for leg in preview.order["legs"]] == ["100", "100"]
    risk = preview.risk
    assert Decimal(risk["notional"]) == Decimal("1800")  # the net debit: 9.00 x 100 x 2
    assert risk["combo"]["max_loss"] == "1800 USD"
    assert risk["combo"]["legs"] == [f"BUY 1 AAPL {expiry} {low.normalize():f} CALL",
                                     f"SELL 1 AAPL {expiry} {high.normalize():f} CALL"]
    assert risk["combo"]["net"].startswith("net debit 9 per share (900 USD per combo, 1800 USD for 2)")
    assert "max_combo_leg" in risk["checked"] and "price_collar" not in risk["checked"]
    assert preview.broker_preview["is_pass"] is True

    order = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                 idempotency_key="combo-1")
    assert order.status in (S.SUBMITTED, S.FILLED) and order.combo_type == "VERTICAL" and order.sec_type == "MLEG"
    assert order.combo_legs == preview.order["legs"] and order.limit_price == Decimal("9")
    assert order.reference_price == Decimal("9")  # the most one combo can lose, per share
    at_broker = sim.exchange.accounts[n].orders[int(order.broker_id)]
    assert at_broker.combo_type == "VERTICAL" and at_broker.status == "Filled" and at_broker.filled == 2
    positions = {p.symbol: p.quantity for p in sim.exchange.accounts[n].positions.values() if p.quantity}
    assert positions == {f"AAPL  {expiry:%y%m%d}C{int(low * 1000):08d}": 2,
                         f"AAPL  {expiry:%y%m%d}C{int(high * 1000):08d}": -2}
    again = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                 idempotency_key="combo-1")
    assert again.pk == order.pk and again.replayed
    services.orders_reconcile(actor=system_actor, account_number=n)
    order.refresh_from_db()
    assert order.status == S.FILLED and order.filled_quantity == 2


@pytest.mark.django_db
def test_a_credit_vertical_rests_at_its_net_credit_and_is_cancelled_not_modified(system_actor, account, sim):
    expiry, strikes, mid = _strikes(system_actor, account)
    legs = [_leg(expiry, strikes[mid - 2], "PUT", "BUY"), _leg(expiry, strikes[mid], "PUT", "SELL")]
    width = (strikes[mid] - strikes[mid - 2]) * 100
    n = account.account_number
    preview = services.order_preview(actor=system_actor, account_number=n, symbol="AAPL", side="BUY", quantity="1",
                                     order_type="LMT", limit_price="-4.90", combo_type="VERTICAL", legs=legs)
    assert Decimal(preview.risk["notional"]) == width - 490  # width less the credit
    assert preview.risk["combo"]["net"].startswith("net credit 4.9 per share")
    order = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                 idempotency_key="combo-2")
    assert order.status == S.SUBMITTED and order.limit_price == Decimal("-4.90")
    with pytest.raises(InvalidInput) as err:
        services.order_modify_preview(actor=system_actor, account_number=n, order_id=order.pk, limit_price="5")
    assert err.value.code == "combo_not_modifiable"
    cancel = services.order_cancel_preview(actor=system_actor, account_number=n, order_id=order.pk)
    done = services.order_cancel(actor=system_actor, account_number=n, order_id=order.pk,
                                 confirmation_token=cancel.confirmation_token)
    assert done.status in (S.CANCEL_PENDING, S.CANCELLED)
    assert sim.exchange.accounts[n].orders[int(order.broker_id)].status in ("PendingCancel", "Cancelled")


@pytest.mark.django_db
def test_risk_values_a_combo_at_its_max_loss_and_caps_each_legs_contracts(system_actor, account):
    expiry, strikes, mid = _strikes(system_actor, account)
    n = account.account_number
    policy = services.risk_policy_for(account=account)
    policy.max_option_contracts = 4
    policy.max_order_notional = Decimal("1000")
    services.risk_policy_save(actor=system_actor, policy=policy)
    straddle = {"symbol": "AAPL", "order_type": "LMT", "combo_type": "STRADDLE",
                "legs": [_leg(expiry, strikes[mid], "CALL", "BUY"), _leg(expiry, strikes[mid], "PUT", "BUY")]}
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, side="BUY", quantity="5", limit_price="1",
                               **straddle)
    assert err.value.decision.rule == "max_combo_leg" and err.value.decision.value == "5"
    with pytest.raises(RiskRefused) as err:  # 2 straddles at 6.00: 1,200 USD at most lost
        services.order_preview(actor=system_actor, account_number=n, side="BUY", quantity="2", limit_price="6",
                               **straddle)
    assert err.value.decision.rule == "max_notional" and err.value.decision.value == "1200"
    with pytest.raises(RiskRefused) as err:  # selling it: the call sold uncovered
        services.order_preview(actor=system_actor, account_number=n, side="SELL", quantity="1", limit_price="6",
                               **straddle)
    assert err.value.decision.rule == "combo_unbounded" and "grows without limit as AAPL rises" in err.value.message
    assert not Order.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_a_covered_call_buys_the_shares_and_writes_the_call_at_a_net_price(system_actor, account, sim, last_price):
    expiry, strikes, mid = _strikes(system_actor, account)
    strike = strikes[mid + 1]
    spot = last_price("AAPL")
    n = account.account_number
    preview = services.order_preview(
        actor=system_actor, account_number=n, symbol="AAPL", side="BUY", quantity="1", order_type="MKT",
        combo_type="COVERED", legs=[{"sec_type": "STK", "side": "BUY"}, _leg(expiry, strike, "CALL", "SELL")])
    net = Decimal(preview.risk["combo"]["net_price"])
    assert spot - 20 < net < spot  # the shares less the call's premium, per share
    assert Decimal(preview.risk["notional"]) == net * 100  # it loses at most what it costs
    order = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                 idempotency_key="combo-3")
    assert order.status in (S.SUBMITTED, S.FILLED)
    positions = sim.exchange.accounts[n].positions
    assert positions["AAPL"].quantity == 100 and positions[f"AAPL  {expiry:%y%m%d}C{int(strike * 1000):08d}"].quantity == -1


@pytest.mark.django_db
def test_an_unlisted_leg_names_the_nearest_strikes(system_actor, account):
    expiry, strikes, mid = _strikes(system_actor, account)
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL", side="BUY",
                               quantity="1", order_type="LMT", limit_price="1", combo_type="VERTICAL",
                               legs=[_leg(expiry, strikes[mid], "CALL", "BUY"),
                                     _leg(expiry, strikes[mid] + Decimal("0.5"), "CALL", "SELL")])
    assert err.value.code == "unknown_option_strike" and "Nearest strikes: " in err.value.message


@pytest.mark.django_db
def test_a_combo_filled_at_a_net_credit_is_recorded_with_its_negative_price(system_actor, account, sim,
                                                                            django_capture_on_commit_callbacks):
    expiry, strikes, mid = _strikes(system_actor, account)
    n = account.account_number
    legs = [_leg(expiry, strikes[mid - 2], "PUT", "BUY"), _leg(expiry, strikes[mid], "PUT", "SELL")]
    preview = services.order_preview(actor=system_actor, account_number=n, symbol="AAPL", side="BUY", quantity="1",
                                     order_type="MKT", combo_type="VERTICAL", legs=legs)
    assert Decimal(preview.risk["combo"]["net_price"]) < 0  # the legs' last prices: a credit
    order = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                 idempotency_key="combo-credit")
    with django_capture_on_commit_callbacks(execute=True):  # the fill's metrics count a magnitude
        services.orders_reconcile(actor=system_actor, account_number=n)
    order.refresh_from_db()
    at_broker = sim.exchange.accounts[n].orders[int(order.broker_id)]
    assert order.status == S.FILLED and order.avg_fill_price == at_broker.avg_fill_price < 0
    [fill] = order.fills.all()
    assert fill.quantity == 1 and fill.price == at_broker.avg_fill_price


@pytest.mark.django_db
def test_the_same_combo_twice_in_the_window_is_a_duplicate_another_is_not(system_actor, account):
    expiry, strikes, mid = _strikes(system_actor, account)
    n = account.account_number
    policy = services.risk_policy_for(account=account)
    policy.duplicate_window_seconds = 60
    services.risk_policy_save(actor=system_actor, policy=policy)
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "1", "order_type": "LMT", "limit_price": "0.05",
             "combo_type": "STRADDLE", "legs": [_leg(expiry, strikes[mid], "CALL", "BUY"),
                                                _leg(expiry, strikes[mid], "PUT", "BUY")]}
    preview = services.order_preview(actor=system_actor, account_number=n, **order)
    services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                         idempotency_key="straddle-1")
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, **order)
    assert err.value.decision.rule == "duplicate_intent"
    other = {**order, "legs": [_leg(expiry, strikes[mid + 1], "CALL", "BUY"), _leg(expiry, strikes[mid + 1], "PUT", "BUY")]}
    assert services.order_preview(actor=system_actor, account_number=n, **other).risk["accepted"] is True
