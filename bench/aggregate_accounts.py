"""Portfolio aggregation over many accounts with 100 ms gateway latency.

    python -m bench.aggregate_accounts [--runs 3] [--latency 0.1]

Targets (issue 5): 20 accounts in at most 2x one account's time, 50 accounts in at most 4x, with
Tiger's per-developer limits kept (no call refused by the gateway, none over the limit).
"""

from __future__ import annotations

import argparse
import sys
import time

import tempfile

from bench.support import GatewayProcess, bench_accounts, bench_django, bench_simulator, median_ms


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every gateway call")
    args = parser.parse_args(argv)

    bench_django("aggregate")
    from broker.cache import cache_clear_marketdata
    from django.conf import settings

    from accounts.actors import Actor
    from broker.limits import api_limit
    from marketdata.services import portfolio_aggregate

    sim = bench_simulator(state_dir=tempfile.mkdtemp(prefix="tigermcp-bench-gateway-"))
    # Ten accounts per developer id, as a firm's sub-accounts would be; each scenario has its own
    # developers so one scenario's calls do not eat another's budget. The last scenario puts all 50
    # on ONE developer id.
    scenarios = {1: bench_accounts(sim, 1, label="One"), 20: bench_accounts(sim, 20, label="Twenty"),
                 50: bench_accounts(sim, 50, label="Fifty")}
    shared = bench_accounts(sim, 50, per_developer=50, positions=(), label="Shared")
    # Measured against the gateway in its own process, as Tiger's is remote.
    gateway = GatewayProcess(sim, latency=args.latency)
    try:
        actor = Actor.system("cli", "bench")
        print(f"gateway latency {args.latency * 1000:.0f} ms per call (simulator in its own process); "
              f"{args.runs} runs per scenario (median); "
              f"aggregation bound {getattr(settings, 'MARKETDATA_AGGREGATE_WORKERS', 25)} threads")
        results = {}
        for count, accounts in scenarios.items():
            numbers = [a.account_number for a in accounts]
            samples, errors = [], 0
            before = gateway.request_counts()
            for _ in range(args.runs):
                cache_clear_marketdata()  # every run on a cold cache
                started = time.perf_counter()
                agg = portfolio_aggregate(actor=actor, account_numbers=numbers, fresh_only=True)
                samples.append(time.perf_counter() - started)
                errors += len(agg.errors)
                assert len(agg.accounts) + len(agg.errors) == count
            results[count] = median_ms(samples)
            per_dev = -(-count // 10) if count > 1 else 1
            after = gateway.request_counts()
            calls = {m: after.get(m, 0) - before.get(m, 0) for m in ("prime_assets", "positions")}
            worst = max(calls[m] / per_dev for m in calls)
            limit = api_limit("prime_assets")
            print(f"{count:>3} accounts: {results[count]:7.0f} ms  ({results[count] / results[1]:.2f}x one account)  "
                  f"account errors {errors}, gateway calls {sum(calls.values())} "
                  f"(≤ {worst:.0f} per developer per API in {args.runs} runs; Tiger allows {limit}/min)")
        # All 50 on ONE developer id: a run costs 51 prime_assets calls of Tiger's 60/min, so a second
        # run within the minute must be held back by our limiter, never refused by Tiger.
        numbers = [a.account_number for a in shared]
        for attempt in (1, 2):
            cache_clear_marketdata()
            started = time.perf_counter()
            agg = portfolio_aggregate(actor=actor, account_numbers=numbers, fresh_only=True)
            elapsed = (time.perf_counter() - started) * 1000
            ours = [e for e in agg.errors if e.code == "rate_limited" and "budget is used up" in e.message]
            tigers = [e for e in agg.errors if e.code == "rate_limited" and e not in ours]
            print(f"50 accounts on one developer id, run {attempt}: {elapsed:.0f} ms, {len(agg.accounts)} read, "
                  f"{len(ours)} answered 'rate limited, retry in N s' by our limiter, {len(tigers)} refused by Tiger")
        ok20 = results[20] <= 2 * results[1]
        ok50 = results[50] <= 4 * results[1]
        print(f"target 20 accounts ≤ 2x: {'met' if ok20 else 'MISSED'} ({results[20] / results[1]:.2f}x); "
              f"50 accounts ≤ 4x: {'met' if ok50 else 'MISSED'} ({results[50] / results[1]:.2f}x)")
        return 0 if ok20 and ok50 else 1
    finally:
        gateway.stop()


if __name__ == "__main__":
    sys.exit(main())
