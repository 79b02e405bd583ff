"""The order path's own cost on PostgreSQL: preview + place through the services, minus the time
spent waiting for the gateway.

    python -m bench.order_path [--orders 300] [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Target (issue 16): p50 ≤ 15 ms and p95 ≤ 40 ms per order (preview + place) of our own time. Runs
on a throw-away PostgreSQL database it creates on the given server (and drops at the end), with the
simulator in a process of its own (as Tiger's gateway is remote). The gateway's time is measured
inside: every HTTP exchange the SDK makes (tigeropen's web_utils.do_request, from sending the request
to reading the reply) is timed, and that time is subtracted from the order's. What is left is ours:
permission and risk checks, locks, the audit events, the confirmation token, the order's rows and
transitions, and the SDK's own work around each exchange (building and RSA-signing the request,
parsing the reply), which a real Tiger gateway needs as much. That SDK share is printed on its own
(time inside BrokerClient._send, which wraps each SDK call, minus its HTTP exchanges).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal

TARGET_P50_MS, TARGET_P95_MS = 15.0, 40.0


def _setup(server_url: str) -> None:
    from bench.support import bench_django, throwaway_postgres

    database = contextlib.ExitStack()
    atexit.register(database.close)
    bench_django("order-path", database_url=database.enter_context(
        throwaway_postgres(server_url, "tigermcp_bench_order_path")))


class GatewayClock:
    """Per thread: time inside the SDK's HTTP exchanges (the gateway's), and inside the SDK calls the
    broker client makes (BrokerClient._send, its one place that sends: the exchanges plus the SDK's own
    signing and parsing)."""

    def __init__(self):
        from tigeropen.common.util import web_utils

        from broker.client import BrokerClient

        self.local = threading.local()
        send, exchange = BrokerClient._send, web_utils.do_request
        clock = self

        def timed(name, fn):
            def timed_call(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    setattr(clock.local, name, getattr(clock.local, name, 0.0) + time.perf_counter() - started)
            return timed_call

        BrokerClient._send = timed("sdk", send)
        web_utils.do_request = timed("http", exchange)  # do_post calls it through the module

    def take(self) -> tuple[float, float]:
        """(HTTP exchanges, whole SDK calls) since the last take, in seconds."""
        spent = (getattr(self.local, "http", 0.0), getattr(self.local, "sdk", 0.0))
        self.local.http = self.local.sdk = 0.0
        return spent


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the measured orders to FILE (pstats)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args(argv)
    _setup(args.postgres)

    from accounts.actors import Actor
    from accounts.models import Scope, TigerAccount
    from accounts.services import account_save
    from bench.support import GatewayProcess, bench_simulator
    from trading import services

    sim = bench_simulator(state_dir=tempfile.mkdtemp(prefix="tigermcp-bench-order-path-sim-"))
    price = Decimal(str(sim.quote("AAPL").regular_latest))
    actor = Actor.system("cli", "bench.order_path")
    # Tiger allows 60 calls a minute of most APIs per developer id (our limiter keeps to it), and each
    # order reads the assets twice (preview and place): one developer and account per 25 orders, used in
    # turn, so that no account's whole share reaches the budget however fast the orders go.
    numbers = []
    for _ in range((args.warmup + args.orders) // 25 + 1):
        dev = sim.create_developer()
        number = sim.open_account(dev.tiger_id, cash={"USD": Decimal("100000000")})
        account = account_save(actor=actor, account=TigerAccount(
            label=f"order path {len(numbers) + 1}", account_number=number, tiger_id=dev.tiger_id,
            private_key=dev.private_key, license=dev.license, server_url=sim.url, permission=Scope.TRADE),
            changed=["label"])
        policy = services.risk_policy_for(account=account)
        policy.max_orders_per_minute = 1_000_000
        policy.duplicate_window_seconds = 0
        policy.max_open_exposure = Decimal("1000000000")
        services.risk_policy_save(actor=actor, policy=policy)
        numbers.append(number)
    gateway = GatewayProcess(sim, latency=0.0)
    clock = GatewayClock()
    loads = os.getloadavg()
    totals, gateway_times, own, sdk_times, cpu_times = [], [], [], [], []
    from django.db import connection

    queries = [0]
    sql_time = [0.0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[0] += time.perf_counter() - started

    per_order_queries, sql_times = [], []
    connection.execute_wrappers.append(count)
    profiler = None
    try:
        for i in range(args.warmup + args.orders):
            if args.profile and i == args.warmup:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            # Resting limit orders below the market: each is placed, none fills.
            limit = (price * Decimal("0.9") - Decimal(i % 50) / 100).quantize(Decimal("0.01"))
            order = {"symbol": "AAPL", "side": "BUY", "quantity": str(1 + i % 7), "order_type": "LMT", "limit_price": str(limit)}
            number = numbers[i % len(numbers)]
            clock.take()
            queries[0], sql_time[0] = 0, 0.0
            started, cpu_started = time.perf_counter(), time.thread_time()
            preview = services.order_preview(actor=actor, account_number=number, **order)
            placed = services.order_place(actor=actor, account_number=number, confirmation_token=preview.confirmation_token)
            total, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
            assert placed.status == "SUBMITTED", (placed.status, placed.status_reason)
            spent, sdk = clock.take()
            per_order_queries.append(queries[0])
            sql_times.append(sql_time[0])
            if (i + 1) % 50 == 0:
                print(f"  {i + 1} orders, last {total * 1000:.1f} ms (gateway {spent * 1000:.1f} ms)", file=sys.stderr, flush=True)
            if i >= args.warmup:
                totals.append(total)
                gateway_times.append(spent)
                own.append(total - spent)
                sdk_times.append(sdk - spent)
                cpu_times.append(cpu)
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        gateway.stop()

    p50, p95 = pct(own, 50), pct(own, 95)
    print(f"orders: {len(own)} (preview + place each) on PostgreSQL, after {args.warmup} warm-up orders; "
          f"load average {loads[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end ({os.cpu_count()} cores)")
    print(f"total per order:   p50 {pct(totals, 50):.1f} ms  p95 {pct(totals, 95):.1f} ms")
    print(f"gateway per order: p50 {pct(gateway_times, 50):.1f} ms  p95 {pct(gateway_times, 95):.1f} ms "
          f"(the SDK's HTTP exchanges: preview + place)")
    print(f"SDK's own work:    p50 {pct(sdk_times, 50):.1f} ms  p95 {pct(sdk_times, 95):.1f} ms "
          f"(signing, parsing: inside the SDK calls, outside their HTTP exchanges; counted in our own cost)")
    print(f"database:          {statistics.median(per_order_queries):.0f} SQL statements per order (median), "
          f"p50 {statistics.median(sql_times) * 1000:.1f} ms executing them (sending, the server's work, reading "
          f"the rows; the ORM's building of them not included)")
    print(f"CPU of this thread: p50 {pct(cpu_times, 50):.1f} ms per order (ours and the SDK's; waits excluded, so "
          f"less sensitive to the machine's load than the times)")
    print(f"our own cost:      p50 {p50:.1f} ms  p95 {p95:.1f} ms  mean {statistics.mean(own) * 1000:.1f} ms")
    print(f"against target:    p50 {p50 / TARGET_P50_MS:.2f}x of {TARGET_P50_MS:.0f} ms, "
          f"p95 {p95 / TARGET_P95_MS:.2f}x of {TARGET_P95_MS:.0f} ms "
          f"({'met' if p50 <= TARGET_P50_MS and p95 <= TARGET_P95_MS else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
