"""./scripts/run on the embedded default: the web server, a Celery worker and beat on the folder
broker (no Redis), so scheduled work runs out of the box; Ctrl-C stops all three."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tigermcp.testing import environ_without, free_port

ROOT = Path(__file__).resolve().parents[2]


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
            return json.load(reply)
    except urllib.error.HTTPError as exc:  # 503 while a component is down: the body still says which
        return json.load(exc)
    except OSError:
        return None


def _heartbeat_last_run(db: Path):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT last_run_at FROM django_celery_beat_periodictask WHERE task = ?",
                            ("marketdata.celery_heartbeat",)).fetchone()[0]


def test_scripts_run_starts_web_worker_and_beat_and_ctrl_c_stops_them_together(tmp_path):
    port = free_port()
    env = environ_without("TIGERMCP_", "TIGERSIM_", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION", "CELERY_")
    env.update({"TIGERMCP_DATA_DIR": str(tmp_path), "PORT": str(port), "TIGERSIM_PORT": str(free_port())})
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    db = tmp_path / "tigermcp.sqlite3"
    with sqlite3.connect(db) as conn:  # the heartbeat every second instead of every 30, as an admin could edit it
        every = conn.execute("INSERT INTO django_celery_beat_intervalschedule (every, period) VALUES (1, 'seconds')")
        conn.execute("UPDATE django_celery_beat_periodictask SET interval_id = ? WHERE task = ?",
                     (every.lastrowid, "marketdata.celery_heartbeat"))
    assert _heartbeat_last_run(db) is None

    run = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline and run.poll() is None:
            health = _health(port)
            if health and health["celery"]["status"] == "ok":
                break
            time.sleep(0.5)
        assert health and health["celery"]["status"] == "ok", f"no heartbeat from the worker: {health}"
        assert _heartbeat_last_run(db) is not None  # beat sent it: the periodic task's "last run" is set
        assert (tmp_path / "celery" / "queue").is_dir()  # the folder broker, in the data folder

        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the script and its children
        assert run.wait(timeout=30) == 130
        time.sleep(0.5)
        try:
            os.killpg(run.pid, 0)
            left = subprocess.run(["ps", "-o", "pid,args", "-g", str(run.pid)], capture_output=True, text=True).stdout
        except ProcessLookupError:
            left = ""
        assert not left, f"processes left running after Ctrl-C:\n{left}"
        assert _health(port) is None
    finally:
        if run.poll() is None:
            run.kill()
        try:
            os.killpg(run.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        output = run.stdout.read() if run.stdout else ""
    assert "Web, Celery worker and beat running" in output
