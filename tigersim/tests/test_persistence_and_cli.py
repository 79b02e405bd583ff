import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from tigeropen.common.exceptions import RequestException
from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import limit_order, market_order
from tigeropen.tiger_open_config import TigerOpenClientConfig
from tigeropen.trade.trade_client import TradeClient

from tigersim.clock import SimClock
from tigersim.server import Simulator

from .conftest import US_SESSION

ROOT = Path(__file__).resolve().parents[2]


def _new(state):
    return Simulator(state_dir=state, seed=42, clock=SimClock(US_SESSION, frozen=True), match_interval=None).start()


def test_state_survives_restart(tmp_path):
    sim = _new(tmp_path)
    demo = sim.ensure_demo()
    client = TradeClient(sim.client_config(demo))
    client.place_order(market_order(demo.account, stock_contract("AAPL", "USD"), "BUY", 7))
    resting = limit_order(demo.account, stock_contract("AAPL", "USD"), "BUY", 1, 1.0)
    resting.user_mark = "keep me"
    client.place_order(resting)
    cash = sim.exchange.accounts[demo.account].cash["USD"]
    public_key = sim.public_key
    sim.stop()

    again = _new(tmp_path)
    try:
        assert again.ensure_demo() == demo  # same developer, key and accounts
        assert again.public_key == public_key
        acct = again.exchange.accounts[demo.account]
        assert acct.cash["USD"] == cash and isinstance(acct.cash["USD"], Decimal)
        assert acct.positions["AAPL"].quantity == 7
        client = TradeClient(again.client_config(demo))
        got = client.get_order(id=resting.id)
        assert got.user_mark == "keep me" and got.limit_price == 1.0
        nxt = market_order(demo.account, stock_contract("AAPL", "USD"), "BUY", 1)
        client.place_order(nxt)
        assert nxt.id > resting.id
    finally:
        again.stop()
    assert oct(os.stat(tmp_path / "tigersim_state.sqlite3").st_mode & 0o777) == "0o600"


def _wait_for(path, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if path.exists():
            return
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        time.sleep(0.2)
    raise AssertionError("properties file never appeared")


def _third_party_client(folder):
    # Plain tigeropen: nothing but the folder holding tiger_openapi_config.properties.
    config = TigerOpenClientConfig(props_path=str(folder))
    return TradeClient(config)


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "tigersim"],
    [sys.executable, "manage.py", "tigersim"],
])
def test_stand_alone_server_and_properties_only_client(tmp_path, command):
    if command[1] == "manage.py" and not (ROOT / "manage.py").exists():
        pytest.skip("manage.py not present")
    props = tmp_path / "tiger_openapi_config.properties"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(command + ["--port", "0", "--state", str(tmp_path), "--clock", US_SESSION.isoformat()],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(props, proc)
        client = _third_party_client(tmp_path)
        accounts = client.get_managed_accounts()
        assert len(accounts) == 2 and all(a.account.isdigit() for a in accounts)
        order = market_order(client._account, stock_contract("AAPL", "USD"), "BUY", 1)
        client.place_order(order)
        assert client.get_order(id=order.id).filled == 1
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert out == b""  # nothing on stdout: it may be an MCP server's protocol channel
    assert "private_key=" in props.read_text() and oct(props.stat().st_mode & 0o777) == "0o600"


def test_a_stopped_simulator_answers_no_one_not_even_pooled_connections():
    from tigeropen.trade.trade_client import TradeClient

    from tigersim.server import Simulator

    sim = Simulator(seed=3, clock="2026-03-10T15:00:00Z", match_interval=None).start()
    demo = sim.ensure_demo()
    client = TradeClient(sim.client_config(demo))
    assert client.get_managed_accounts()  # opens a keep-alive connection in the SDK's pool
    sim.stop()
    with pytest.raises(RequestException, match="Connection refused"):
        client.get_managed_accounts()
