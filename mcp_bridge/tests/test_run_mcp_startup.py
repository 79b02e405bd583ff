"""What run_mcp leaves out of its start-up (mcp's client, the Celery app, garbage collection) is still
there, and the same, when something asks for it. Each check runs in a fresh interpreter, as run_mcp
does: these are process-wide states (sys.modules, the collector)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRELUDE = """
import json, sys
sys.argv[1:2] = ["run_mcp"]  # as `manage.py run_mcp`: settings.MCP_ONLY, tigermcp/__init__.py
import django
django.setup()
"""


def run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PRELUDE + code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_mcp_client_is_loaded_only_when_asked_for_and_is_the_same():
    out = run("""
from mcp_bridge.management.commands.run_mcp import defer_package_init
defer_package_init("mcp")
import mcp.server.mcpserver
import mcp_bridge.server
server_only = "mcp.client" in sys.modules
import mcp
types_attribute = mcp.types.Tool.__name__
from mcp import types
still = "mcp.client" in sys.modules
from mcp import ClientSession, stdio_client
import mcp.client.session
print(json.dumps({"server_only": server_only, "types": types_attribute, "same_types": types is mcp.types,
                  "after_types": still, "client": mcp.client.session.ClientSession is ClientSession,
                  "stdio_client": callable(stdio_client)}))
""")
    assert out == {"server_only": False, "types": "Tool", "same_types": True, "after_types": False,
                   "client": True, "stdio_client": True}


def test_the_celery_app_is_loaded_at_first_use_with_the_project_settings():
    out = run("""
loaded_at_start = "celery" in sys.modules
from django.conf import settings
import marketdata.tasks
from celery import current_app
import tigermcp
task = marketdata.tasks.health_check_all
print(json.dumps({"at_start": loaded_at_start, "app": task.app.main, "current": current_app.main,
                  "eager": task.app.conf.task_always_eager == settings.CELERY_TASK_ALWAYS_EAGER,
                  "broker": task.app.conf.broker_url == settings.CELERY_BROKER_URL,
                  "package": tigermcp.celery_app is task.app}))
""")
    assert out == {"at_start": False, "app": "tigermcp", "current": "tigermcp", "eager": True, "broker": True,
                   "package": True}


def test_the_collector_is_turned_back_on_only_where_the_start_up_turned_it_off():
    out = run("""
import gc
from mcp_bridge.management.commands.run_mcp import collector_resume
collector_resume()
untouched = gc.get_freeze_count()
gc.disable()
collector_resume()
print(json.dumps({"untouched": untouched, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count() > 0}))
""")
    assert out == {"untouched": 0, "enabled": True, "frozen": True}
