import time

import pytest
from tigeropen.common.consts import OrderStatus
from tigeropen.common.exceptions import ApiException, RequestException, ResponseException
from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import market_order
from tigeropen.quote.quote_client import QuoteClient
from tigeropen.trade.trade_client import TradeClient

from tigersim.clock import SimClock
from tigersim.server import Simulator

from .conftest import US_SESSION

AAPL = stock_contract("AAPL", "USD")


def test_latency_delays_the_next_call_only(sim, trade):
    # How long the delay is: bench/waits.py. Here: it fires once, and the delayed call still answers.
    fault = sim.faults.inject("positions", kind="latency", seconds=0.3)
    assert trade.get_positions() == []
    assert trade.get_positions() == []
    assert fault.fired == 1 and sim.faults.pending("positions") == 0  # times=1: used up
    assert sim.faults.history.count(("positions", "latency")) == 1


def test_http_error(sim, trade):
    sim.faults.inject("positions", kind="http_error", status=503)
    with pytest.raises(ResponseException, match="invalid http status 503"):
        trade.get_positions()
    assert trade.get_positions() == []


def test_drop_after_accept_leaves_the_order(sim, demo, trade):
    sim.faults.inject("place_order", kind="drop_after_accept")
    order = market_order(demo.account, AAPL, "BUY", 2)
    with pytest.raises(RequestException):
        trade.place_order(order)
    assert order.id is None  # the client never heard back...
    [placed] = sim.exchange.accounts[demo.account].orders.values()  # ...but the order exists
    assert placed.filled == 2 and sim.request_count("place_order") == 1
    assert trade.get_order(order_id=placed.order_id).status == OrderStatus.FILLED


def test_drop_after_accept_by_timeout(sim, demo):
    config = sim.client_config(demo, timeout=1)
    client = TradeClient(config)
    sim.faults.inject("place_order", kind="drop_after_accept", seconds=1.6)
    with pytest.raises(RequestException, match="timed out|Read timed out"):
        client.place_order(market_order(demo.account, AAPL, "BUY", 1))
    assert len(sim.exchange.accounts[demo.account].orders) == 1


def test_rate_limit_fault_and_forced_order_outcomes(sim, demo, trade):
    sim.faults.inject("place_order", kind="rate_limit")
    with pytest.raises(ApiException) as err:
        trade.place_order(market_order(demo.account, AAPL, "BUY", 1))
    assert err.value.code == 4 and "current limiting interface:place_order, up to 120 times" in err.value.msg
    sim.faults.inject("place_order", kind="reject", message="bad_request:risk check failed")
    with pytest.raises(ApiException) as err:
        trade.place_order(market_order(demo.account, AAPL, "BUY", 1))
    assert (err.value.code, err.value.msg) == (1300, "bad_request:risk check failed")
    sim.faults.inject("place_order", kind="inactivate", message="Order rejected: test")
    rejected = market_order(demo.account, AAPL, "BUY", 1)
    trade.place_order(rejected)
    got = trade.get_order(id=rejected.id)
    assert got.status == OrderStatus.REJECTED and got.reason == "Order rejected: test" and got.filled == 0
    sim.faults.inject("place_order", kind="partial_fill", quantity=3)
    part = market_order(demo.account, AAPL, "BUY", 10)
    trade.place_order(part)
    sim.clock.advance(60)
    sim.match()
    got = trade.get_order(id=part.id)
    assert got.status == OrderStatus.PARTIALLY_FILLED and got.filled == 3


def test_server_error_and_429(sim, trade):
    sim.faults.inject("assets", kind="server_error")
    with pytest.raises(ApiException) as err:
        trade.get_assets()
    assert err.value.code == 1
    sim.faults.inject("assets", kind="rate_limit", status=429)
    with pytest.raises(ResponseException, match="429"):
        trade.get_assets()


def test_random_faults_are_reproducible(sim, demo, trade):
    def run():
        sim.faults.clear()
        sim.faults.random_mode(0.5, seed=7, kinds=("rate_limit", "server_error"))
        outcomes = []
        for _ in range(20):
            try:
                trade.get_positions()
                outcomes.append("ok")
            except ApiException as exc:
                outcomes.append(exc.code)
        return outcomes
    first, second = run(), run()
    assert first == second and "ok" in first and 4 in first and 1 in first


def test_rate_limits_roll_over_a_short_window(demo):
    sim = Simulator(seed=1, clock=SimClock(US_SESSION, frozen=True), rate_limit_window=1.0,
                    match_interval=None).start()
    try:
        creds = sim.ensure_demo()
        quote = QuoteClient(sim.client_config(creds), is_grab_permission=False)
        for _ in range(10):
            quote.get_market_status()
        with pytest.raises(ApiException) as err:
            quote.get_market_status()
        assert err.value.code == 4
        assert err.value.msg == "rate limit error(current limiting interface:market_state, up to 10 times per minute)"
        # limits are per developer and per interface
        TradeClient(sim.client_config(creds)).get_positions()
        other = sim.create_developer()
        sim.open_account(other.tiger_id)
        QuoteClient(sim.client_config(other), is_grab_permission=False).get_market_status()
        time.sleep(1.05)
        assert quote.get_market_status()
    finally:
        sim.stop()


def test_fifty_parallel_requests(sim, demo, trade):
    from concurrent.futures import ThreadPoolExecutor
    sim.rate_limiter.enabled = False
    sim.faults.inject("prime_assets", kind="latency", times=None, seconds=0.2)
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda _: trade.get_prime_assets(), range(50)))
    # Every one answered, with the right account and no error (served concurrently: bench/waits.py).
    assert len(results) == 50 and all(r.account == demo.account for r in results)
    assert sim.request_count("prime_assets") == 50
