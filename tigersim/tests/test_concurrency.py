"""Requests arrive on many threads while orders fill: reads must never see half-changed state."""

import threading

from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import market_order
from tigeropen.trade.trade_client import TradeClient

SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "META", "SPY", "QQQ"]


def test_reads_during_fills_never_fail(sim, demo):
    account = demo.account
    sim.rate_limiter.enabled = False  # this test is about consistency, not limits
    errors, reads = [], []
    stop = threading.Event()

    def reader():
        client = TradeClient(sim.client_config(demo))
        while not stop.is_set():
            try:
                assets = client.get_prime_assets(account=account)
                client.get_positions(account=account)
                reads.append(assets.segments["S"].net_liquidation)
            except Exception as exc:  # collected: any failure is the bug this test looks for
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    writer = TradeClient(sim.client_config(demo))
    try:
        for round_ in range(3):
            for symbol in SYMBOLS:
                writer.place_order(market_order(account, stock_contract(symbol, "USD"), "BUY", 1))
                sim.match()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == [] and len(reads) > 10
    assert sim.request_count("place_order") == 3 * len(SYMBOLS)
