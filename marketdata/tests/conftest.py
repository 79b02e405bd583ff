import uuid

import pytest


@pytest.fixture(autouse=True)
def _fresh_marketdata_state(settings):
    """Each test starts with an empty market-data cache, no circuit state and no rate windows."""
    from django.core.cache import cache

    from broker.cache import cache_clear_marketdata
    from broker.limits import rate_limit_reset

    cache.clear()
    cache_clear_marketdata()  # also drops each process's quote copies (a new generation)
    rate_limit_reset()
    yield
    cache.clear()


@pytest.fixture
def developer_hash():
    """A limiter key of its own, so tests never share a budget."""
    return uuid.uuid4().hex[:24]
