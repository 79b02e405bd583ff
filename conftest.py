import os

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI") == "true"


def _require(marker: str, available: bool, reason: str):
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason}; under CI=true this must not be skipped (.ci/run starts the services).")
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        _require("postgres", connection.vendor == "postgresql",
                 "needs PostgreSQL: set DATABASE_URL=postgres://… (SQLite cannot show row locks or triggers)")
    if item.get_closest_marker("redis"):
        _require("redis", bool(settings.REDIS_URL), "needs Redis: set REDIS_URL=redis://…")


@pytest.fixture
def system_actor():
    from accounts.actors import Actor

    return Actor.system("cli", "test")
