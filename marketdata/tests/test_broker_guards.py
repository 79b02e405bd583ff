"""The limiter and the breaker where every broker call passes (broker.client calls them)."""

import pytest

from broker.client import broker_for
from marketdata.models import HealthStatus
from marketdata.services import account_health_check
from core.errors import CircuitOpen, RateLimited

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(sim, make_tiger_account):
    return make_tiger_account(developer=sim.create_developer())


def test_our_limiter_answers_before_tiger_refuses(sim, account):
    broker = broker_for(account)
    before = sim.request_count("market_state")
    for _ in range(10):
        broker.market_status("US")
    with pytest.raises(RateLimited) as err:
        broker.market_status("US")
    assert err.value.retry_after > 50 and "Retry in" in err.value.message
    # Tiger (the simulator) saw exactly its limit and never had to refuse.
    assert sim.request_count("market_state") == before + 10


def test_failing_account_opens_its_circuit_and_stops_calling_the_gateway(sim, account, make_tiger_account, settings):
    settings.MARKETDATA_CIRCUIT_FAILURES = 3
    settings.MARKETDATA_CIRCUIT_COOLDOWN = 60
    healthy = make_tiger_account(developer=sim.create_developer())
    sim.faults.inject("prime_assets", "http_error", times=3, status=503)
    try:
        for _ in range(3):
            assert account_health_check(account=account).status == HealthStatus.FAILING
    finally:
        sim.faults.clear()
    calls = sim.request_count("prime_assets")
    health = account_health_check(account=account)
    assert sim.request_count("prime_assets") == calls  # refused here, the gateway was not called
    assert health.status == HealthStatus.CIRCUIT_OPEN and health.last_error_code == "circuit_open"
    assert account.account_number in health.last_error and "UTC (in " in health.last_error
    assert health.consecutive_failures == 4
    with pytest.raises(CircuitOpen):
        broker_for(account).positions()
    # Another account is not affected.
    assert account_health_check(account=healthy).status == HealthStatus.OK
