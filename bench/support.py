"""Set-up shared by the benchmarks in bench/: Django on a throw-away database (SQLite, or a PostgreSQL one made for the run), the gateway
simulator in-process, and simulated accounts. Never touches a configured database."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import statistics
import sys
import tempfile
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import urlsplit

SIM_CLOCK = "2026-11-23T15:00:00Z"  # a Monday, inside New York's regular session


def _postgres(server_url: str):
    import psycopg

    parts = urlsplit(server_url)
    params = {"host": parts.hostname, "port": parts.port or 5432, "user": parts.username or "postgres",
              "password": parts.password, "dbname": parts.path.lstrip("/") or "postgres"}
    return psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v})


@contextmanager
def throwaway_postgres(server_url: str, prefix: str):
    """A database made for one run on the PostgreSQL server at `server_url` (its URL is yielded), and
    dropped after it, whatever connections are still open. A missing server stops the benchmark with
    what it needs."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with _postgres(server_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - a benchmark says what it needs
        sys.exit(f"needs PostgreSQL at {server_url} (--server / --postgres or BENCH_POSTGRES_URL): {exc}")
    try:
        yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        with _postgres(server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_django(name: str, database_url: str | None = None) -> str:
    """Django on a throw-away database: SQLite in a temporary folder, or `database_url` (a database
    the caller created for the run and drops after it)."""
    data_dir = tempfile.mkdtemp(prefix=f"tigermcp-bench-{name}-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tigermcp.settings"
    os.environ["TIGERMCP_ENV"] = "embedded"
    os.environ["TIGERMCP_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{data_dir}/bench.sqlite3"
    # Shared limits across processes only when asked for; never a production Redis by accident.
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "")
    os.environ["TIGERSIM_EMBEDDED"] = "false"
    os.environ["TIGERMCP_READ_DOT_ENV"] = "false"  # a checkout's .env configures its deployment, not a bench
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import logging

    # The SDK's HTTP pool holds one connection per host; concurrent calls open extra ones, which
    # urllib3 reports at WARNING on every call. Noise for a benchmark.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.TIGER_READ_RETRIES = 0
    return data_dir


def bench_simulator(state_dir: str | None = None):
    from tigersim.server import Simulator

    return Simulator(state_dir=state_dir, seed=11, clock=SIM_CLOCK, match_interval=None).start()


def bench_accounts(sim, count: int, *, per_developer: int = 10, positions=(("AAPL", 10), ("MSFT", 5)),
                   label: str = "Bench") -> list:
    """`count` paper accounts, `per_developer` per Tiger developer id, each holding `positions`."""
    from accounts.actors import Actor
    from broker.client import broker_for
    from broker.types import OrderIntent
    from accounts.models import Scope, TigerAccount
    from accounts.services import account_save

    actor = Actor.system("cli", "bench")
    accounts = []
    developer = None
    for i in range(count):
        if i % per_developer == 0:
            developer = sim.create_developer()
        number = sim.open_account(developer.tiger_id, cash={"USD": Decimal("1000000"), "HKD": Decimal("500000")})
        account = account_save(actor=actor, account=TigerAccount(
            label=f"{label} {i + 1:02d}", account_number=number, tiger_id=developer.tiger_id,
            private_key=developer.private_key, license=developer.license, server_url=sim.url,
            permission=Scope.READ), changed=["label"])
        broker = broker_for(account)
        for symbol, quantity in positions:
            broker.place_order(OrderIntent(symbol=symbol, side="BUY", quantity=Decimal(quantity), order_type="MKT"))
        accounts.append(account)
    sim.match()
    return accounts


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class GatewayProcess:
    """The simulator in a process of its own, as Tiger's gateway is: its CPU does not compete with
    the measured process for the GIL. Built from an in-process simulator's saved state, on the same
    port, so the accounts' server_url stays valid."""

    def __init__(self, sim, *, latency: float):
        import subprocess
        import sys
        import urllib.request

        self._urlopen = urllib.request.urlopen
        self.port = sim.port
        state_dir = sim.store.dir
        sim.stop()  # saves the state
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tigersim", "--port", str(self.port), "--state", str(state_dir),
             "--seed", str(sim.seed), "--clock", SIM_CLOCK, "--latency", str(latency)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import time

        for _ in range(200):
            try:
                self.request_counts()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the simulator process did not start")

    def request_counts(self) -> dict[str, int]:
        import json

        with self._urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as reply:
            return json.load(reply)["requests"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def bench_mcp_client(accounts, scope: str = "read"):
    """The MCP client "bench" (run_mcp --client bench), granted `scope` on each of `accounts`; with
    "trade" the accounts are made tradeable too, so that the write tools are listed."""
    from accounts.actors import Actor
    from accounts.models import Scope, TigerAccount
    from accounts.services import grant_set, mcp_client_create

    actor = Actor.system("cli", "bench")
    if scope == Scope.TRADE:
        TigerAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(permission=Scope.TRADE)
    client = mcp_client_create(actor=actor, name="bench")
    for account in accounts:
        grant_set(actor=actor, account=account, scope=scope, mcp_client=client)
    return client


def official_server_env(sim, account, data_dir: str) -> tuple[str, dict]:
    """(folder, environment) for the official `tigermcp` server (PyPI) reading `account` on the
    simulator: its tiger_openapi_config.properties in a folder of its own, none of our settings."""
    props = tempfile.mkdtemp(dir=data_dir)
    # Without the licence: with one, the SDK's dynamic-domain lookup rewrites the URLs to Tiger's hosts.
    sim.write_properties(props, sim.credentials(account.tiger_id), account=account.account_number,
                         include_license=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "TIGERMCP", "DATABASE"))}
    env["TIGEROPEN_PROPS_PATH"] = props
    return props, env
