"""The production topology, for real and without Docker: what docker-compose.yml runs, as processes.

Started here: a database of this run's on the suite's PostgreSQL (migrate as its owner, everything
else as a login role in DATABASE_APP_ROLE), the suite's Redis, the Tiger gateway simulator as a
remote gateway (its own process), two daphne web processes behind Debian's nginx (round-robin, TLS,
configured from deploy/nginx.conf's template), a Celery worker and beat, all with production
settings. Through nginx: an admin's websocket watching orders, an assistant's MCP session (the
session-based protocol, whose state is in Redis) and a REST script. One web process is killed
mid-run; every call still succeeds and the watcher sees every update of the order.
"""

from __future__ import annotations

import json
import re
import secrets
import signal
import ssl
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import httpx2
import psutil
import pytest
import websocket

from tigermcp.testing import TEST_RUN_ID, LocalNginx, environ_without, free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.anyio]


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Processes:
    """Subprocesses of the test, each with its output in a log file (shown when something fails)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        with open(self.directory / f"{name}.log", "wb") as log:
            self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self.procs[name]

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)[-3000:]}" for name in self.procs)

    def wait_listening(self, name: str, port: int, timeout: float = 60) -> None:
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise AssertionError(f"{name} exited:\n{self.log(name)}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"{name} did not listen on {port} within {timeout} s:\n{self.log(name)}")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Postgres:
    """A database and a login role of this run's on the suite's PostgreSQL server."""

    def __init__(self):
        from django.db import connection

        db = connection.settings_dict
        self.params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"],
                                          "password": db["PASSWORD"]}.items() if v}
        self.owner_url = urlsplit(self._suite_url())
        self.name = f"test_topology_{TEST_RUN_ID}"
        self.login, self.password = f"test_topology_app_{TEST_RUN_ID}", secrets.token_hex(12)
        self.execute(f'CREATE DATABASE "{self.name}"')

    @staticmethod
    def _suite_url() -> str:
        import os

        return os.environ["DATABASE_URL"]

    def execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as conn:
            conn.execute(statement)

    def url(self, *, as_owner: bool) -> str:
        if as_owner:
            return self.owner_url._replace(path=f"/{self.name}").geturl()
        host = self.owner_url.hostname or "127.0.0.1"
        return f"postgres://{self.login}:{self.password}@{host}:{self.owner_url.port or 5432}/{self.name}"

    def add_app_login(self, app_role: str) -> None:
        """The web, workers and beat log in as a member of the app's role (README, Security)."""
        self.execute(f"CREATE ROLE \"{self.login}\" LOGIN PASSWORD '{self.password}' IN ROLE \"{app_role}\"")

    def drop(self) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.execute(f'DROP ROLE IF EXISTS "{self.login}"')


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class Topology:
    def __init__(self, tmp_path: Path):
        from cryptography.fernet import Fernet
        from django.conf import settings

        self.dir = tmp_path
        self.processes = Processes(tmp_path)
        self.postgres = Postgres()
        self.nginx = None
        cert, key = _self_signed_certificate(tmp_path)
        self.tls = ssl.create_default_context(cafile=str(cert))
        self.nginx_port = free_port()
        self.base_url = f"https://127.0.0.1:{self.nginx_port}"
        self.env = environ_without("TIGERMCP_", "TIGERSIM_", "CELERY_", "DATABASE_", "REDIS_URL", "PROMETHEUS_")
        self.env.update({
            "DJANGO_SETTINGS_MODULE": "tigermcp.settings", "PYTHONPATH": str(ROOT),
            "TIGERMCP_ENV": "production", "TIGERMCP_READ_DOT_ENV": "false", "TIGERMCP_DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": secrets.token_urlsafe(40), "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": self.base_url, "REDIS_URL": settings.REDIS_URL,
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "CREDENTIAL_FINGERPRINT_KEY": secrets.token_urlsafe(32), "AUDIT_HMAC_KEY": secrets.token_hex(32),
            "AUDIT_CHECKPOINT_PATH": str(tmp_path / "audit-checkpoint.log"),
            "DATABASE_APP_ROLE": settings.DATABASE_APP_ROLE, "DATABASE_URL": self.postgres.url(as_owner=False),
            "TIGERSIM_EMBEDDED": "false", "LOG_LEVEL": "WARNING",
        })
        self.web_ports = [free_port(), free_port()]
        self.sim_state = tmp_path / "sim"

    def start(self) -> None:
        python = sys.executable
        # The gateway: a process of its own, reached over HTTP like Tiger's.
        self.processes.start("tigersim", [python, "-m", "tigersim", "--port", "0", "--state", str(self.sim_state),
                                          "--always-open"], self.env)
        migrate = subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, capture_output=True,
                                 text=True, timeout=300,
                                 env={**self.env, "DATABASE_URL": self.postgres.url(as_owner=True)})
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        self.postgres.add_app_login(self.env["DATABASE_APP_ROLE"])
        properties = self.sim_state / "tiger_openapi_config.properties"
        deadline = time.monotonic() + 60
        while not properties.exists() and time.monotonic() < deadline:
            assert self.processes.procs["tigersim"].poll() is None, self.processes.log("tigersim")
            time.sleep(0.1)
        spec = dict(line.split("=", 1) for line in properties.read_text().splitlines() if "=" in line)
        done = subprocess.run([python, "-m", "tigermcp.tests.topology_setup"], cwd=ROOT, env=self.env,
                              input=json.dumps(spec), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        self.identities = json.loads(done.stdout)
        # What docker-compose.yml's services run (its worker runs 4 processes; one is enough here).
        for n, port in enumerate(self.web_ports):
            self.processes.start(f"web{n}", [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                             "tigermcp.asgi:application"], self.env)
        self.processes.start("worker", [python, "-m", "celery", "-A", "tigermcp", "worker", "--loglevel=WARNING",
                                        "--concurrency=1"], self.env)
        self.processes.start("beat", [python, "-m", "celery", "-A", "tigermcp", "beat", "--loglevel=WARNING",
                                      "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                                      "--schedule", str(self.dir / "beat-schedule")], self.env)
        cert_dir = self.dir
        self.nginx = LocalNginx(self.web_ports, self.dir / "nginx", port=self.nginx_port,
                                tls=(cert_dir / "fullchain.pem", cert_dir / "privkey.pem"))
        for n, port in enumerate(self.web_ports):
            self.processes.wait_listening(f"web{n}", port)

    def web_holding_a_connection(self) -> int:
        """The web process (0 or 1) with an open connection from nginx: the websocket's."""
        holders = [n for n, name in enumerate(("web0", "web1")) if any(
            c.status == psutil.CONN_ESTABLISHED and c.laddr.port == self.web_ports[n]
            for c in psutil.Process(self.processes.procs[name].pid).net_connections(kind="tcp"))]
        assert len(holders) == 1, holders
        return holders[0]

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        self.processes.stop_all()
        self.postgres.drop()


@pytest.fixture
def topology(tmp_path):
    topology = Topology(tmp_path)
    try:
        topology.start()
        yield topology
    except BaseException:
        print(topology.processes.logs())
        raise
    finally:
        topology.stop()


def _admin_session_cookie(topology) -> str:
    admin = topology.identities["admin"]
    with httpx2.Client(base_url=topology.base_url, verify=topology.tls, timeout=30) as http:
        form = http.get("/admin/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        login = http.post("/admin/login/?next=/admin/", headers={"Origin": topology.base_url}, data={
            "username": admin["username"], "password": admin["password"], "csrfmiddlewaretoken": csrf, "next": "/admin/"})
        assert login.status_code == 302 and login.headers["location"] == "/admin/", login.text[:500]
        return f"sessionid={http.cookies['sessionid']}"


def _mcp_client(topology, mode: str):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {topology.identities['mcp_token']}"},
                              verify=topology.tls, timeout=httpx2.Timeout(60))
    return Client(streamable_http_client(f"{topology.base_url}/mcp", http_client=http), read_timeout_seconds=60,
                  mode=mode)


async def test_the_production_topology_survives_a_web_process_dying(topology):
    rest = httpx2.Client(base_url=topology.base_url, verify=topology.tls, timeout=30,
                         headers={"Authorization": f"Bearer {topology.identities['api_token']}"})
    ws = websocket.create_connection(f"wss://127.0.0.1:{topology.nginx_port}/ws/orders/", timeout=45,
                                     cookie=_admin_session_cookie(topology), origin=topology.base_url,
                                     sslopt={"context": topology.tls})
    try:
        watcher = topology.web_holding_a_connection()  # before the MCP session opens its event stream
        assert rest.get("/api/orders/").json()["orders"] == []
        async with _mcp_client(topology, "legacy") as mcp:
            assert {"preview_order", "place_order", "get_order"} <= {t.name for t in (await mcp.list_tools()).tools}
            quote = (await mcp.call_tool("get_quote", {"symbols": ["AAPL"]})).structured_content["quotes"][0]
            price = (Decimal(quote["latest_price"]) * Decimal("1.02")).quantize(Decimal("0.01"))  # marketable
            order = {"symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT", "limit_price": str(price)}
            preview = await mcp.call_tool("preview_order", order)
            assert not preview.is_error, preview.content[0].text

            # The web process that does not hold the watcher's websocket dies, mid-session.
            victim = 1 - watcher
            topology.processes.procs[f"web{victim}"].kill()
            topology.processes.procs[f"web{victim}"].wait()

            placed = await mcp.call_tool("place_order", {
                **order, "confirmation_token": preview.structured_content["confirmation_token"]})
            assert not placed.is_error, placed.content[0].text
            order_id = int(placed.structured_content["order"]["order_ref"])

            # The watcher sees each committed transition, from whichever process committed it: the web
            # process that placed it, then the worker's reconciliation with the gateway (the fill).
            seen = []
            while not seen or seen[-1]["status"] != "FILLED":
                update = json.loads(await anyio.to_thread.run_sync(ws.recv))  # at most 45 s each
                assert update["order_id"] == order_id, update
                seen.append(update)
            assert "SUBMITTED" in [u["status"] for u in seen]
            assert Decimal(seen[-1]["quantity"]) == 2

            fresh = await mcp.call_tool("get_order", {"order_id": order_id})
            assert not fresh.is_error and fresh.structured_content["status"] == "FILLED", fresh.content[0].text
        detail = rest.get(f"/api/orders/{order_id}/")
        assert detail.status_code == 200 and detail.json()["order"]["status"] == "FILLED", detail.text
        assert [o["order_id"] for o in rest.get("/api/orders/").json()["orders"]] == [order_id]
        # The current protocol, through the same balancer, sees the same order.
        async with _mcp_client(topology, "auto") as mcp:
            again = await mcp.call_tool("get_order", {"order_id": order_id})
            assert again.structured_content["status"] == "FILLED", again.content[0].text
    finally:
        ws.close()
        rest.close()
    assert topology.processes.procs[f"web{watcher}"].poll() is None  # the survivor served it all
