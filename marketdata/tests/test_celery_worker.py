"""A real Celery worker (and beat) against Redis and the test database, not eager mode."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from marketdata.models import AccountHealth, HealthStatus

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_app():
    from broker.limits import redis_client
    from tigermcp.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    redis_client().delete("celery")  # no stale messages from an earlier run
    yield app
    app.conf.task_always_eager = previous


def _env() -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "CELERY_TASK_ALWAYS_EAGER": "false",
            "TIGERSIM_EMBEDDED": "false", "DJANGO_SETTINGS_MODULE": "tigermcp.settings"}


def _start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "tigermcp", *args, "--loglevel=WARNING"],
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.stdout.read() if proc.stdout else ""


def _wait(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    return None


def test_worker_runs_a_health_check_enqueued_here(celery_app, sim, make_tiger_account):
    from marketdata.tasks import health_check_account

    account = make_tiger_account(developer=sim.create_developer())
    worker = _start("worker", "--pool=solo", "--concurrency=1", "--without-gossip", "--without-mingle")
    try:
        health_check_account.delay(account.pk)
        health = _wait(lambda: AccountHealth.objects.filter(account=account, checked_at__isnull=False).first(), 60)
    finally:
        output = _stop(worker)
    assert health is not None, f"the worker did not record a health check:\n{output[-3000:]}"
    assert health.status == HealthStatus.OK and health.latency_ms is not None


def test_beat_schedule_from_the_database_drives_the_worker(celery_app):
    """django-celery-beat reads the schedule an admin edits; here the heartbeat runs every second."""
    from django.core.cache import cache
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from marketdata.services import HEARTBEAT_KEY

    cache.delete(HEARTBEAT_KEY)
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(name="Celery heartbeat",
                                          defaults={"task": "marketdata.celery_heartbeat", "interval": every_second})
    PeriodicTask.objects.exclude(name="Celery heartbeat").update(enabled=False)
    worker = _start("worker", "--pool=solo", "--concurrency=1", "--without-gossip", "--without-mingle")
    beat = _start("beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                  "--pidfile=", "--schedule=/tmp/marketdata-beat-schedule")
    try:
        beat_seen = _wait(lambda: cache.get(HEARTBEAT_KEY), 60)
    finally:
        beat_output, worker_output = _stop(beat), _stop(worker)
    assert beat_seen, f"no heartbeat from beat + worker:\nbeat:\n{beat_output[-2000:]}\nworker:\n{worker_output[-2000:]}"
