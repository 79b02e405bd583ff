import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from broker.limits import (
    CIRCUIT_OPEN,
    RATE_LIMITED,
    api_limit,
    circuit_guard,
    circuit_is_open,
    circuit_state,
    rate_limit_acquire,
    tiger_id_hash,
)
from core.errors import BrokerRejected, BrokerUnavailable, CircuitOpen, RateLimited

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request, settings):
    if request.param == "in-process":
        settings.REDIS_URL = ""
    return request.param


def test_limits_follow_tiger_families():
    assert api_limit("place_order") == 120
    assert api_limit("quote_real_time") == api_limit("get_stock_briefs") == api_limit("quotes") == 120
    assert api_limit("positions") == api_limit("prime_assets") == api_limit("kline") == 60
    assert api_limit("market_state") == api_limit("get_market_status") == 10
    assert api_limit("user_license") is None
    assert api_limit("some_new_api") == 60


@pytest.fixture
def waits(monkeypatch):
    """The waits the rate limiter asks for, in order (it still waits them): whether a caller was
    queued or refused at once is behaviour; how long that took is bench/waits.py's business."""
    import types

    import broker.limits

    asked = []

    def sleep(seconds):
        asked.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(broker.limits, "time", types.SimpleNamespace(monotonic=time.monotonic, time=time.time, sleep=sleep))
    return asked


def test_key_is_a_hash_not_the_tiger_id():
    digest = tiger_id_hash("20150042")
    assert "20150042" not in digest and len(digest) == 24
    assert digest == tiger_id_hash("20150042") != tiger_id_hash("20150043")


def test_budget_used_up_answers_retry_in_n_seconds(backend, developer_hash, waits):
    for _ in range(10):
        rate_limit_acquire(tiger_id_hash=developer_hash, api="market_state")
    with pytest.raises(RateLimited) as err:
        rate_limit_acquire(tiger_id_hash=developer_hash, api="get_market_status")  # same API, SDK name
    # Refused at once: waiting ~60 s is beyond the bound, so the caller is told when to retry.
    assert waits == []
    assert 50 < err.value.retry_after <= 61
    assert err.value.message == RATE_LIMITED.format(limit=10, api="market_state", retry_after=f"{err.value.retry_after:.0f}")
    assert err.value.code == "rate_limited"
    # Other APIs and other developer ids keep their own budgets.
    rate_limit_acquire(tiger_id_hash=developer_hash, api="positions")
    rate_limit_acquire(tiger_id_hash=developer_hash + "x", api="market_state")


def test_caller_queues_briefly_when_a_slot_frees_soon(backend, developer_hash, settings, waits):
    settings.MARKETDATA_RATE_WINDOW_SECONDS = 1.0  # within the 2 s a caller may wait
    for _ in range(10):
        rate_limit_acquire(tiger_id_hash=developer_hash, api="market_state")
    assert waits == []
    rate_limit_acquire(tiger_id_hash=developer_hash, api="market_state")  # admitted, not refused
    # It waited for the oldest call to leave the window (no longer than the window), then took its slot.
    assert waits and all(0 < wait <= 1.0 + 0.005 for wait in waits)


def test_unlimited_api_never_waits(backend, developer_hash, waits):
    for _ in range(200):
        rate_limit_acquire(tiger_id_hash=developer_hash, api="user_license")
    assert waits == []


def test_threads_never_exceed_the_limit(backend, developer_hash, settings):
    settings.MARKETDATA_RATE_LIMIT_MAX_WAIT = 0
    admitted, refused = [], []

    def call():
        try:
            rate_limit_acquire(tiger_id_hash=developer_hash, api="positions")
            admitted.append(1)
        except RateLimited:
            refused.append(1)

    threads = [threading.Thread(target=call) for _ in range(80)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 60 and len(refused) == 20


_WORKER = """
import os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tigermcp.settings")
django.setup()
from django.conf import settings
settings.MARKETDATA_RATE_LIMIT_MAX_WAIT = 0
from broker.limits import rate_limit_acquire
from core.errors import RateLimited
start_at = float(sys.argv[2])
while time.time() < start_at:
    time.sleep(0.001)
ok = 0
for _ in range(40):
    try:
        rate_limit_acquire(tiger_id_hash=sys.argv[1], api="positions")
        ok += 1
    except RateLimited:
        pass
print(ok)
"""


@pytest.mark.redis
def test_rate_limit_is_shared_by_two_processes(developer_hash):
    start_at = time.time() + 4  # both processes past Django set-up, then racing
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tigermcp.settings"}
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, developer_hash, str(start_at)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    counts = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        counts.append(int(out.strip().splitlines()[-1]))
    # 80 attempts, 60 allowed per developer id per minute: exactly 60 admitted across both processes.
    assert sum(counts) == 60
    assert all(c > 0 for c in counts)


# --- circuit breaker ---------------------------------------------------------------------------------


def _fail(account_id, exc):
    with pytest.raises(type(exc)):
        with circuit_guard(account_id, label="ACC1"):
            raise exc


def test_circuit_opens_after_consecutive_failures_and_says_when(settings):
    settings.MARKETDATA_CIRCUIT_FAILURES = 3
    settings.MARKETDATA_CIRCUIT_COOLDOWN = 30
    for _ in range(3):
        _fail(101, BrokerUnavailable("gateway down"))
    assert circuit_is_open(101)
    ran = []
    with pytest.raises(CircuitOpen) as err:
        with circuit_guard(101, label="ACC1"):
            ran.append(1)
    assert ran == []  # the broker is not even called
    assert "account ACC1" in err.value.message and "3 consecutive failures" in err.value.message
    assert "broker_unavailable: gateway down" in err.value.message
    assert 25 <= err.value.extra["retry_after_seconds"] <= 30
    assert err.value.message.startswith(CIRCUIT_OPEN.split("{")[0])
    # Another account is unaffected.
    with circuit_guard(102):
        pass


def test_rejections_and_rate_limits_do_not_count(settings):
    settings.MARKETDATA_CIRCUIT_FAILURES = 2
    for _ in range(5):
        _fail(201, BrokerRejected("insufficient buying power"))
        _fail(201, RateLimited("slow down"))
    assert not circuit_is_open(201)
    assert circuit_state(201)["failures"] == 0


def test_success_resets_the_count(settings):
    settings.MARKETDATA_CIRCUIT_FAILURES = 3
    _fail(301, BrokerUnavailable("x"))
    _fail(301, BrokerUnavailable("x"))
    with circuit_guard(301):
        pass
    _fail(301, BrokerUnavailable("x"))
    _fail(301, BrokerUnavailable("x"))
    assert not circuit_is_open(301)


def test_after_cooldown_one_trial_then_close_or_reopen(settings):
    settings.MARKETDATA_CIRCUIT_FAILURES = 2
    settings.MARKETDATA_CIRCUIT_COOLDOWN = 0.3
    _fail(401, BrokerUnavailable("x"))
    _fail(401, BrokerUnavailable("x"))
    time.sleep(0.35)
    # Half-open: the first caller is the trial; a concurrent second caller is still refused.
    with circuit_guard(401):
        with pytest.raises(CircuitOpen):
            with circuit_guard(401):
                pass
    # The trial succeeded: closed, count reset.
    assert not circuit_is_open(401) and circuit_state(401)["failures"] == 0

    _fail(401, BrokerUnavailable("x"))
    _fail(401, BrokerUnavailable("x"))
    time.sleep(0.35)
    _fail(401, BrokerUnavailable("still down"))  # the trial fails: open again at once
    with pytest.raises(CircuitOpen) as err:
        with circuit_guard(401):
            pass
    assert "still down" in err.value.message
