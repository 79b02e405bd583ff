"""Portfolio at scale: recent accounts come from their snapshot (with as_of) and never answer "rate
limited"; a live read refreshes only what is stale; fresh_only reads everything live; the background
refresh spreads re-reads within each developer id's rate budget."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Scope
from broker.limits import rate_limit_acquire, tiger_id_hash
from marketdata.services import portfolio_aggregate
from marketdata.services.portfolio import (
    _snapshot_key,
    portfolio_snapshots_refresh,
    refresh_allowance_per_tick,
)

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("api", "test")


@pytest.fixture
def developer(sim):
    return sim.create_developer()


def _age(account, seconds):
    """Makes an account's snapshot `seconds` old."""
    snap = cache.get(_snapshot_key(account))
    cache.set(_snapshot_key(account), replace(snap, as_of=timezone.now() - timedelta(seconds=seconds)), None)


def _exhaust(developer, api="prime_assets"):
    """Spends the developer id's budget for `api` (as other callers would)."""
    from core.errors import RateLimited

    with pytest.raises(RateLimited):
        for _ in range(61):
            rate_limit_acquire(tiger_id_hash=tiger_id_hash(developer.tiger_id), api=api)


def test_a_recent_account_is_served_from_its_snapshot_with_its_age(make_tiger_account, developer, settings):
    settings.MARKETDATA_RATE_LIMIT_MAX_WAIT = 0
    a = make_tiger_account(developer=developer)
    first = portfolio_aggregate(actor=ACTOR, account_numbers=[a.account_number])
    assert first.accounts[0].source == "live" and first.accounts[0].as_of is not None
    # Tiger's budget is spent: a recent account still answers, from its snapshot, not "rate limited".
    _exhaust(developer)
    again = portfolio_aggregate(actor=ACTOR, account_numbers=[a.account_number])
    assert again.errors == []
    [read] = again.accounts
    assert read.source == "snapshot" and read.as_of == first.accounts[0].as_of
    assert read.net_liquidation == first.accounts[0].net_liquidation
    # fresh_only reads Tiger now, so with the budget spent it fails, and says so.
    fresh = portfolio_aggregate(actor=ACTOR, account_numbers=[a.account_number], fresh_only=True)
    assert fresh.accounts == [] and [e.code for e in fresh.errors] == ["rate_limited"]


def test_a_live_read_refreshes_only_the_stale_accounts(make_tiger_account, developer, sim):
    a = make_tiger_account(developer=developer)
    b = make_tiger_account(developer=developer)
    portfolio_aggregate(actor=ACTOR, account_numbers=[a.account_number, b.account_number])
    _age(b, 120)
    sim.exchange.accounts[b.account_number].cash["USD"] += Decimal("5")
    agg = portfolio_aggregate(actor=ACTOR, account_numbers=[a.account_number, b.account_number])
    by = {r.account_number: r for r in agg.accounts}
    assert by[a.account_number].source == "snapshot" and by[b.account_number].source == "live"
    assert by[b.account_number].net_liquidation == Decimal("1000005")
    assert (timezone.now() - by[b.account_number].as_of).total_seconds() < 30


def test_a_stale_account_tiger_cannot_read_is_served_old_with_a_warning_not_a_failure(
        make_tiger_account, developer, settings):
    settings.MARKETDATA_RATE_LIMIT_MAX_WAIT = 0
    a = make_tiger_account(developer=developer)
    portfolio_aggregate(actor=ACTOR, account_numbers=[a.account_number])
    _age(a, 300)
    _exhaust(developer)
    agg = portfolio_aggregate(actor=ACTOR, account_numbers=[a.account_number])
    assert agg.errors == [] and agg.accounts[0].source == "snapshot"
    assert [w for w in agg.warnings if a.account_number in w and "rate_limited" in w and "300 s old" in w]


def test_the_background_refresh_spreads_reads_within_each_developer_budget(make_tiger_account, sim, settings):
    # 60 assets calls a minute per developer id, 0.95 of it, at 5 s ticks: 4 or 5 accounts a tick.
    assert sorted({refresh_allowance_per_tick(k) for k in range(12)}) == [4, 5]
    assert sum(refresh_allowance_per_tick(k) for k in range(12)) == 57
    settings.PORTFOLIO_REFRESH_BUDGET_SHARE = 0.4  # 24 a minute: 2 a tick
    one, two = sim.create_developer(), sim.create_developer()
    accounts = [make_tiger_account(developer=d) for d in (one, one, one, two, two) for _ in [0]]
    report = portfolio_snapshots_refresh()
    # Per developer id at most 2 a tick: 2 of the first's 3, both of the second's.
    assert (report.refreshed, report.deferred, report.failed) == (4, 1, 0)
    assert sum(cache.get(_snapshot_key(a)) is not None for a in accounts) == 4
    report = portfolio_snapshots_refresh()
    assert (report.refreshed, report.deferred) == (1, 0)  # only the one still without a snapshot
    assert portfolio_snapshots_refresh().refreshed == 0  # every account is recent
    _age(accounts[0], 50)
    assert portfolio_snapshots_refresh().refreshed == 1
    assert (timezone.now() - cache.get(_snapshot_key(accounts[0])).as_of).total_seconds() < 30


def test_rest_portfolio_shows_each_accounts_age_and_takes_fresh_only(make_tiger_account, api_client_for):
    a = make_tiger_account()
    api = api_client_for(a, Scope.READ)
    first = api.get("/api/portfolio/").json()
    assert [x["source"] for x in first["accounts"]] == ["live"]
    again = api.get("/api/portfolio/").json()["accounts"][0]
    assert again["source"] == "snapshot" and again["as_of"] == first["accounts"][0]["as_of"]
    assert isinstance(again["age_seconds"], int) and 0 <= again["age_seconds"] <= 60
    fresh = api.get("/api/portfolio/?fresh_only=true").json()["accounts"][0]
    assert fresh["source"] == "live" and fresh["as_of"] > again["as_of"]
