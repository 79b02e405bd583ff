import threading
import time

import pytest

from broker.cache import cache_key, cached_fetch


def _counting(value="v", delay=0.2):
    calls = []

    def fetch():
        calls.append(1)
        time.sleep(delay)
        return {"value": value, "n": len(calls)}

    return fetch, calls


def test_concurrent_callers_share_one_fetch():
    fetch, calls = _counting()
    results = []
    barrier = threading.Barrier(50)

    def caller():
        barrier.wait()
        results.append(cached_fetch("tm:md:test:stampede", 30, fetch))

    threads = [threading.Thread(target=caller) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 50 and all(r == {"value": "v", "n": 1} for r in results)


def test_value_expires_after_ttl():
    fetch, calls = _counting(delay=0)
    cached_fetch("tm:md:test:ttl", 1, fetch)
    cached_fetch("tm:md:test:ttl", 1, fetch)
    assert len(calls) == 1
    time.sleep(1.2)
    assert cached_fetch("tm:md:test:ttl", 1, fetch)["n"] == 2


def test_a_failed_fetch_is_not_cached_and_waiters_get_the_error():
    attempts = []

    def failing():
        attempts.append(1)
        time.sleep(0.1)
        raise RuntimeError("gateway down")

    errors = []

    def caller():
        try:
            cached_fetch("tm:md:test:fail", 30, failing)
        except RuntimeError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=caller) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == ["gateway down"] * 10
    assert len(attempts) == 1
    assert cached_fetch("tm:md:test:fail", 30, lambda: "recovered") == "recovered"


def test_long_keys_are_bounded():
    key = cache_key("quotes", "gw", *[f"SYM{i}" for i in range(100)])
    assert len(key) < 60 and key.startswith("tm:md:quotes:")
    assert cache_key("quote", "gw", "AAPL") == "tm:md:quote:gw|AAPL"


@pytest.mark.redis
def test_stampede_protection_across_processes_uses_the_shared_lock(settings):
    """A second process (simulated by a thread that bypasses the in-process single-flight) waits on
    the Redis lock instead of fetching again."""
    from broker import cache as md_cache

    fetch, calls = _counting(delay=0.3)
    out = []
    t1 = threading.Thread(target=lambda: out.append(md_cache._fetch_once_across_processes("tm:md:test:xproc", 30, fetch)))
    t2 = threading.Thread(target=lambda: out.append(md_cache._fetch_once_across_processes("tm:md:test:xproc", 30, fetch)))
    t1.start()
    time.sleep(0.05)
    t2.start()
    t1.join()
    t2.join()
    assert len(calls) == 1 and out[0] == out[1]
