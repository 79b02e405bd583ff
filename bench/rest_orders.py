"""Listing 50 of 10,000 orders over REST on PostgreSQL: GET /api/orders/?limit=50 with an API token,
through the whole Django stack (middleware, authentication, throttling, serializers), the first page
and a page reached by cursor.

    python -m bench.rest_orders [--orders 10000] [--runs 50] [--server postgres://postgres@127.0.0.1:5432/postgres]

Targets (issue 15): p50 <= 30 ms; the same number of queries for a page of 5 and of 50.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from bench.support import bench_accounts, bench_django, bench_simulator, throwaway_postgres

P50_TARGET_MS = 30



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL server URL; a database is created there for the run and dropped")
    args = parser.parse_args(argv)
    with throwaway_postgres(args.server, "tigermcp_bench_rest") as database_url:
        bench_django("rest-orders", database_url=database_url)
        return _run(args.orders, args.runs)


def _run(count: int, runs: int) -> int:
    import uuid
    from datetime import timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework.test import APIClient

    from accounts.actors import Actor
    from accounts.models import Scope
    from accounts.services import api_token_create, grant_set
    from trading.models import Order, OrderStatus

    settings.API_THROTTLE_RATE = ""  # measured: the list, not the throttle's refusals
    sim = bench_simulator()
    try:
        [account] = bench_accounts(sim, 1, positions=(), label="Orders")
    finally:
        sim.stop()
    start = timezone.now() - timedelta(days=30)
    statuses = [OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.SUBMITTED, OrderStatus.REJECTED]
    Order.objects.bulk_create([Order(
        client_ref=uuid.uuid4().hex, account=account, idempotency_key=uuid.uuid4().hex, payload_hash="0" * 64,
        symbol=("AAPL", "MSFT", "00700", "TSLA")[i % 4], side="BUY", order_type="LMT", quantity=Decimal(10),
        limit_price=Decimal("100.5"), reference_price=Decimal("100.5"), status=statuses[i % 4], actor_type="system",
        actor_label="bench", door="cli", created_at=start + timedelta(seconds=i * 60)) for i in range(count)],
        batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    actor = Actor.system("cli", "bench")
    token, plain = api_token_create(actor=actor, name="bench")
    grant_set(actor=actor, account=account, scope=Scope.READ, api_token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")

    def timed(url: str) -> tuple[float, dict]:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:300]
        return elapsed, response.json()

    timed("/api/orders/?limit=50")  # warm-up: first-request set-up is not the list's cost
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with CaptureQueriesContext(connection) as captured:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(10):
                timed("/api/orders/?limit=50")
            profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)
        for q in captured.captured_queries[:3]:
            print(q["time"], q["sql"][:600])
    first = [timed("/api/orders/?limit=50") for _ in range(runs)]
    cursor_url = first[0][1]["next"]
    for _ in range(20):  # a page deep in the list (about 1,000 orders back)
        cursor_url = timed(cursor_url)[1]["next"]
    deep = [timed(cursor_url) for _ in range(runs)]
    filtered = [timed("/api/orders/?limit=50&status=SUBMITTED&symbol=MSFT") for _ in range(runs)]
    assert len(first[0][1]["orders"]) == 50
    queries = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/api/orders/?limit={size}")
        queries[size] = len(captured)

    print(f"PostgreSQL; {count} orders on one account; GET /api/orders/ with an API token (DRF test client, "
          f"whole stack); median of {runs} requests")
    ok = True
    for label, samples in (("first page of 50", first), ("page 21 by cursor", deep),
                           ("50 filtered (status + symbol)", filtered)):
        p50 = statistics.median(s for s, _ in samples) * 1000
        ok &= p50 <= P50_TARGET_MS
        print(f"{label}: p50 {p50:.1f} ms, target <= {P50_TARGET_MS} ms: ratio {p50 / P50_TARGET_MS:.2f}")
    constant = queries[5] == queries[50]
    print(f"queries per page: {queries[5]} for 5 orders, {queries[50]} for 50 ({'constant' if constant else 'NOT constant'})")
    ok &= constant
    print(f"targets {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
