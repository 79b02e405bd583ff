import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI") == "true"
ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    if (ROOT / ".env").exists() and os.environ.get("TIGERMCP_READ_DOT_ENV") != "false":
        raise pytest.UsageError(
            f"{ROOT / '.env'} was read into the settings and would change what the tests run against. "
            "Run the tests with ./scripts/test, or set TIGERMCP_READ_DOT_ENV=false.")


def _browser_available() -> bool:
    import shutil

    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


def _missing_services(item) -> list[str]:
    """What the test needs that this machine lacks, each with how to provide it."""
    missing = []
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing.append("needs PostgreSQL: set DATABASE_URL=postgres://… (SQLite cannot show row locks or triggers)")
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        missing.append("needs Redis: set REDIS_URL=redis://…")
    if (item.get_closest_marker("browser") or "browser" in getattr(item, "fixturenames", ())) and not _browser_available():
        missing.append("needs Chromium and chromedriver (apt-get install chromium chromium-driver)")
    return missing


def pytest_collection_modifyitems(config, items):
    # Skipped at collection, so the summary names each test (with --no-fold-skipped in pytest.ini)
    # rather than the line of this file that skipped it.
    if IN_CI:
        return
    for item in items:
        if missing := _missing_services(item):
            item.add_marker(pytest.mark.skip(reason="; ".join(missing)))


def pytest_runtest_setup(item):
    if IN_CI and (missing := _missing_services(item)):
        pytest.fail(f"{'; '.join(missing)}; under CI=true this must not be skipped (.ci/run starts the services).")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """pytest-django would name the test database test_<NAME> for every run: give this run's its own."""
    from tigermcp.testing import TEST_RUN_ID

    for db in settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        if db["ENGINE"].endswith("sqlite3") and not test.get("NAME"):
            continue  # in memory: private to the run already
        test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_{TEST_RUN_ID}"


@pytest.fixture(autouse=True)
def _fresh_shared_state():
    """Cache, circuit breakers and rate-limit windows are shared state (Redis in CI): each test
    starts clean, so one test's failures never open another test's circuit."""
    from django.core.cache import cache

    from broker.cache import cache_clear_marketdata
    from broker.limits import rate_limit_reset

    cache.clear()
    cache_clear_marketdata()  # also drops each process's quote copies (a new generation)
    rate_limit_reset()
    yield


@pytest.fixture
def use_keys(monkeypatch):
    """Sets FIELD_ENCRYPTION_KEYS as a deployment does, in the environment (read where used)."""
    def use(*keys: str) -> None:
        monkeypatch.setenv("FIELD_ENCRYPTION_KEYS", ",".join(keys))
    return use


@pytest.fixture
def api_client_for():
    """A DRF client holding a new API token with a `scope` grant on `account`, as a scripted caller has."""
    from rest_framework.test import APIClient

    from accounts.actors import Actor
    from accounts.services import api_token_create, grant_set

    def make(account, scope, name="script"):
        token, plain = api_token_create(actor=Actor.system("cli", "fixture"), name=name)
        grant_set(actor=Actor.system("cli", "fixture"), account=account, scope=scope, api_token=token)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        return client

    return make


@pytest.fixture
def system_actor():
    from accounts.actors import Actor

    return Actor.system("cli", "test")


# --- the Tiger gateway simulator, driven through the real SDK ---------------------------------------

SIM_CLOCK = "2026-11-23T15:00:00Z"  # a Monday, 10:00 in New York: inside the regular session


@pytest.fixture(scope="session")
def sim():
    """One simulator for the session; each test gets its own paper account(s) on it."""
    from tigersim.server import Simulator

    simulator = Simulator(seed=7, clock=SIM_CLOCK, rate_limit_window=60.0).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="session")
def sim_developer(sim):
    return sim.create_developer()


@pytest.fixture
def make_tiger_account(sim, sim_developer, settings):
    """A TigerAccount bound to the simulator: a fresh paper account with USD 1,000,000 by default."""
    from decimal import Decimal

    from accounts.actors import Actor
    from accounts.models import Scope, TigerAccount
    from accounts.services import account_save

    settings.TIGER_HTTP_TIMEOUT = 10  # two test processes share two cores: 3 s flaked under load
    settings.TIGER_READ_RETRIES = 0
    # The session's developer would otherwise carry one test's calls into the next one's window.
    sim.rate_limiter.reset()
    # Likewise the displayed liquidity: 100-900 shares a side per 10 s quote, shared by every test's
    # orders, left one test's market order unfilled after others had bought within the same 10 s.
    sim.exchange.liquidity_reset()

    def make(*, cash=None, developer=None, **fields):
        developer = developer or sim_developer
        number = sim.open_account(developer.tiger_id, cash=cash or {"USD": Decimal("1000000")})
        values = {
            "label": f"Sim {number[-4:]}", "account_number": number, "tiger_id": developer.tiger_id,
            "private_key": developer.private_key, "license": developer.license, "server_url": sim.url,
            "permission": Scope.TRADE,
        }
        values.update(fields)
        return account_save(actor=Actor.system("cli", "fixture"), account=TigerAccount(**values), changed=list(values))

    return make


@pytest.fixture
def tiger_account(make_tiger_account):
    return make_tiger_account()


# --- a real browser for admin pages -----------------------------------------------------------------


@pytest.fixture
def browser():
    """Headless Debian Chromium driven by Selenium through the system chromedriver (no downloads)."""
    import shutil

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
