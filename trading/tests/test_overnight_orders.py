"""The US overnight session (Tiger's trading_session_type OVERNIGHT): a US stock's LMT order, refused
with how to fix it otherwise; previewed as trading overnight; placed with the real SDK, it works only in
the simulator's overnight window (20:00 to 04:00 New York time) and fills there."""

from decimal import Decimal

import pytest

from broker.types import OrderIntent
from core.errors import InvalidInput
from trading import services
from trading.intents import BAD_SESSION, OVERNIGHT_TERMS, normalise_intent
from trading.models import OrderStatus

S = OrderStatus
D = Decimal
CENT = D("0.01")
OVERNIGHT = "2026-11-24T03:00:00Z"  # Monday 22:00 in New York: the night before Tuesday's session


def intent(**over):
    values = dict(account_number="A1", symbol="AAPL", side="BUY", quantity="10", order_type="LMT", limit_price="100",
                  trading_session_type="overnight")
    values.update(over)
    return normalise_intent(**values)


def test_overnight_is_part_of_the_order_and_its_hash():
    night = intent()
    assert night.trading_session_type == "OVERNIGHT" and OrderIntent.from_canonical(night.canonical()) == night
    assert night.hash() != intent(trading_session_type=None).hash()
    assert "trading_session_type" not in intent(trading_session_type=None).canonical()  # earlier orders keep theirs


@pytest.mark.parametrize("over, message", [
    ({"trading_session_type": "NIGHT"}, BAD_SESSION.format(value="NIGHT")),
    ({"order_type": "MKT", "limit_price": None}, OVERNIGHT_TERMS.format(got="order_type MKT")),
    ({"symbol": "00700", "quantity": "100"}, OVERNIGHT_TERMS.format(got="market HK")),
    ({"outside_rth": True}, OVERNIGHT_TERMS.format(got="outside_rth")),
])
def test_only_a_us_stocks_limit_order_trades_overnight(over, message):
    with pytest.raises(InvalidInput) as err:
        intent(**over)
    assert err.value.message == message


@pytest.fixture
def clock_at(sim):
    start = sim.clock.now()
    yield sim.clock.set
    sim.clock.set(start)


@pytest.mark.django_db
def test_an_overnight_order_waits_through_the_day_and_fills_in_the_overnight_window(
        sim, account, system_actor, clock_at):
    n = account.account_number
    limit = (sim.quote("AAPL").ask * D("1.08")).quantize(CENT)  # marketable, inside the 10 % price collar
    order = dict(symbol="AAPL", side="BUY", quantity="5", order_type="LMT", limit_price=str(limit),
                 trading_session_type="OVERNIGHT")
    preview = services.order_preview(actor=system_actor, account_number=n, **order)
    assert preview.order["trading_session_type"] == "OVERNIGHT"
    assert preview.preview["session"]["name"] == "overnight"
    assert preview.preview["session"]["text"].startswith("Trades in the US overnight session only (20:00 to 04:00")
    placed = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                  idempotency_key="night-1")
    at_broker = sim.exchange.accounts[n].orders[int(placed.broker_id)]
    # Marketable in the regular session, yet it waits: it works only overnight.
    assert placed.status == S.SUBMITTED and at_broker.status != "Filled"
    assert at_broker.trading_session_type == "OVERNIGHT" and at_broker.session_day == "2026-11-24"
    clock_at(OVERNIGHT)
    assert sim.quote("AAPL").ask <= limit  # the limit still reaches the overnight ask
    sim.match()
    services.orders_reconcile(actor=system_actor, account_number=n)
    placed.refresh_from_db()
    assert at_broker.status == "Filled" and placed.status == S.FILLED and placed.filled_quantity == 5


@pytest.mark.django_db
def test_the_simulator_refuses_an_overnight_market_order_in_tigers_words(sim, account, system_actor):
    from broker.client import broker_for
    from core.errors import BrokerRejected

    spec = OrderIntent(symbol="AAPL", side="BUY", quantity=D("1"), order_type="MKT", account_number=account.account_number,
                       trading_session_type="OVERNIGHT")
    with pytest.raises(BrokerRejected) as err:
        broker_for(account).place_order(spec)
    assert "Overnight trading only supports limit orders" in err.value.message
