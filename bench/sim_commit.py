"""The cost of the simulator's durable commit, per order.

    python -m bench.sim_commit [--orders 400] [--threads 8]

The simulator now writes every change it acknowledges before it answers: one SQLite transaction
(WAL, synchronous=FULL) per request. Before, it answered from memory and a background thread
rewrote the whole state as one JSON file about every 0.5 s. This places (and cancels) the same
limit orders through the tigeropen SDK against both kinds of simulator and prints:
- place_order latency (p50, mean) with one client, durable and in memory, and the ratio;
- orders per second with several clients at once (the commit runs under the exchange lock);
- what one old whole-state write cost at the end state's size (it grows with every order kept).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import asdict

US_SESSION = "2026-03-10T15:00:00Z"


def _simulator(state_dir):
    from tigersim.clock import SimClock
    from tigersim.server import Simulator

    return Simulator(state_dir=state_dir, seed=42, clock=SimClock(US_SESSION, frozen=True), match_interval=None).start()


def _place(client, account, count: int) -> list[float]:
    """Place and cancel ``count`` resting limit orders; returns each place_order's latency."""
    from tigeropen.common.util.contract_utils import stock_contract
    from tigeropen.common.util.order_utils import limit_order

    contract = stock_contract("AAPL", "USD")
    took = []
    for _ in range(count):
        order = limit_order(account, contract, "BUY", 1, 1.0)  # far under the market: it rests
        started = time.perf_counter()
        client.place_order(order)
        took.append(time.perf_counter() - started)
        # Cancelled at once, so few orders stay open: with hundreds open, the simulator's buying-power
        # check (it walks and prices every open order) would be what this measures.
        client.cancel_order(id=order.id)
    return took


def _run(state_dir, orders: int, threads: int) -> dict:
    from tigeropen.trade.trade_client import TradeClient

    sim = _simulator(state_dir)
    try:
        demo = sim.ensure_demo()
        config = sim.client_config(demo)
        sim.rate_limiter.enabled = False  # the simulator is measured here, not Tiger's limits
        _place(TradeClient(config), demo.account, 20)  # warm: the SDK's first calls and connections
        single = _place(TradeClient(config), demo.account, orders)
        clients = [TradeClient(sim.client_config(demo)) for _ in range(threads)]
        started = time.perf_counter()
        workers = [threading.Thread(target=_place, args=(c, demo.account, orders // threads)) for c in clients]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        parallel = (orders // threads) * threads / (time.perf_counter() - started)
        return {"p50": statistics.median(single) * 1000, "mean": statistics.fmean(single) * 1000,
                "parallel": parallel, "exchange": sim.exchange}
    finally:
        sim.stop()


def _old_whole_state_write(exchange, folder) -> float:
    """One write as the old flusher did it: every developer, account and order, fsynced, replaced."""
    from tigersim.persistence import _encode

    started = time.perf_counter()
    data = {"format": 1, "exchange": {"developers": [asdict(d) for d in exchange.developers.values()],
                                      "accounts": [asdict(a) for a in exchange.accounts.values()]}}
    path = os.path.join(folder, "old_state.json")
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(data, fh, default=_encode, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(path + ".tmp", path)
    return (time.perf_counter() - started) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="tigersim-bench-") as folder:
        durable = _run(os.path.join(folder, "state"), args.orders, args.threads)
        memory = _run(None, args.orders, args.threads)
        kept = sum(len(a.orders) for a in durable["exchange"].accounts.values())
        old_write = statistics.median(_old_whole_state_write(durable["exchange"], folder) for _ in range(5))

    print(f"place_order, one client, {args.orders} orders (p50 / mean):")
    print(f"  durable (SQLite commit before the reply)  {durable['p50']:.2f} ms / {durable['mean']:.2f} ms")
    print(f"  in memory (the old request path)          {memory['p50']:.2f} ms / {memory['mean']:.2f} ms")
    print(f"  ratio durable / in memory                 {durable['p50'] / memory['p50']:.2f}x p50, "
          f"+{durable['p50'] - memory['p50']:.2f} ms per order")
    print(f"{args.threads} clients at once, place + cancel: durable {durable['parallel']:.0f} orders/s, "
          f"in memory {memory['parallel']:.0f} orders/s")
    print(f"old whole-state JSON write at {kept} orders: {old_write:.1f} ms each (every ~0.5 s while anything changed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
