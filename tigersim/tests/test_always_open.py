"""Continuous trading (--always-open, for a demo at any hour): orders fill on a weekend with the
option, at the last session's prices; without it the real calendar keeps them waiting."""

import argparse
from decimal import Decimal

import pytest
from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import market_order
from tigeropen.quote.quote_client import QuoteClient
from tigeropen.trade.trade_client import TradeClient

from tigersim.cli import add_arguments
from tigersim.clock import SimClock
from tigersim.server import Simulator

from .conftest import SATURDAY


def _weekend_fill(always_open: bool):
    sim = Simulator(seed=42, clock=SimClock(SATURDAY, frozen=True), match_interval=None,
                    always_open=always_open).start()
    try:
        demo = sim.ensure_demo()
        trade = TradeClient(sim.client_config(demo))
        orders = [market_order(demo.account, stock_contract("AAPL", "USD"), "BUY", 10),
                  market_order(demo.account, stock_contract("00700", "HKD"), "BUY", 100)]
        for order in orders:
            trade.place_order(order)
        sim.match()
        statuses = [trade.get_order(id=order.id) for order in orders]
        markets = {row.market: row.trading_status for row in QuoteClient(sim.client_config(demo)).get_market_status()}
        return statuses, markets
    finally:
        sim.stop()


def test_orders_fill_on_a_weekend_only_when_always_open():
    filled, markets = _weekend_fill(True)
    assert [(o.status.name, o.filled) for o in filled] == [("FILLED", 10), ("FILLED", 100)]
    assert all(o.avg_fill_price > 0 for o in filled)
    assert markets["US"] == markets["HK"] == "TRADING"

    waiting, markets = _weekend_fill(False)
    assert [o.filled for o in waiting] == [0, 0] and all(o.status.name != "FILLED" for o in waiting)
    assert markets["US"] == "MARKET_CLOSED"


def test_the_cli_takes_always_open_and_defaults_to_the_real_calendar():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--state", "s", "--always-open"]).always_open is True
    assert parser.parse_args(["--state", "s"]).always_open is False


def test_demo_positions_only_when_asked_for(tmp_path):
    plain = Simulator(seed=42, clock=SimClock(SATURDAY, frozen=True), match_interval=None)
    seeded = Simulator(seed=42, clock=SimClock(SATURDAY, frozen=True), match_interval=None, demo_positions=True)
    try:
        assert plain.exchange.accounts[plain.ensure_demo().account].positions == {}
        held = seeded.exchange.accounts[seeded.ensure_demo().account].positions
        assert {s: p.quantity for s, p in held.items()} == {"AAPL": 100, "NVDA": 50, "SPY": 20, "00700": 200,
                                                             "09988": 500}
        assert all(p.average_cost > Decimal("0") for p in held.values())
    finally:
        plain.stop()
        seeded.stop()
