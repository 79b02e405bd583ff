"""MCP over streamable HTTP behind nginx: 50 concurrent clients (the mcp package's own client), each
calling get_quote (warm: answered from the quote cache) and get_positions in turn for --duration
seconds, through Debian's nginx (round-robin, the template of deploy/nginx.conf) to two daphne web
processes; then the same load through nginx to one process alone.

    python -m bench.mcp_http_nginx [--duration 60] [--clients 50] [--mode auto|legacy]

Needs PostgreSQL (a throw-away database is created on --postgres and dropped) and Redis (--redis;
the processes share MCP sessions, rate limits and caches there). The gateway simulator runs in its own
process. Each client rotates over 4 accounts of its own (--accounts-per-client), each on its own Tiger developer id, so that
Tiger's 60 position reads a minute per developer id (which the simulator and our limiter enforce) are
not what is measured. Target (issue 16): 0 errors; p50, p99 and calls/s reported, with the ratio of
two processes to one. The clients run in this process and share the machine's cores with the servers.
Also printed: p50 and p99 per tool, and how many Tiger position reads the get_positions calls made
(an account read again within TIGER_ACCOUNT_READ_TTL shares the cached read).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parent.parent


def _setup_environment(database_url: str, redis_url: str, data_dir: str) -> dict:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIGERMCP_", "TIGERSIM_", "DATABASE_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "tigermcp.settings", "TIGERMCP_ENV": "embedded", "TIGERMCP_READ_DOT_ENV": "false",
        "TIGERMCP_DATA_DIR": data_dir, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "TIGERSIM_EMBEDDED": "false",
        "CELERY_TASK_ALWAYS_EAGER": "true", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
    })
    os.environ.update(env)
    return env


def _build_world(clients: int, accounts_per_client: int) -> tuple[str, list[list[str]], object]:
    """Accounts (one developer id each), an MCP client with read grants on them, and its token."""
    import django

    django.setup()
    import logging

    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.actors import Actor
    from accounts.models import Scope
    from accounts.services import grant_set, mcp_client_create, mcp_token_create
    from bench.support import bench_accounts, bench_simulator

    actor = Actor.system("cli", "bench")
    sim = bench_simulator(tempfile.mkdtemp(dir=os.environ["TIGERMCP_DATA_DIR"]))
    accounts = bench_accounts(sim, clients * accounts_per_client, per_developer=1, positions=(("AAPL", 10),),
                              label="HTTP")
    client = mcp_client_create(actor=actor, name="bench-http")
    for account in accounts:
        grant_set(actor=actor, account=account, scope=Scope.READ, mcp_client=client)
    _, token = mcp_token_create(actor=actor, client=client, name="bench")
    numbers = [a.account_number for a in accounts]
    per_client = [numbers[i::clients] for i in range(clients)]
    from django.db import connections

    connections.close_all()
    return token, per_client, sim


async def _load(url: str, token: str, per_client: list[list[str]], duration: float, mode: str) -> dict:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    samples: list[float] = []
    by_tool: dict[str, list[float]] = {"get_quote": [], "get_positions": []}
    errors: list[str] = []
    warmed: set[int] = set()  # the clients ready (or failed), by index
    started_at: list[float] = []

    async def one_client(n: int, accounts: list[str]) -> None:
        try:
            await session(n, accounts)
        except Exception as exc:  # noqa: BLE001 - a client that could not even connect is an error too
            errors.append(f"session: {exc!r}")
        finally:
            warmed.add(n)  # however it ended, so the clock starts

    async def session(n: int, accounts: list[str]) -> None:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60))
        async with Client(streamable_http_client(url, http_client=http), read_timeout_seconds=60, mode=mode) as mcp:
            quote = {"symbols": ["AAPL"], "account": accounts[0]}
            await mcp.list_tools()  # the client's first call_tool would (output schemas): not measured
            warm = await mcp.call_tool("get_quote", quote)  # fills the quote cache
            if warm.is_error:
                errors.append(f"get_quote: {warm.content[0].text[:200]}")
            warmed.add(n)
            await ready.wait()
            deadline = started_at[0] + duration
            i = 0
            while time.perf_counter() < deadline:
                if i % 2 == 0:
                    name, arguments = "get_quote", quote
                else:
                    name, arguments = "get_positions", {"account": accounts[(i // 2) % len(accounts)]}
                t0 = time.perf_counter()
                try:
                    result = await mcp.call_tool(name, arguments)
                except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                    errors.append(f"{name}: {exc!r}")
                else:
                    if result.is_error:
                        errors.append(f"{name}: {result.content[0].text[:200]}")
                samples.append(time.perf_counter() - t0)
                by_tool[name].append(samples[-1])
                i += 1

    ready = anyio.Event()
    async with anyio.create_task_group() as tg:
        for n, accounts in enumerate(per_client):
            tg.start_soon(one_client, n, accounts)
        # Every client is connected and warm before the clock starts.
        while len(warmed) < len(per_client):
            await anyio.sleep(0.05)
        started_at.append(time.perf_counter())
        ready.set()
    elapsed = time.perf_counter() - started_at[0]
    return {"samples": samples, "errors": errors, "elapsed": elapsed, "by_tool": by_tool}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) in ms."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000


def _summary(label: str, run: dict) -> str:
    if not run["samples"]:
        run["rate"] = 0.0
        return f"  {label}: no call completed, {len(run['errors'])} errors"
    p50, p99 = _percentiles(run["samples"])
    rate = len(run["samples"]) / run["elapsed"]
    run["rate"] = rate
    tools = "; ".join(f"{name} p50 {_percentiles(s)[0]:.1f} ms, p99 {_percentiles(s)[1]:.1f} ms"
                      for name, s in run["by_tool"].items() if s)
    return (f"  {label}: {len(run['samples'])} calls, {len(run['errors'])} errors, p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms, {rate:.1f} calls/s\n    ({tools})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per configuration")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--accounts-per-client", type=int, default=4,
                        help="accounts (each on its own developer id) each client rotates get_positions over")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of the same load before measuring, not counted (every process's first calls)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the measured seconds of each configuration are split into this many alternating rounds")
    parser.add_argument("--mode", default="auto", choices=["auto", "legacy"],
                        help="the mcp client's mode: auto (the current protocol) or legacy (sessions in Redis)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL server the bench may create (and drop) a database on")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
                        help="a Redis database the bench may flush")
    args = parser.parse_args(argv)

    import redis

    from bench.support import GatewayProcess, throwaway_postgres
    from tigermcp.testing import LocalNginx, free_port

    redis.from_url(args.redis).flushdb()
    database = contextlib.ExitStack()
    database_url = database.enter_context(throwaway_postgres(args.postgres, "bench_mcp_http"))
    data_dir = tempfile.mkdtemp(prefix="tigermcp-bench-http-")
    procs: list[subprocess.Popen] = []
    gateway = None
    try:
        env = _setup_environment(database_url, args.redis, data_dir)
        token, per_client, sim = _build_world(args.clients, args.accounts_per_client)
        gateway = GatewayProcess(sim, latency=0)
        ports = [free_port(), free_port()]
        for port in ports:
            log = open(Path(data_dir) / f"web-{port}.log", "wb")
            procs.append(subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                           "tigermcp.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=log))
        import socket

        for port in ports:
            for _ in range(600):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
        # The two configurations alternate in rounds, so that the load other work puts on the
        # machine falls on both alike; the first (uncounted) round warms every process.
        labels = {"two web processes": ports, "one web process": ports[:1]}
        runs = {label: {"samples": [], "errors": [], "elapsed": 0.0, "by_tool": {}} for label in labels}
        nginxes = {label: LocalNginx(upstreams, Path(data_dir) / f"nginx-{len(upstreams)}")
                   for label, upstreams in labels.items()}
        try:
            for label, nginx in nginxes.items():
                anyio.run(_load, f"{nginx.base_url}/mcp", token, per_client, args.warmup, args.mode)
            for _ in range(args.rounds):
                for label, nginx in nginxes.items():
                    reads_before = gateway.request_counts().get("positions", 0)
                    run = anyio.run(_load, f"{nginx.base_url}/mcp", token, per_client, args.duration / args.rounds,
                                    args.mode)
                    # Calls still in flight at the end are counted too: a rough share, not an exact one.
                    runs[label]["tiger_reads"] = runs[label].get("tiger_reads", 0) + \
                        gateway.request_counts().get("positions", 0) - reads_before
                    for key in ("samples", "errors"):
                        runs[label][key] += run[key]
                    for name, samples in run["by_tool"].items():
                        runs[label]["by_tool"].setdefault(name, []).extend(samples)
                    runs[label]["elapsed"] += run["elapsed"]
        finally:
            for nginx in nginxes.values():
                nginx.stop()
        print(f"MCP over HTTP through nginx: {args.clients} clients ({args.mode} mode), get_quote (warm) and "
              f"get_positions alternately, {args.duration:.0f} s each in {args.rounds} alternating rounds")
        for label, run in runs.items():
            print(_summary(label, run))
            print(f"    Tiger position reads: {run.get('tiger_reads', 0)} for {len(run['by_tool'].get('get_positions', []))} "
                  f"get_positions calls")
            for error in run["errors"][:5]:
                print(f"    error: {error}")
        two, one = runs["two web processes"], runs["one web process"]
        print(f"  two / one: {two['rate'] / max(one['rate'], 1e-9):.2f}x calls/s; target: 0 errors "
              f"({'met' if not two['errors'] and not one['errors'] else 'NOT met'})")
        return 0 if not two["errors"] and not one["errors"] else 1
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if gateway is not None:
            gateway.stop()
        database.close()


if __name__ == "__main__":
    sys.exit(main())
