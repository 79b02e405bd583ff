"""The embedded default end to end, as a newcomer gets it: no configuration, demo paper accounts on
the built-in simulator, reachable from a second process through the real SDK."""

import subprocess
import sys
from pathlib import Path

from tigermcp.testing import environ_without, free_port

ROOT = Path(__file__).resolve().parents[2]



def manage(*args, data_dir, port):
    env = environ_without("TIGERMCP_", "TIGERSIM_", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION")
    env.update({"TIGERMCP_DATA_DIR": str(data_dir), "TIGERSIM_PORT": str(port)})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_setup_demo_creates_paper_accounts_a_second_process_can_trade_on(tmp_path):
    port = free_port()
    assert manage("migrate", "--noinput", data_dir=tmp_path, port=port).returncode == 0
    setup = manage("setup_demo", data_dir=tmp_path, port=port)
    assert setup.returncode == 0, setup.stderr
    assert setup.stdout.count("Demo paper account:") == 2 and "Demo admin: admin /" in setup.stdout
    assert (tmp_path / "tigersim").is_dir()

    script = (
        "from accounts.models import TigerAccount; from broker.client import broker_for;"
        "a = TigerAccount.objects.get(is_default=True); b = broker_for(a);"
        "print(a.environment, a.permission, b.assets().cash_by_currency['USD'], len(b.quotes(['AAPL'])))"
    )
    # A new process: the simulator is started again from its saved state, with the same accounts.
    probe = manage("shell", "--no-imports", "-c", script, data_dir=tmp_path, port=port)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["paper", "trade", "1000000", "1"]
    # Idempotent: a second setup_demo creates nothing new.
    again = manage("setup_demo", data_dir=tmp_path, port=port)
    assert again.returncode == 0 and "Demo paper account:" not in again.stdout
