"""The portfolio at scale: 200 accounts on 4 developer ids, 100 ms gateway latency, 10 clients each
reading the whole portfolio every 5 s, while the background refresh (the service the Celery beat task
marketdata.portfolio_refresh calls, here on a thread every 5 s) keeps the snapshots fresh.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/7 python -m bench.portfolio_scale [--duration 120]

Targets (issue 15): 0 errors (no account failed or "rate limited"), every account at most 60 s old in
every read, p50 <= 150 ms per portfolio read. The snapshots are primed first (about a minute: Tiger's
budget allows 60 assets reads a minute per developer id), and that is not measured.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time

from bench.support import GatewayProcess, bench_accounts, bench_django, bench_simulator

P50_TARGET_MS = 150
MAX_AGE_TARGET_S = 60


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--developers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between one client's reads")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds measured")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every gateway call")
    args = parser.parse_args(argv)

    bench_django("portfolio-scale")
    from django.conf import settings
    from django.db import connections

    from accounts.actors import Actor
    from marketdata.services import portfolio_aggregate
    from marketdata.services.portfolio import account_snapshots_get, portfolio_snapshots_refresh

    sim = bench_simulator(state_dir=tempfile.mkdtemp(prefix="tigermcp-bench-gateway-"))
    per_developer = args.accounts // args.developers
    accounts = bench_accounts(sim, args.accounts, per_developer=per_developer, positions=(), label="Scale")
    for account in accounts:  # held before the run: no orders against Tiger's rate limits
        sim._seed_positions(account.account_number, [("AAPL", 10), ("MSFT", 5), ("00700", 100)])
    gateway = GatewayProcess(sim, latency=args.latency)
    # A Redis shared with an earlier run may hold snapshots under this run's ids and numbers.
    from django.core.cache import cache

    from marketdata.services.portfolio import _snapshot_key

    cache.delete_many([_snapshot_key(a) for a in accounts])
    stop = threading.Event()
    interval = float(settings.PORTFOLIO_REFRESH_INTERVAL_SECONDS)

    def refresher():
        try:
            while not stop.is_set():
                started = time.monotonic()
                portfolio_snapshots_refresh()
                stop.wait(max(0.0, interval - (time.monotonic() - started)))
        finally:
            connections.close_all()

    refresh_thread = threading.Thread(target=refresher, daemon=True)
    try:
        print(f"{args.accounts} accounts on {args.developers} developer ids; gateway latency "
              f"{args.latency * 1000:.0f} ms (simulator in its own process); cache: "
              f"{'Redis' if settings.REDIS_URL else 'file-based'}; refresh every {interval:.0f} s")
        primed_at = time.monotonic()
        refresh_thread.start()
        while len(account_snapshots_get(accounts)) < len(accounts):
            time.sleep(1)
            if time.monotonic() - primed_at > 300:
                print("priming did not finish in 300 s")
                return 1
        print(f"snapshots primed in {time.monotonic() - primed_at:.0f} s")

        actor = Actor.system("api", "bench")
        latencies: list[float] = []
        errors: list[str] = []
        oldest: list[int] = []
        end_at = time.monotonic() + args.duration

        def client(offset: float):
            time.sleep(offset)
            try:
                while time.monotonic() < end_at:
                    started = time.perf_counter()
                    agg = portfolio_aggregate(actor=actor)
                    latencies.append(time.perf_counter() - started)
                    errors.extend(f"{e.account_number}: {e.code}" for e in agg.errors)
                    ages = [(agg.as_of - a.as_of).total_seconds() for a in agg.accounts]
                    oldest.append(int(max(ages)) if ages else 0)
                    if len(agg.accounts) + len(agg.errors) != len(accounts):
                        errors.append(f"{len(agg.accounts)} accounts read, {len(accounts)} expected")
                    time.sleep(max(0.0, args.every - (time.perf_counter() - started)))
            except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                errors.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=client, args=(i * args.every / args.clients,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stop.set()
        refresh_thread.join(timeout=30)
        gateway.stop()

    p50 = statistics.median(latencies) * 1000
    worst = max(oldest) if oldest else 0
    print(f"{args.clients} clients, a read every {args.every:.0f} s each, {args.duration:.0f} s: {len(latencies)} reads")
    print(f"errors: {len(errors)}{' e.g. ' + errors[0] if errors else ''}")
    print(f"oldest account in any read: {worst} s, target <= {MAX_AGE_TARGET_S} s: ratio {worst / MAX_AGE_TARGET_S:.2f}")
    print(f"portfolio read p50 {p50:.0f} ms (p95 {statistics.quantiles(latencies, n=20)[18] * 1000:.0f} ms), "
          f"target <= {P50_TARGET_MS} ms: ratio {p50 / P50_TARGET_MS:.2f}")
    met = not errors and worst <= MAX_AGE_TARGET_S and p50 <= P50_TARGET_MS
    print(f"targets {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
