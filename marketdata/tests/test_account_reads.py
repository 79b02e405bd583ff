"""One account's balances and positions through the shared read cache (broker.account_reads), with
the real SDK against the simulator: Tiger's calls are counted on the simulator's side."""

import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import grant_set
from broker.account_reads import account_reads_forget
from core.errors import NotFound
from marketdata.selectors import account_summary_get, positions_get
from tigermcp.testing import run_threads

SYSTEM = Actor.system("api", "test")


@pytest.fixture
def account(sim, make_tiger_account):
    # Its own developer id: the session's simulator counts rate limits per developer.
    return make_tiger_account(developer=sim.create_developer())


def user_actor(username, account=None):
    user = get_user_model().objects.create_user(username, password="x" * 20)
    if account is not None:
        grant_set(actor=SYSTEM, account=account, scope=Scope.READ, user=user)
    return Actor.for_user(user, door="api")


@pytest.mark.django_db(transaction=True)
def test_concurrent_readers_of_one_account_make_one_broker_call(sim, account):
    reader = user_actor("reader", account)
    sim.faults.inject("positions", "latency", times=None, seconds=0.3)
    try:
        before = sim.request_count("positions")
        reads = run_threads(20, lambda i: positions_get(actor=reader, account_number=account.account_number)[1])
    finally:
        sim.faults.clear()
    assert not [r for r in reads if isinstance(r, BaseException)]
    assert sim.request_count("positions") == before + 1
    assert len({r.as_of for r in reads}) == 1
    assert sorted(r.source for r in reads) == ["cache"] * 19 + ["live"]


@pytest.mark.django_db
def test_a_read_says_how_old_it_is_and_fresh_only_reads_tiger_now(sim, account, settings):
    settings.TIGER_ACCOUNT_READ_TTL = 30
    n = account.account_number
    before = sim.request_count("prime_assets")
    _, first = account_summary_get(actor=SYSTEM, account_number=n)
    assert first.source == "live" and first.value.net_liquidation == Decimal("1000000")
    time.sleep(1.1)
    _, again = account_summary_get(actor=SYSTEM, account_number=n)
    assert sim.request_count("prime_assets") == before + 1
    assert again.source == "cache" and again.as_of == first.as_of and again.age_seconds() >= 1

    sim.deposit(n, "USD", Decimal("500"))
    _, cached = account_summary_get(actor=SYSTEM, account_number=n)
    assert cached.value.cash == first.value.cash  # within the time-to-live: the shared read
    _, fresh = account_summary_get(actor=SYSTEM, account_number=n, fresh_only=True)
    assert sim.request_count("prime_assets") == before + 2
    assert fresh.source == "live" and fresh.as_of > first.as_of and fresh.age_seconds() == 0
    assert fresh.value.cash == first.value.cash + Decimal("500")
    # The fresh answer is the one shared from now on.
    _, after = account_summary_get(actor=SYSTEM, account_number=n)
    assert after.source == "cache" and after.as_of == fresh.as_of
    assert sim.request_count("prime_assets") == before + 2


@pytest.mark.django_db
def test_reads_expire_after_the_ttl_and_zero_turns_the_cache_off(sim, account, settings):
    settings.TIGER_ACCOUNT_READ_TTL = 1
    n = account.account_number
    before = sim.request_count("positions")
    positions_get(actor=SYSTEM, account_number=n)
    positions_get(actor=SYSTEM, account_number=n)
    assert sim.request_count("positions") == before + 1
    time.sleep(1.2)
    assert positions_get(actor=SYSTEM, account_number=n)[1].source == "live"
    assert sim.request_count("positions") == before + 2
    settings.TIGER_ACCOUNT_READ_TTL = 0
    assert [positions_get(actor=SYSTEM, account_number=n)[1].source for _ in range(2)] == ["live", "live"]
    assert sim.request_count("positions") == before + 4


@pytest.mark.django_db
def test_forgetting_an_account_ends_only_its_own_cached_reads(sim, account, make_tiger_account, settings):
    settings.TIGER_ACCOUNT_READ_TTL = 30
    other = make_tiger_account(developer=sim.create_developer())
    for acct in (account, other):
        positions_get(actor=SYSTEM, account_number=acct.account_number)
    before = sim.request_count("positions")
    account_reads_forget(account)
    assert positions_get(actor=SYSTEM, account_number=account.account_number)[1].source == "live"
    assert positions_get(actor=SYSTEM, account_number=other.account_number)[1].source == "cache"
    assert sim.request_count("positions") == before + 1


@pytest.mark.django_db
def test_no_cached_answer_without_read_permission(sim, account, settings):
    settings.TIGER_ACCOUNT_READ_TTL = 30
    n = account.account_number
    reader = user_actor("reader", account)
    assert positions_get(actor=reader, account_number=n)[1].source == "live"
    assert account_summary_get(actor=reader, account_number=n)[1].source == "live"
    before = sim.request_count()
    stranger = user_actor("stranger")
    for read in (positions_get, account_summary_get):
        for fresh_only in (False, True):
            with pytest.raises(NotFound):
                read(actor=stranger, account_number=n, fresh_only=fresh_only)
    assert sim.request_count() == before
    # The reader's own next read is still the shared one.
    assert positions_get(actor=reader, account_number=n)[1].source == "cache"


@pytest.mark.django_db
def test_cache_keys_carry_no_secret(sim, account, settings):
    from broker.limits import redis_client
    from django.core.cache import cache

    settings.TIGER_ACCOUNT_READ_TTL = 30
    positions_get(actor=SYSTEM, account_number=account.account_number)
    account_summary_get(actor=SYSTEM, account_number=account.account_number)
    client = redis_client()
    keys = [k.decode() for k in client.keys("*tm:acct:*")] if client is not None else list(cache._cache)
    assert any(k.endswith(":positions") for k in keys) and any(k.endswith(":assets") for k in keys)
    text = repr(keys)
    for secret in (account.tiger_id, account.license, account.private_key[30:90]):
        assert secret not in text
