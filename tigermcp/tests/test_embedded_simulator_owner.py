"""One process serves the embedded simulator for a data folder; the others connect to it; when it
ends, the next process that needs the simulator takes over from the same state, and a process that
hosts it frees the port and the folder when it is stopped."""

import configparser
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.actors import Actor
from broker.client import broker_cache_clear, broker_for
from broker.types import OrderIntent
from accounts.models import Scope, TigerAccount
from accounts.services import account_save
from tigermcp.testing import environ_without, free_port
from tigersim.persistence import StateFolderBusy
from tigersim.properties import PROPS_FILE
from tigersim.server import Simulator

ROOT = Path(__file__).resolve().parents[2]
# A buy far below any simulated price: it rests, whatever the time of day the test runs.
RESTING = dict(symbol="AAPL", side="BUY", quantity=Decimal("1"), order_type="LMT", limit_price=Decimal("1.00"))


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.5) as reply:
            return json.load(reply)["status"] == "ok"
    except (OSError, http.client.HTTPException, ValueError):  # refused, or cut off mid-reply while it shuts down
        return False


def _wait_for(condition, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} within {seconds} s")


def _folder_is_free(state: Path) -> bool:
    try:
        Simulator(state_dir=state, match_interval=None).stop()
    except StateFolderBusy:
        return False
    return True


@pytest.fixture
def embedded(settings, tmp_path, monkeypatch):
    from tigermcp import embedded as demo

    monkeypatch.setattr(demo, "_embedded", None)
    settings.TIGERSIM_EMBEDDED = True
    settings.TIGERSIM_PORT = free_port()
    settings.TIGERSIM_STATE_DIR = tmp_path / "tigersim"
    settings.TIGER_READ_RETRIES = 0
    yield settings
    if demo._embedded is not None:
        demo._embedded.stop()
    broker_cache_clear()


@pytest.mark.django_db
def test_a_survivor_takes_over_from_the_same_state_when_the_owner_is_killed(embedded):
    from tigermcp import embedded as demo

    state, port = embedded.TIGERSIM_STATE_DIR, embedded.TIGERSIM_PORT
    owner = subprocess.Popen([sys.executable, "-m", "tigersim", "--port", str(port), "--state", str(state)],
                             cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _answers(port) and (state / PROPS_FILE).exists(), "the owner answered")
        props = configparser.ConfigParser()
        props.read_string("[p]\n" + (state / PROPS_FILE).read_text())
        account = account_save(actor=Actor.system("cli", "test"), account=TigerAccount(
            label="Embedded", account_number=props["p"]["account"], tiger_id=props["p"]["tiger_id"],
            private_key=props["p"]["private_key"], server_url=demo.embedded_simulator_url(), permission=Scope.TRADE))

        broker = broker_for(account)
        assert demo._embedded is None  # another process owns the folder: this one connects
        first = broker.place_order(OrderIntent(**RESTING), remark="before")
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)

        # The next call is refused; this process takes the folder over and sends it again.
        seen = broker.order(first.broker_id)
        assert demo._embedded is not None and _answers(port)
        assert seen.status == "Submitted" and seen.quantity == 1  # the same state, not a fresh one
        second = broker.place_order(OrderIntent(**RESTING), remark="after")
        assert int(second.broker_id) > int(first.broker_id)
        assert {o.broker_id for o in broker.orders()} == {first.broker_id, second.broker_id}
        assert not _folder_is_free(state)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        owner.stderr.close()


_LINGERING_OWNER = """
import sys, threading, time, django
django.setup()
from tigermcp.embedded import embedded_simulator_ensure
assert embedded_simulator_ensure() is not None
# A non-daemon thread the interpreter will wait for after the main thread returns, as a request
# still waiting on a slow gateway would be.
threading.Thread(target=time.sleep, args=(60,)).start()
print("serving", flush=True)
sys.stdin.readline()
"""


def _product_env(data_dir: Path, port: int) -> dict:
    env = environ_without("TIGERMCP_", "TIGERSIM_", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION")
    env.update({"TIGERMCP_DATA_DIR": str(data_dir), "TIGERSIM_EMBEDDED": "true", "TIGERSIM_PORT": str(port),
                "DJANGO_SETTINGS_MODULE": "tigermcp.settings", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"})
    return env


def test_the_port_and_folder_are_freed_when_the_main_thread_ends(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", _LINGERING_OWNER], cwd=ROOT, env=_product_env(tmp_path, port),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "serving", proc.stderr.read()
        assert _answers(port) and not _folder_is_free(tmp_path / "tigersim")
        proc.stdin.close()  # the main thread returns; the process lives on for its sleeping thread
        _wait_for(lambda: not _answers(port), "the port was freed", seconds=10)
        _wait_for(lambda: _folder_is_free(tmp_path / "tigersim"), "the folder was freed", seconds=10)
        assert proc.poll() is None  # still alive: the hooks did it, not the process's end
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def _manage(*args, env):
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


_API_TOKEN = """
from accounts.actors import Actor
from accounts.models import TigerAccount
from accounts.services import api_token_create, grant_set
actor = Actor.system("cli", "test")
token, plain = api_token_create(actor=actor, name="t")
for account in TigerAccount.objects.all():
    grant_set(actor=actor, account=account, scope="read", api_token=token)
print(plain)
"""


def _stops_on_sigterm(proc, what: str) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{what} hosting the simulator was still running 10 s after SIGTERM") from None


_MCP_MESSAGES = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_quote", "arguments": {"symbols": ["AAPL"]}}},
]


def test_daphne_and_run_mcp_hosting_the_simulator_stop_promptly_on_sigterm(tmp_path):
    sim_port, web_port = free_port(), free_port()
    env = _product_env(tmp_path, sim_port)
    _manage("migrate", "--noinput", env=env)
    _manage("setup_demo", env=env)
    token = _manage("shell", "--no-imports", "-c", _API_TOKEN, env=env).split()[-1]
    web = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(web_port),
                            "tigermcp.asgi:application"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def portfolio():
            request = urllib.request.Request(f"http://127.0.0.1:{web_port}/api/portfolio/",
                                             headers={"Authorization": f"Bearer {token}"})
            try:
                with urllib.request.urlopen(request, timeout=30) as reply:
                    return json.load(reply)
            except OSError:
                return None

        _wait_for(lambda: portfolio() is not None, "daphne answered")
        assert _answers(sim_port)  # daphne serves the simulator: the portfolio call started it
        # A client of the simulator keeps a connection open, as another process's SDK pool does.
        held = socket.create_connection(("127.0.0.1", sim_port))
        held.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200" in held.recv(4096)
        _stops_on_sigterm(web, "daphne")
        held.close()
        assert not _answers(sim_port)
        assert _folder_is_free(tmp_path / "tigersim")
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()

    # The same for a stdio run_mcp session that the next call made the owner.
    mcp = subprocess.Popen([sys.executable, "manage.py", "run_mcp"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        mcp.stdin.write("".join(json.dumps(m) + "\n" for m in _MCP_MESSAGES))
        mcp.stdin.flush()
        while (line := mcp.stdout.readline()) and json.loads(line).get("id") != 2:
            pass
        assert json.loads(line)["result"]["isError"] is False
        assert _answers(sim_port)
        _stops_on_sigterm(mcp, "run_mcp")
        assert not _answers(sim_port)
        assert _folder_is_free(tmp_path / "tigersim")
    finally:
        if mcp.poll() is None:
            mcp.kill()
            mcp.wait()
        mcp.stdin.close()
        mcp.stdout.close()


def test_setup_demo_reads_the_demo_accounts_from_a_folder_another_process_serves(tmp_path):
    port = free_port()
    env = _product_env(tmp_path, port)
    state = tmp_path / "tigersim"
    owner = subprocess.Popen([sys.executable, "-m", "tigersim", "--port", str(port), "--state", str(state)],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _answers(port) and (state / PROPS_FILE).exists(), "the owner answered")
        _manage("migrate", "--noinput", env=env)
        out = _manage("setup_demo", env=env)
        assert out.count("Demo paper account:") == 2
        probe = _manage("shell", "--no-imports", "-c",
                        "from accounts.models import TigerAccount; from broker.client import broker_for; "
                        "from tigermcp import embedded as demo; a = TigerAccount.objects.get(is_default=True); "
                        "print(a.account_number, broker_for(a).assets().cash_by_currency['USD'], demo._embedded)", env=env)
        props = (state / PROPS_FILE).read_text()
        number, cash, embedded = probe.split()
        assert f"account={number}" in props and cash == "1000000" and embedded == "None"
    finally:
        owner.terminate()
        owner.wait(timeout=20)
