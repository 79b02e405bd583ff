"""Drive the real `manage.py run_mcp` (stdio and HTTP) with the mcp package's own client.

The server runs as a subprocess, so it cannot share pytest-django's test database (in-memory on
SQLite, a transaction on PostgreSQL). Each test gets its own SQLite file, copied from one migrated
template, filled by `mcp_bridge.tests.scenario` through the real services, and the subprocess is
pointed at it with DATABASE_URL. Brokers calls go to one gateway simulator in this process.
"""

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tigermcp.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
US_SESSION = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.timezone.utc)  # Tuesday 11:00 New York


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _base_env(data_dir: Path, db_file: Path, key: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "TIGERMCP_MCP_CLIENT", "TIGERMCP_READ_ONLY")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "tigermcp.settings",
        "TIGERMCP_ENV": "embedded",
        "TIGERMCP_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{db_file}",
        "FIELD_ENCRYPTION_KEYS": key,
        "TIGERSIM_EMBEDDED": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    return env


@pytest.fixture(scope="session")
def mcp_template(tmp_path_factory):
    from cryptography.fernet import Fernet

    base = tmp_path_factory.mktemp("mcp-template")
    key = Fernet.generate_key().decode()
    db = base / "template.sqlite3"
    env = _base_env(base, db, key)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    return {"db": db, "key": key}


@pytest.fixture(scope="session")
def mcp_sim():
    from tigersim.clock import SimClock
    from tigersim.server import Simulator

    simulator = Simulator(seed=7, clock=SimClock(US_SESSION, frozen=True), match_interval=None).start()
    yield simulator
    simulator.stop()


class World:
    """One test's database, identities and the environment run_mcp needs to use them."""

    def __init__(self, tmp_path: Path, template: dict, sim):
        self.sim = sim
        self.dir = tmp_path
        self.db = tmp_path / "mcp.sqlite3"
        shutil.copy(template["db"], self.db)
        self.env = _base_env(tmp_path, self.db, template["key"])
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
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.db, timeout=20)) as conn:
            rows = conn.execute(sql, params).fetchall()
            conn.commit()
            return rows


@pytest.fixture
def world(tmp_path, mcp_template, mcp_sim):
    return World(tmp_path, mcp_template, mcp_sim)



class HttpServer:
    def __init__(self, world: World, env: dict | None = None, command: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        command = command or [sys.executable, "manage.py", "run_mcp", "--transport", "http", "--port", "{port}"]
        self.proc = subprocess.Popen(
            [part.format(port=self.port) for part in command],
            cwd=ROOT, env={**world.env, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"run_mcp http exited: {self.proc.stderr.read().decode()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.1)
        raise AssertionError("run_mcp http did not start listening within 60 s")

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
