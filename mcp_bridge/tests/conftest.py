"""Drive the real `manage.py run_mcp` (stdio and HTTP) with the mcp package's own client.

The server runs as a subprocess, so it cannot share pytest-django's test database (a transaction).
Each test gets an empty, migrated database of its own: on PostgreSQL (when the suite runs on it)
one database of this run's, emptied between tests; otherwise a copy of a migrated SQLite file.
`mcp_bridge.tests.scenario` fills it through the real services. The subprocesses are pointed at it
with DATABASE_URL, and at the suite's Redis (flushed before each test) with REDIS_URL. Broker calls
go to one gateway simulator in this process.
"""

import contextlib
import datetime as dt
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tigermcp.testing import TEST_RUN_ID, free_port

ROOT = Path(__file__).resolve().parents[2]
US_SESSION = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.timezone.utc)  # Tuesday 11:00 New York


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _base_env(data_dir: Path, database_url: str, key: str) -> dict:
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "TIGERMCP_MCP_CLIENT", "TIGERMCP_READ_ONLY")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "tigermcp.settings",
        "TIGERMCP_ENV": "embedded",
        "TIGERMCP_DATA_DIR": str(data_dir),
        "TIGERMCP_READ_DOT_ENV": "false",
        "DATABASE_URL": database_url,
        "FIELD_ENCRYPTION_KEYS": key,
        "TIGERSIM_EMBEDDED": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return env


def _migrate(data_dir: Path, database_url: str, key: str) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=_base_env(data_dir, database_url, key),
                   check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def mcp_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, mcp_key) -> Path:
    """A migrated SQLite file: what the MCP tests copy without PostgreSQL, and the embedded default's database."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    _migrate(path.parent, f"sqlite:///{path}", mcp_key)
    return path


class McpDatabases:
    """Where the MCP tests keep their data: each test checks out an empty, migrated database."""

    def __init__(self, key: str, data_dir: Path):
        self.key = key
        self.data_dir = data_dir
        self.prefix = f"test_mcp_{TEST_RUN_ID}"


class SqliteDatabases(McpDatabases):
    """A file per test, copied from the migrated template file."""

    def __init__(self, key: str, data_dir: Path, template: Path):
        super().__init__(key, data_dir)
        self.template = template
        self._numbers = itertools.count(1)

    def _path(self, name: str) -> Path:
        return self.data_dir / f"{name}.sqlite3"

    def url(self, name: str) -> str:
        return f"sqlite:///{self._path(name)}"

    def checkout(self) -> str:
        name = f"{self.prefix}_{next(self._numbers)}"
        shutil.copy(self.template, self._path(name))
        return name

    def checkin(self, name: str) -> None:
        self._path(name).unlink()

    def close(self) -> None:
        pass

    def run_sql(self, name: str, sql: str, params=()):
        import sqlite3

        with contextlib.closing(sqlite3.connect(self._path(name), timeout=20)) as conn:
            rows = conn.execute(sql.replace("%s", "?"), params).fetchall()
            conn.commit()
            return rows


class PostgresDatabases(McpDatabases):
    """One database on the suite's PostgreSQL server, named for this run, emptied before each test:
    every table truncated, then the rows the migrations wrote restored from a copy kept in a schema
    of its own. (A database per test would cost a DROP DATABASE each, and each forces a checkpoint:
    seconds apiece on a busy server.)"""

    PRISTINE = "mcp_pristine"

    def __init__(self, key: str, data_dir: Path, url: str, params: dict):
        super().__init__(key, data_dir)
        self._url = url
        self._params = {k: v for k, v in params.items() if v}
        # Beside pytest-django's test_<NAME>_<run id>, so whose it is shows in the server's list.
        self.name = f"test_{urlsplit(url).path.lstrip('/')}_{TEST_RUN_ID}_mcp"
        self._execute("postgres", self._sql("CREATE DATABASE {}", self.name))
        try:
            self._keep_migrated_rows()
        except BaseException:
            self.close()
            raise

    def _keep_migrated_rows(self) -> None:
        _migrate(self.data_dir, self.url(self.name), self.key)
        with self._connect(self.name) as conn:
            self.tables = [t for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
            self.migrated_rows = [t for t in self.tables
                                  if conn.execute(self._sql("SELECT EXISTS (SELECT FROM public.{})", t)).fetchone()[0]]
            conn.execute(self._sql("CREATE SCHEMA {}", self.PRISTINE))
            for table in self.migrated_rows:
                conn.execute(self._sql("CREATE TABLE {}.{} AS TABLE public.{}", self.PRISTINE, table, table))

    @staticmethod
    def _sql(template: str, *names: str):
        from psycopg import sql

        return sql.SQL(template).format(*map(sql.Identifier, names))

    def _connect(self, dbname: str):
        import psycopg

        return psycopg.connect(dbname=dbname, autocommit=True, **self._params)

    def _execute(self, dbname: str, statement, params=()):
        with self._connect(dbname) as conn, conn.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def url(self, name: str) -> str:
        return urlsplit(self._url)._replace(path=f"/{name}").geturl()

    def checkout(self) -> str:
        from psycopg import sql

        with self._connect(self.name) as conn:
            # A server the last test left running must not hold a lock, or see the next test's data.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            with conn.transaction():
                conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(
                    sql.Identifier("public", t) for t in self.tables)))
                for table in self.migrated_rows:
                    conn.execute(self._sql("INSERT INTO public.{} SELECT * FROM {}.{}", table, self.PRISTINE, table))
        return self.name

    def checkin(self, name: str) -> None:
        pass  # emptied by the next checkout

    def close(self) -> None:
        self._execute("postgres", self._sql("DROP DATABASE {} WITH (FORCE)", self.name))

    def run_sql(self, name: str, sql: str, params=()):
        return self._execute(name, sql, params)


@pytest.fixture(scope="session")
def mcp_databases(request, tmp_path_factory, mcp_key):
    """The suite's PostgreSQL when it runs on one, SQLite files otherwise."""
    from django.db import connection

    data_dir = tmp_path_factory.mktemp("mcp-databases")
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        databases = PostgresDatabases(mcp_key, data_dir, os.environ["DATABASE_URL"], {
            "host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]})
    else:
        databases = SqliteDatabases(mcp_key, data_dir, request.getfixturevalue("sqlite_template"))
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def mcp_sim():
    from tigersim.clock import SimClock
    from tigersim.server import Simulator

    simulator = Simulator(seed=7, clock=SimClock(US_SESSION, frozen=True), match_interval=None).start()
    yield simulator
    simulator.stop()


class World:
    """One test's database, identities and the environment run_mcp needs to use them."""

    def __init__(self, tmp_path: Path, databases: McpDatabases, db_name: str, sim):
        self.sim = sim
        self.dir = tmp_path
        self.databases = databases
        self.db_name = db_name
        self.env = _base_env(tmp_path, databases.url(self.db_name), databases.key)
        dev = sim.create_developer()
        numbers = {
            "paper_a": sim.open_account(dev.tiger_id, capability="MGRN"),
            "paper_b": sim.open_account(dev.tiger_id, capability="CASH"),
            "paper_ro": sim.open_account(dev.tiger_id),
            "live_x": sim.open_account(dev.tiger_id, paper=False),
        }
        spec = {"sim_url": sim.url, "developer": {"tiger_id": dev.tiger_id, "private_key": dev.private_key,
                                                  "license": dev.license}, "accounts": numbers}
        done = subprocess.run([sys.executable, "-m", "mcp_bridge.tests.scenario"], cwd=ROOT, env=self.env,
                              input=json.dumps(spec), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        built = json.loads(done.stdout)
        self.accounts: dict[str, str] = built["accounts"]
        self.tokens: dict[str, str] = built["tokens"]
        self.developer = dev

    def stdio(self, *args: str, env: dict | None = None):
        from mcp import Client, StdioServerParameters

        params = StdioServerParameters(command=sys.executable, args=["manage.py", "run_mcp", *args],
                                       env={**self.env, **(env or {})}, cwd=str(ROOT))
        return Client(params, read_timeout_seconds=60)

    def run_sql(self, sql: str, params=()):
        """Runs one statement (placeholders: %s) in this world's database, committed."""
        return self.databases.run_sql(self.db_name, sql, params)


@pytest.fixture
def world(tmp_path, mcp_databases, mcp_sim):
    # The session simulator's clock is frozen: without this every test's orders would share one
    # quote's displayed liquidity.
    mcp_sim.exchange.liquidity_reset()
    db_name = mcp_databases.checkout()
    try:
        yield World(tmp_path, mcp_databases, db_name, mcp_sim)
    finally:
        mcp_databases.checkin(db_name)


class HttpServer:
    def __init__(self, world: World, env: dict | None = None, command: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        command = command or [sys.executable, "manage.py", "run_mcp", "--transport", "http", "--port", "{port}"]
        # Its output goes to a file (a pipe nobody reads would stall a chatty server), shown on failure.
        self.log = world.dir / f"server-{self.port}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([part.format(port=self.port) for part in command], cwd=ROOT,
                                         env={**world.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{command[1:3]} exited: {self.output()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.1)
        raise AssertionError(f"{command[1:3]} did not start listening within 60 s: {self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self, token: str | None):
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60))
        return Client(streamable_http_client(self.url, http_client=http), read_timeout_seconds=60)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def http_server(world):
    servers = []

    def start(env: dict | None = None, command: list[str] | None = None) -> HttpServer:
        server = HttpServer(world, env, command)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
