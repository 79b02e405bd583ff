"""50 concurrent requests for the same 20 quotes within the time-to-live.

    python -m bench.quote_stampede [--clients 50] [--latency 0.1]

Target (issue 5): exactly one broker call serves them all.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time

from bench.support import bench_accounts, bench_django, bench_simulator


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every gateway call")
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

        def wave() -> tuple[int, list[float], list[Exception]]:
            before = sim.request_count("quote_real_time")
            barrier = threading.Barrier(args.clients)
            latencies, errors = [], []

            def client():
                try:
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
        return 0 if met else 1
    finally:
        sim.faults.clear()
        sim.stop()


if __name__ == "__main__":
    sys.exit(main())
