"""Twenty stdio run_mcp sessions in a row on one embedded data folder, as an assistant opens and
closes them: each hosts the built-in simulator while it runs (nothing else holds the port), places
one order and exits. Every order is then at the simulator and in our database, with one status."""

import contextlib
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal

import pytest

from mcp_bridge.tests.conftest import ROOT, _base_env
from tigermcp.testing import free_port

pytestmark = pytest.mark.anyio

SESSIONS = 20


def _ok(result) -> dict:
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def test_twenty_sessions_in_a_row_each_place_one_order(tmp_path, sqlite_template, mcp_key):
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    db = tmp_path / "tigermcp.sqlite3"
    shutil.copy(sqlite_template, db)
    env = {**_base_env(tmp_path, f"sqlite:///{db}", mcp_key), "TIGERSIM_EMBEDDED": "true", "TIGERSIM_PORT": str(free_port())}
    env.pop("REDIS_URL", None)  # the embedded default: SQLite and in-process services only
    setup = subprocess.run([sys.executable, "manage.py", "setup_demo"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr

    placed = []
    errlog_path = tmp_path / "run_mcp.stderr"
    with open(errlog_path, "w") as errlog:
        for session in range(SESSIONS):
            params = StdioServerParameters(command=sys.executable, args=["manage.py", "run_mcp"], env=env, cwd=str(ROOT))
            async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=60) as mcp:
                if not placed:
                    quote = _ok(await mcp.call_tool("get_quote", {"symbols": ["AAPL"]}))["quotes"][0]
                    # 5 % under the market: inside the price collar, and it rests whatever the hour.
                    price = str((Decimal(quote["latest_price"]) * Decimal("0.95")).quantize(Decimal("0.01")))
                # A quantity of its own: the risk policy refuses the same order twice within seconds.
                order = {"symbol": "AAPL", "side": "BUY", "quantity": str(session + 1), "order_type": "LMT",
                         "limit_price": price}
                preview = _ok(await mcp.call_tool("preview_order", order))
                assert preview["allowed"], preview["next_step"]
                result = _ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
                assert result["status"] == "SUBMITTED", result
                placed.append(result["order"])
    stderr = errlog_path.read_text()
    assert "ERROR" not in stderr and "Traceback" not in stderr, stderr

    with contextlib.closing(sqlite3.connect(db)) as conn:
        ours = dict(conn.execute("SELECT broker_id, status FROM trading_order"))
    assert len(ours) == SESSIONS and set(ours) == {o["broker_id"] for o in placed}

    from tigeropen.trade.trade_client import TradeClient

    from tigersim.server import Simulator
    from trading.services import TIGER_STATUS

    sim = Simulator(state_dir=tmp_path / "tigersim", match_interval=None).start()  # every session has ended
    try:
        demo = sim.ensure_demo()
        at_sim = TradeClient(sim.client_config(demo)).get_orders(account=demo.account, limit=100)
    finally:
        sim.stop()
    assert len(at_sim) == SESSIONS
    assert {str(o.id): TIGER_STATUS[o.status.value] for o in at_sim} == ours
