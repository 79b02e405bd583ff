"""The admin home and the portfolio page for many accounts, on PostgreSQL.

    python -m bench.admin_pages [--runs 20] [--server postgres://postgres@127.0.0.1:5432/postgres]

Targets (issue 13): with 50 accounts holding 20 positions each, both pages render in at most 300 ms
at the median, in the same number of queries as with 10 accounts. The pages read the latest portfolio
snapshot and the health rows (no broker call); the value-over-time chart reads a day of snapshots
(288, one every 5 minutes), each holding every account's positions.

A database of its own is created on the server (tigermcp_bench_admin_<pid>) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal

from bench.support import bench_accounts, bench_django, bench_simulator, throwaway_postgres

TARGET_MS = 300
PAGES = {"home": "/admin/", "portfolio": "/admin/marketdata/portfoliosnapshot/positions/"}
HISTORY = 288  # a day of 5-minute snapshots


def _positions() -> list[tuple[str, int]]:
    from marketdata.tests.factories import simulator_extra_symbols
    from tigersim.instruments import UNIVERSE

    # Hong Kong stocks trade in whole board lots (00700: 100, 03690: 400): one lot of each.
    return [(s, UNIVERSE[s].lot_size if s.isdigit() else 10) for s in simulator_extra_symbols()]



def _snapshot_history(actor) -> None:
    """One real snapshot (every account read through the SDK), copied back over the past day."""
    from django.utils import timezone

    from marketdata.models import PortfolioSnapshot
    from marketdata.services import portfolio_snapshot_create

    PortfolioSnapshot.objects.all().delete()
    latest = portfolio_snapshot_create(actor=actor)
    now = timezone.now()
    copies = []
    for i in range(1, HISTORY):
        copy = PortfolioSnapshot(**{f.name: getattr(latest, f.name) for f in PortfolioSnapshot._meta.fields if f.name != "id"})
        copy.taken_at = now - timedelta(minutes=5 * i)
        copy.net_liquidation = latest.net_liquidation - Decimal(i * 37)
        copies.append(copy)
    PortfolioSnapshot.objects.bulk_create(copies, batch_size=50)


def _measure(client, runs: int) -> dict[str, tuple[float, int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200  # warm: templates, the first query plans
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        results[name] = (statistics.median(samples) * 1000, len(captured))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL server URL; a database is created there for the run and dropped")
    args = parser.parse_args(argv)

    with throwaway_postgres(args.server, "tigermcp_bench_admin") as database_url:
        bench_django("admin-pages", database_url=database_url)
        return _run(args.runs)


def _run(runs: int) -> int:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from accounts.actors import Actor
    from marketdata.models import AccountHealth, HealthStatus

    actor = Actor.system("cli", "bench")
    sim = bench_simulator()
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", password="pw-bench-7654321"))
    positions = _positions()
    figures = {}
    try:
        for count in (10, 50):
            have = AccountHealth.objects.count()
            accounts = bench_accounts(sim, count - have, positions=(), label=f"Bench{count}")
            for account in accounts:  # held from before the run: no 1,000 orders against Tiger's rate limits
                sim._seed_positions(account.account_number, positions)
            AccountHealth.objects.bulk_create([AccountHealth(account=a, status=HealthStatus.OK, latency_ms=8,
                                                             checked_at=timezone.now()) for a in accounts])
            _snapshot_history(actor)
            figures[count] = _measure(client, runs)
    finally:
        sim.stop()

    print(f"PostgreSQL; {len(positions)} positions per account; {HISTORY} snapshots of history; "
          f"median of {runs} requests per page (Django test client, superuser)")
    ok = True
    for page in PAGES:
        (ms10, q10), (ms50, q50) = figures[10][page], figures[50][page]
        constant = q10 == q50
        ok = ok and constant and ms50 <= TARGET_MS
        print(f"{page:9s}  10 accounts {ms10:6.0f} ms, {q10} queries;  50 accounts {ms50:6.0f} ms, {q50} queries  "
              f"({ms50 / TARGET_MS:.2f}x the {TARGET_MS} ms target; queries {'constant' if constant else 'GROW'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
