"""The broker client through the real tigeropen SDK against the gateway simulator."""

import logging
import threading
from datetime import date
from decimal import Decimal

import pytest

from broker.client import broker_cache_clear, broker_for
from broker.types import OrderIntent
from accounts.models import TigerAccount
from core.errors import BadCredentials, BrokerRejected, BrokerUnavailable, CredentialError, OutcomeUnknown, RateLimited

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean(sim):
    sim.faults.clear()
    yield
    sim.faults.clear()
    broker_cache_clear()


def filled(broker, broker_id, sim):
    sim.match()
    return broker.order(broker_id)


def test_assets_and_fx(tiger_account):
    broker = broker_for(tiger_account)
    assets = broker.assets()
    assert assets.currency == "USD"
    assert assets.cash == Decimal("1000000") and assets.cash_by_currency["USD"] == Decimal("1000000")
    assert assets.net_liquidation == Decimal("1000000")
    rates = assets.fx_rates
    assert rates["USD"] == 1 and Decimal("0.1") < rates["HKD"] < Decimal("0.2")


def test_only_accounts_bound_to_the_embedded_simulator_start_it(tiger_account, settings, monkeypatch):
    import socket

    from tigermcp import embedded as demo
    from tigermcp.testing import free_port

    monkeypatch.setattr(demo, "_embedded", None)
    settings.TIGERSIM_EMBEDDED = True
    settings.TIGERSIM_PORT = free_port()
    assert tiger_account.server_url != demo.embedded_simulator_url()
    broker_for(tiger_account)
    assert demo._embedded is None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", settings.TIGERSIM_PORT), timeout=0.5).close()


def test_quotes_match_the_simulated_market(tiger_account, sim):
    quotes = {q.symbol: q for q in broker_for(tiger_account).quotes(["AAPL", "00700"])}
    for symbol, currency in (("AAPL", "USD"), ("00700", "HKD")):
        model = sim.quote(symbol)
        q = quotes[symbol]
        assert q.currency == currency
        assert q.bid < q.ask and q.bid <= q.latest_price <= q.ask
        # The simulator's clock runs on between the two reads: prices agree closely, the day's
        # previous close exactly.
        assert abs(q.latest_price - model.regular_latest) <= Decimal("0.01") * q.latest_price
        assert q.pre_close == model.pre_close
        assert isinstance(q.latest_price, Decimal) and q.latest_time.tzinfo is not None


def test_filled_market_buy_moves_cash_and_position_by_exact_amounts(tiger_account, sim):
    broker = broker_for(tiger_account)
    before = broker.assets().cash
    placed = broker.place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(10), order_type="MKT"))
    assert placed.broker_id and placed.order_id
    order = filled(broker, placed.broker_id, sim)
    assert order.status == "Filled" and order.filled_quantity == 10
    cost = order.avg_fill_price * 10 + order.commission
    assert broker.assets().cash == before - cost
    [position] = [p for p in broker.positions() if p.symbol == "AAPL"]
    assert position.quantity == 10 and position.currency == "USD"
    assert position.average_cost == cost / 10


def test_limit_order_rests_then_cancels(tiger_account, sim):
    broker = broker_for(tiger_account)
    far_below = (sim.quote("MSFT").bid * Decimal("0.8")).quantize(Decimal("0.01"))
    placed = broker.place_order(OrderIntent(symbol="MSFT", side="BUY", quantity=Decimal(5), order_type="LMT", limit_price=far_below))
    sim.match()
    assert placed.broker_id in {o.broker_id for o in broker.open_orders()}
    order = broker.order(placed.broker_id)
    assert order.status in ("Submitted", "Initial", "PendingNew") and order.limit_price == far_below and order.can_modify
    broker.modify_order(placed.broker_id, OrderIntent(symbol="MSFT", side="BUY", quantity=Decimal(7), order_type="LMT", limit_price=far_below))
    assert broker.order(placed.broker_id).quantity == 7
    broker.cancel_order(placed.broker_id)
    sim.match()
    assert broker.order(placed.broker_id).status == "Cancelled"
    assert placed.broker_id not in {o.broker_id for o in broker.open_orders()}
    assert placed.broker_id in {o.broker_id for o in broker.orders()}


def test_preview_has_commission_and_margin(tiger_account):
    preview = broker_for(tiger_account).preview_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(100), order_type="MKT"))
    assert preview.is_pass is True
    assert preview.max_commission >= preview.min_commission > 0 and preview.commission_currency == "USD"
    assert preview.init_margin > 0


def test_selling_what_you_do_not_hold_is_rejected_with_tigers_message(make_tiger_account):
    from tigersim.server import Simulator  # noqa: F401  (the simulator decides; we only translate)

    account = make_tiger_account()
    with pytest.raises(BrokerRejected) as err:
        broker_for(account).place_order(OrderIntent(symbol="AAPL", side="SELL", quantity=Decimal(10**9), order_type="MKT"))
    assert account.account_number in err.value.message


def test_bars_ticks_contract_options_and_status(tiger_account):
    broker = broker_for(tiger_account)
    page = broker.bars(["AAPL"], period="day", limit=5)
    bars = page.bars["AAPL"]
    assert len(bars) == 5 and all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) for b in bars)
    assert [b.time for b in bars] == sorted(b.time for b in bars)
    minute = broker.bars(["AAPL", "MSFT"], period="1min", limit=3).bars
    assert len(minute["AAPL"]) == 3 and len(minute["MSFT"]) == 3
    ticks = broker.trade_ticks(["AAPL"], limit=10)["AAPL"]
    assert ticks and all(t.price > 0 and t.volume > 0 for t in ticks)
    contract = broker.contract("AAPL")
    assert contract.symbol == "AAPL" and contract.currency == "USD" and contract.sec_type == "STK"
    expiries = broker.option_expirations("AAPL")
    assert expiries and all(isinstance(e, date) for e in expiries)
    chain = broker.option_chain("AAPL", expiries[0])
    assert {o.put_call for o in chain} == {"CALL", "PUT"} and all(o.strike > 0 for o in chain)
    statuses = broker.market_status("US")
    assert statuses[0].market == "US" and statuses[0].status


def test_wrong_private_key_gets_a_clear_credential_error(make_tiger_account, sim):
    other = sim.create_developer()
    account = make_tiger_account(private_key=other.private_key)
    with pytest.raises(BadCredentials) as err:
        broker_for(account).assets()
    assert "private key does not match" in err.value.message
    assert other.private_key not in err.value.message


def test_rate_limit_reply_becomes_rate_limited(tiger_account, sim):
    sim.faults.inject("positions", kind="rate_limit")
    with pytest.raises(RateLimited) as err:
        broker_for(tiger_account).positions()
    assert err.value.retry_after > 0 and "retry in" in err.value.message


def test_server_error_on_a_read_is_unavailable(tiger_account, sim):
    sim.faults.inject("positions", kind="http_error", status=503)
    with pytest.raises(BrokerUnavailable, match="Nothing was changed"):
        broker_for(tiger_account).positions()


def test_lost_reply_to_an_order_is_outcome_unknown_and_the_order_exists_once(tiger_account, sim):
    broker = broker_for(tiger_account)
    before = len(broker.orders())
    sim.faults.inject("place_order", kind="drop_after_accept")
    with pytest.raises(OutcomeUnknown, match="will NOT be re-sent"):
        broker.place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(1), order_type="MKT"))
    assert len(broker.orders()) == before + 1


def test_5xx_on_an_order_is_outcome_unknown_not_retried(tiger_account, sim):
    broker = broker_for(tiger_account)
    sim.reset_counts()
    sim.faults.inject("place_order", kind="http_error", status=502)
    with pytest.raises(OutcomeUnknown):
        broker.place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(1), order_type="MKT"))
    assert sim.request_count("place_order") == 1


def test_client_is_cached_and_rebuilt_when_the_account_changes(tiger_account):
    first = broker_for(tiger_account)
    assert broker_for(TigerAccount.objects.get(pk=tiger_account.pk)) is first
    tiger_account.label = "renamed"
    tiger_account.save()
    assert broker_for(tiger_account) is not first


def test_missing_credentials_say_where_to_add_them(make_tiger_account):
    account = make_tiger_account(private_key="")
    with pytest.raises(CredentialError, match="Add it in the admin"):
        broker_for(account)


def test_concurrent_calls_from_threads(tiger_account):
    broker = broker_for(tiger_account)
    results, errors = [], []

    def work():
        try:
            results.append(broker.quotes(["AAPL", "NVDA"]))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8 and all(len(r) == 2 for r in results)


def test_sdk_debug_logging_never_shows_credentials(tiger_account, caplog):
    sdk_logger = logging.getLogger("tiger_openapi")
    old = sdk_logger.level
    sdk_logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        broker = broker_for(tiger_account)
        broker.assets()
        with pytest.raises(BrokerRejected):
            broker.place_order(OrderIntent(symbol="AAPL", side="SELL", quantity=Decimal(10**9), order_type="MKT"))
    finally:
        sdk_logger.setLevel(old)
    text = caplog.text
    assert tiger_account.private_key not in text
    assert tiger_account.private_key[:40] not in text


def test_market_order_before_the_open_says_what_is_allowed(tiger_account, sim):
    from datetime import datetime, timezone

    now = sim.clock.now()
    sim.clock.set(datetime(2026, 11, 23, 13, 0, tzinfo=timezone.utc))  # 08:00 in New York: pre-market
    try:
        with pytest.raises(BrokerRejected) as err:
            broker_for(tiger_account).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(1), order_type="MKT"))
    finally:
        sim.clock.set(now)
    assert err.value.code == "market_closed" and "outside_rth=true" in err.value.message
