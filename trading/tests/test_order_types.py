"""Stop, stop-limit and trailing-stop orders: normalised, valued by risk, and taken through preview →
confirm → rest → modify → cancel with the real SDK against the simulator."""

from decimal import Decimal

import pytest

from broker.types import OrderIntent
from core.errors import InvalidInput
from trading import services
from trading.intents import NEEDS_TRAIL, NO_TRAIL_HERE, normalise_intent
from trading.models import OrderStatus
from trading.risk import reference_price

S = OrderStatus


def intent(**fields):
    values = {"account_number": "1", "symbol": "AAPL", "side": "SELL", "quantity": "10"}
    return normalise_intent(**{**values, **fields})


def test_a_trailing_stop_takes_exactly_one_distance():
    assert intent(order_type="TRAIL", trailing_percent="5").trailing_percent == Decimal(5)
    assert intent(order_type="trail", trailing_amount="2.5").trailing_amount == Decimal("2.5")
    for wrong in ({}, {"trailing_percent": "5", "trailing_amount": "1"}):
        with pytest.raises(InvalidInput) as err:
            intent(order_type="TRAIL", **wrong)
        assert err.value.message == NEEDS_TRAIL
    with pytest.raises(InvalidInput) as err:
        intent(order_type="LMT", limit_price="10", trailing_percent="5")
    assert err.value.message == NO_TRAIL_HERE
    with pytest.raises(InvalidInput):
        intent(order_type="TRAIL", trailing_percent="100")
    with pytest.raises(InvalidInput):
        intent(order_type="TRAIL", trailing_percent="5", stop_price="100")


def test_orders_without_a_trail_hash_as_before_and_round_trip():
    plain = intent(order_type="LMT", limit_price="10")
    assert "trailing_amount" not in plain.canonical() and "trailing_percent" not in plain.canonical()
    trailing = intent(order_type="TRAIL", trailing_percent="5.0")
    assert trailing.canonical()["trailing_percent"] == "5"
    assert OrderIntent.from_canonical(trailing.canonical()) == trailing
    assert trailing.hash() != intent(order_type="TRAIL", trailing_percent="6").hash()


def test_risk_values_stops_at_their_stop_or_limit_and_trailing_stops_at_the_last_price():
    last = Decimal("100")
    assert reference_price(intent(side="BUY", order_type="STP", stop_price="105"), last) == Decimal("105")
    assert reference_price(intent(side="BUY", order_type="STP_LMT", stop_price="105", limit_price="106"), last) == 106
    assert reference_price(intent(order_type="TRAIL", trailing_amount="3"), last) == last
    assert reference_price(intent(order_type="TRAIL", trailing_percent="3"), None) is None  # refused: no price


def _broker_order(sim, account, order):
    return sim.exchange.accounts[account.account_number].orders[int(order.broker_id)]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["STP", "STP_LMT", "TRAIL"])
def test_each_stop_kind_previews_rests_modifies_and_cancels(kind, system_actor, account, sim, place, last_price):
    last = last_price()
    stop = (last * Decimal("1.04")).quantize(Decimal("0.01"))  # a buy stop above the market: it rests
    prices = {"STP": {"stop_price": str(stop)},
              "STP_LMT": {"stop_price": str(stop), "limit_price": str(stop + Decimal("0.5"))},
              "TRAIL": {"trailing_percent": "4"}}[kind]
    n = account.account_number
    preview = services.order_preview(actor=system_actor, account_number=n, symbol="AAPL", side="BUY", quantity="3",
                                     order_type=kind, **prices)
    assert preview.order["order_type"] == kind and preview.broker_preview["is_pass"] is True
    notional = Decimal(preview.risk["notional"])
    valued_at = {"STP": max(stop, last), "STP_LMT": stop + Decimal("0.5"), "TRAIL": last}[kind]
    assert notional == 3 * valued_at
    order = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                 idempotency_key=f"k-{kind}")
    assert order.status == S.SUBMITTED and order.order_type == kind
    at_broker = _broker_order(sim, account, order)
    assert at_broker.order_type == kind and at_broker.status == "Submitted" and not at_broker.triggered
    if kind == "TRAIL":
        assert order.trailing_percent == 4 and at_broker.trailing_percent == 4 and at_broker.aux_price is None
        change = {"trailing_percent": "6"}
    else:
        assert at_broker.aux_price == stop
        change = {"stop_price": str(stop + Decimal("1"))}
        if kind == "STP_LMT":
            change["limit_price"] = str(stop + Decimal("1.5"))

    modify = services.order_modify_preview(actor=system_actor, account_number=n, order_id=order.pk, **change)
    done = services.order_modify(actor=system_actor, account_number=n, order_id=order.pk,
                                 confirmation_token=modify.confirmation_token)
    at_broker = _broker_order(sim, account, order)
    if kind == "TRAIL":
        assert done.trailing_percent == 6 and at_broker.trailing_percent == 6
        assert at_broker.trail_stop > sim.quote("AAPL").latest
    else:
        assert done.stop_price == stop + 1 and at_broker.aux_price == stop + 1

    cancel = services.order_cancel_preview(actor=system_actor, account_number=n, order_id=order.pk)
    cancelled = services.order_cancel(actor=system_actor, account_number=n, order_id=order.pk,
                                      confirmation_token=cancel.confirmation_token)
    assert cancelled.status in (S.CANCEL_PENDING, S.CANCELLED)
    assert _broker_order(sim, account, order).status in ("PendingCancel", "Cancelled")


# --- time in force: GTD, outside regular hours -----------------------------------------------------

def test_gtd_needs_a_future_aware_expiry_and_only_gtd_takes_one():
    from datetime import timedelta

    from django.utils import timezone

    from trading.intents import BAD_EXPIRY, NEEDS_EXPIRY, NO_EXPIRY_HERE

    later = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    gtd = intent(order_type="LMT", limit_price="10", time_in_force="GTD", expire_time=later.isoformat())
    assert gtd.expire_time == later and gtd.canonical()["expire_time"] == later.isoformat()
    assert OrderIntent.from_canonical(gtd.canonical()) == gtd
    # The same instant in another zone is the same order.
    from zoneinfo import ZoneInfo
    assert intent(order_type="LMT", limit_price="10", time_in_force="GTD",
                  expire_time=later.astimezone(ZoneInfo("Asia/Hong_Kong")).isoformat()).hash() == gtd.hash()
    with pytest.raises(InvalidInput) as err:
        intent(order_type="LMT", limit_price="10", time_in_force="GTD")
    assert err.value.message == NEEDS_EXPIRY
    with pytest.raises(InvalidInput) as err:
        intent(order_type="LMT", limit_price="10", time_in_force="GTD", expire_time="2030-01-01T00:00:00")
    assert err.value.message == BAD_EXPIRY.format(value="2030-01-01T00:00:00")  # no zone: not guessed
    with pytest.raises(InvalidInput) as err:
        intent(order_type="LMT", limit_price="10", time_in_force="GTD", expire_time="2020-01-01T00:00:00Z")
    assert "is in the past" in err.value.message
    with pytest.raises(InvalidInput) as err:
        intent(order_type="LMT", limit_price="10", time_in_force="DAY", expire_time=later)
    assert err.value.message == NO_EXPIRY_HERE


def test_outside_regular_hours_is_refused_where_tiger_does_not_offer_it():
    assert intent(order_type="LMT", limit_price="10", outside_rth=True).outside_rth is True
    with pytest.raises(InvalidInput) as err:
        intent(symbol="00700", order_type="LMT", limit_price="380", quantity="100", outside_rth=True)
    assert "only offered for US stocks" in err.value.message


@pytest.mark.django_db
def test_a_gtd_order_rests_at_tiger_with_its_expiry_and_expires_there(system_actor, account, sim, place, last_price):
    from datetime import timedelta

    from django.utils import timezone

    now = sim.clock.now()
    expiry = (max(now, timezone.now()) + timedelta(hours=2)).replace(microsecond=0)
    limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    order = place(quantity="1", order_type="LMT", limit_price=str(limit), time_in_force="GTD",
                  expire_time=expiry.isoformat())
    assert order.status == S.SUBMITTED and order.time_in_force == "GTD" and order.expire_time == expiry
    at_broker = _broker_order(sim, account, order)
    assert at_broker.time_in_force == "GTD" and at_broker.expire_time == int(expiry.timestamp() * 1000)
    # At its expiry the simulator cancels it, as Tiger does, and says why.
    sim.exchange.match(expiry.astimezone(now.tzinfo) + timedelta(seconds=1))
    assert at_broker.status == "Cancelled" and at_broker.reason == "Order expired at its GTD expiry time"


@pytest.mark.django_db
def test_a_spent_cancel_token_is_refused_as_such(system_actor, account, place, last_price):
    from core.errors import PermissionDenied

    limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    order = place(quantity="1", order_type="LMT", limit_price=str(limit))
    n = account.account_number
    token = services.order_cancel_preview(actor=system_actor, account_number=n, order_id=order.pk).confirmation_token
    services.order_cancel(actor=system_actor, account_number=n, order_id=order.pk, confirmation_token=token)
    with pytest.raises(PermissionDenied) as err:  # was a NameError on the refusal path
        services.order_cancel(actor=system_actor, account_number=n, order_id=order.pk, confirmation_token=token)
    assert err.value.code == "confirmation_invalid" or "confirmation" in err.value.message.lower()
