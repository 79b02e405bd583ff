"""50 concurrent requests for the same 20 quotes within the time-to-live.

    python -m bench.quote_stampede [--clients 50] [--latency 0.1] [--steady-seconds 5] [--interval 0.1]

Targets: exactly one broker call serves them all (issue 5); a warm-cache request's p50 <= 10 ms
(issue 15: a cache hit costs the permission check and the cache lookup, nothing else).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time

from bench.support import bench_accounts, bench_django, bench_simulator

WARM_P50_TARGET_MS = 10


def steady_callers(clients: int, seconds: float, interval: float, request) -> list[float]:
    """`clients` threads, each sending a request every `interval` s (staggered) for `seconds`: the
    latency of every request. Each thread keeps its database connection, as a server's worker does."""
    from django.db import connections

    latencies: list[float] = []
    stop_at = time.monotonic() + seconds

    def caller(offset: float):
        time.sleep(offset)
        try:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                request()
                latencies.append(time.perf_counter() - started)
                time.sleep(max(0.0, interval - (time.perf_counter() - started)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=caller, args=(i * interval / clients,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every gateway call")
    parser.add_argument("--steady-seconds", type=float, default=5.0, help="length of the steady phase")
    parser.add_argument("--interval", type=float, default=0.1, help="steady phase: seconds between a caller's requests")
    args = parser.parse_args(argv)

    bench_django("quotes")
    from broker.cache import cache_clear_marketdata
    from django.db import connections

    from accounts.actors import Actor
    from broker.cache import ttl_for
    from marketdata.services import quotes_get
    from marketdata.tests.factories import simulator_extra_symbols

    symbols = simulator_extra_symbols()
    sim = bench_simulator()
    try:
        account = bench_accounts(sim, 1, positions=(), label="Quotes")[0]
        actor = Actor.system("api", "bench")
        # One call first, so one-time costs (the SDK's first DataFrame) are not counted as waiting.
        quotes_get(actor=actor, symbols=symbols, account_number=account.account_number)
        sim.faults.inject("quote_real_time", "latency", times=None, seconds=args.latency)
        cache_clear_marketdata()

        def wave(open_connection: bool = False) -> tuple[int, list[float], list[Exception]]:
            """All callers released at once. open_connection: each caller's thread has its database
            connection open already, as a server's pooled worker thread has after its first request."""
            before = sim.request_count("quote_real_time")
            barrier = threading.Barrier(args.clients)
            latencies, errors = [], []

            def client():
                try:
                    if open_connection:
                        connections["default"].ensure_connection()
                    barrier.wait()
                    started = time.perf_counter()
                    quotes = quotes_get(actor=actor, symbols=symbols, account_number=account.account_number)
                    latencies.append(time.perf_counter() - started)
                    assert [q.symbol for q in quotes] == symbols
                except Exception as exc:  # noqa: BLE001
                    errors.append(exc)
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return sim.request_count("quote_real_time") - before, latencies, errors

        print(f"{args.clients} concurrent requests for the same {len(symbols)} quotes; gateway latency "
              f"{args.latency * 1000:.0f} ms; quote time-to-live {ttl_for('quote')} s")
        cold_calls, cold_lat, cold_errors = wave()
        warm_calls, warm_lat, warm_errors = wave()
        for name, calls, lat, errs in (("cold cache", cold_calls, cold_lat, cold_errors),
                                       ("warm cache", warm_calls, warm_lat, warm_errors)):
            print(f"{name}: broker calls {calls}; per request median {statistics.median(lat) * 1000:.0f} ms, "
                  f"max {max(lat) * 1000:.0f} ms; errors {len(errs)}")
        met = cold_calls == 1 and warm_calls == 0 and not cold_errors and not warm_errors
        print(f"target exactly one broker call: {'met' if met else 'MISSED'}")
        warm_p50 = statistics.median(warm_lat) * 1000
        print(f"warm-cache burst (all {args.clients} released at once, each on a new thread that first opens its "
              f"database connection) p50 {warm_p50:.1f} ms, target <= {WARM_P50_TARGET_MS} ms: ratio "
              f"{warm_p50 / WARM_P50_TARGET_MS:.2f}")
        _, pooled_lat, pooled_errors = wave(open_connection=True)
        pooled_p50 = statistics.median(pooled_lat) * 1000
        print(f"warm-cache burst (all {args.clients} released at once, each thread's connection already open, as "
              f"a server's worker) p50 {pooled_p50:.1f} ms, p95 {statistics.quantiles(pooled_lat, n=20)[18] * 1000:.1f} "
              f"ms; errors {len(pooled_errors)}; target <= {WARM_P50_TARGET_MS} ms: ratio "
              f"{pooled_p50 / WARM_P50_TARGET_MS:.2f}")
        steady = steady_callers(args.clients, args.steady_seconds, args.interval,
                                lambda: quotes_get(actor=actor, symbols=symbols, account_number=account.account_number))
        steady_p50 = statistics.median(steady) * 1000
        fast = steady_p50 <= WARM_P50_TARGET_MS
        print(f"warm-cache steady ({args.clients} callers, each a request every {args.interval * 1000:.0f} ms for "
              f"{args.steady_seconds:.0f} s, {len(steady)} requests): p50 {steady_p50:.1f} ms, p95 "
              f"{statistics.quantiles(steady, n=20)[18] * 1000:.1f} ms; target <= {WARM_P50_TARGET_MS} ms: ratio "
              f"{steady_p50 / WARM_P50_TARGET_MS:.2f} ({'met' if fast else 'MISSED'})")
        return 0 if met and fast else 1
    finally:
        sim.faults.clear()
        sim.stop()


if __name__ == "__main__":
    sys.exit(main())
