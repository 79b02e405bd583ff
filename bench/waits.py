"""How long callers wait, where the tests only assert that they wait (or not) and in what order.

    python -m bench.waits [--runs 5]

- rate limiter (in-process): a used-up budget refuses at once (target < 50 ms); a caller whose
  slot frees within the allowed wait is admitted when the oldest call leaves a 1 s window
  (target 0.3-1.6 s);
- simulator: a latency fault of 0.3 s delays exactly the next call (target >= 0.3 s, the call
  after it < 0.3 s); 50 parallel calls with 0.2 s latency each are served concurrently
  (target < 5 s, against 10 s in series).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from bench.support import bench_django, bench_simulator


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def limiter(runs: int) -> list[tuple[str, float, bool]]:
    from django.conf import settings

    from broker.limits import rate_limit_acquire, rate_limit_reset
    from core.errors import RateLimited

    refusals, queued = [], []
    for run in range(runs):
        rate_limit_reset()
        for _ in range(10):
            rate_limit_acquire(tiger_id_hash=f"bench{run}", api="market_state")

        def refused():
            try:
                rate_limit_acquire(tiger_id_hash=f"bench{run}", api="market_state")
            except RateLimited:
                return
            raise AssertionError("a used-up budget was not refused")

        refusals.append(_timed(refused))
        settings.MARKETDATA_RATE_WINDOW_SECONDS = 1.0
        rate_limit_reset()
        for _ in range(10):
            rate_limit_acquire(tiger_id_hash=f"queue{run}", api="market_state")
        queued.append(_timed(lambda: rate_limit_acquire(tiger_id_hash=f"queue{run}", api="market_state")))
        del settings.MARKETDATA_RATE_WINDOW_SECONDS
    refusal, wait = statistics.median(refusals), statistics.median(queued)
    return [("used-up budget refused after", refusal, refusal < 0.05),
            ("slot freeing within 1 s admitted after", wait, 0.3 < wait < 1.6)]


def simulator(runs: int) -> list[tuple[str, float, bool]]:
    from tigeropen.trade.trade_client import TradeClient

    sim = bench_simulator()
    try:
        sim.rate_limiter.enabled = False
        demo = sim.ensure_demo()
        trade = TradeClient(sim.client_config(demo))
        trade.get_positions()  # one-time costs (connection, the SDK's first parse) not counted
        delayed, after = [], []
        for _ in range(runs):
            sim.faults.inject("positions", kind="latency", seconds=0.3)
            delayed.append(_timed(trade.get_positions))
            after.append(_timed(trade.get_positions))
        sim.faults.inject("prime_assets", kind="latency", times=None, seconds=0.2)
        with ThreadPoolExecutor(50) as pool:
            parallel = _timed(lambda: list(pool.map(lambda _: trade.get_prime_assets(), range(50))))
    finally:
        sim.stop()
    slow, fast = statistics.median(delayed), statistics.median(after)
    return [("call with a 0.3 s latency fault", slow, slow >= 0.3),
            ("the call after it", fast, fast < 0.3),
            ("50 parallel calls, 0.2 s latency each", parallel, parallel < 5)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    bench_django("waits")
    results = limiter(args.runs) + simulator(args.runs)
    for name, seconds, met in results:
        print(f"{name}: {seconds * 1000:.0f} ms ({'met' if met else 'MISSED'})")
    return 0 if all(met for _, _, met in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
