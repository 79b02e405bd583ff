"""Prometheus metrics at /metrics: who may read them, and that each door and service counts what it did."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from accounts.actors import Actor
from accounts.authentication import BAD_TOKEN
from accounts.services import api_token_create
from core.errors import RateLimited
from core.metrics import MULTIPROC_ENV
from tigermcp.metrics_endpoint import FORBIDDEN, NOT_STAFF

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def scrape(client=None, **extra) -> dict:
    """{(sample name, frozenset of labels): value} from one GET /metrics (loopback by default)."""
    response = (client or APIClient()).get("/metrics", **extra)
    assert response.status_code == 200, response.content
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(scraped: dict, name: str, **labels) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def token_client(*, staff: bool) -> APIClient:
    owner = get_user_model().objects.create_user(f"u{uuid.uuid4().hex[:8]}", password="pw-unused-1", is_staff=staff)
    _token, plain = api_token_create(actor=Actor.system("cli"), name="scraper", owner=owner)
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


# --- who may read them ----------------------------------------------------------------------------

def test_loopback_caller_reads_metrics_without_a_token():
    response = APIClient().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE tigermcp_requests_total counter" in response.content


@pytest.mark.parametrize("extra", [
    {"REMOTE_ADDR": "203.0.113.9"},
    # A proxy on this machine forwarding someone from elsewhere is not a loopback caller.
    {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7, 127.0.0.1"},
])
def test_anyone_else_without_a_token_gets_403_saying_how(extra):
    response = APIClient().get("/metrics", **extra)
    assert response.status_code == 403
    assert response.content.decode().strip() == FORBIDDEN


def test_a_staff_owned_token_reads_from_elsewhere_and_others_are_refused():
    assert token_client(staff=True).get("/metrics").status_code == 200
    refused = token_client(staff=False).get("/metrics")
    assert refused.status_code == 403 and refused.content.decode().strip() == NOT_STAFF
    bad = APIClient(REMOTE_ADDR="203.0.113.9")
    bad.credentials(HTTP_AUTHORIZATION="Bearer tmapi_not-a-token")
    refused = bad.get("/metrics")
    assert refused.status_code == 403 and refused.content.decode().strip() == BAD_TOKEN


# --- what is counted ------------------------------------------------------------------------------

def test_rest_requests_are_counted_by_route_name_and_status_with_latency():
    client = token_client(staff=False)
    before = scrape()
    assert client.get("/api/accounts/").status_code == 200
    assert client.get("/api/accounts/").status_code == 200
    assert client.get("/api/orders/424242/").status_code == 404
    assert APIClient().get("/api/no-such-thing/12345/").status_code == 404
    after = scrape()
    labels = {"door": "rest", "endpoint": "api-accounts", "status": "200"}
    assert value(after, "tigermcp_requests_total", **labels) - value(before, "tigermcp_requests_total", **labels) == 2
    # The route's name, never the path with its id.
    order = {"door": "rest", "endpoint": "api-order", "status": "404"}
    assert value(after, "tigermcp_requests_total", **order) - value(before, "tigermcp_requests_total", **order) == 1
    unmatched = {"door": "rest", "endpoint": "unmatched", "status": "404"}
    assert value(after, "tigermcp_requests_total", **unmatched) - value(before, "tigermcp_requests_total", **unmatched) == 1
    assert not any("12345" in str(key) or "424242" in str(key) for key in after)
    timed = {"door": "rest", "endpoint": "api-accounts"}
    count = "tigermcp_request_duration_seconds_count"
    assert value(after, count, **timed) - value(before, count, **timed) == 2
    assert value(after, "tigermcp_request_duration_seconds_bucket", **timed, le="+Inf") == value(after, count, **timed)


def test_admin_pages_and_a_failed_login_are_counted():
    get_user_model().objects.create_superuser("ops", password="pw-ops-correct-1")
    client = APIClient()
    before = scrape()
    response = client.post("/admin/login/", {"username": "ops", "password": "wrong"})
    assert response.status_code == 200
    after = scrape()
    assert value(after, "tigermcp_login_failures_total", kind="password") - \
        value(before, "tigermcp_login_failures_total", kind="password") == 1
    login = {"door": "admin", "endpoint": "admin:login", "status": "200"}
    assert value(after, "tigermcp_requests_total", **login) - value(before, "tigermcp_requests_total", **login) == 1


def test_a_bad_api_token_is_a_failed_login():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer tmapi_wrong")
    before = scrape()
    assert client.get("/api/accounts/").status_code == 401
    after = scrape()
    assert value(after, "tigermcp_login_failures_total", kind="api_token") - \
        value(before, "tigermcp_login_failures_total", kind="api_token") == 1


def test_placed_orders_fills_and_portfolio_figures(sim, make_tiger_account, system_actor,
                                                   django_capture_on_commit_callbacks):
    from marketdata.services import portfolio_aggregate
    from trading.services import order_place, order_preview, orders_reconcile

    account = make_tiger_account(developer=sim.create_developer())
    number = account.account_number
    before = scrape()
    preview = order_preview(actor=system_actor, account_number=number, symbol="AAPL", side="BUY", quantity="3",
                            order_type="MKT")
    order = order_place(actor=system_actor, account_number=number, confirmation_token=preview.confirmation_token,
                        idempotency_key=uuid.uuid4().hex)
    sim.faults.inject("place_order", "reject", message="not today")
    preview = order_preview(actor=system_actor, account_number=number, symbol="AAPL", side="SELL", quantity="1",
                            order_type="MKT")
    rejected = order_place(actor=system_actor, account_number=number, confirmation_token=preview.confirmation_token,
                           idempotency_key=uuid.uuid4().hex)
    assert rejected.status == "REJECTED"
    with django_capture_on_commit_callbacks(execute=True):
        orders_reconcile(actor=system_actor, account_number=number)
    order.refresh_from_db()
    assert order.status == "FILLED"
    notional = sum(f.quantity * f.price for f in order.fills.all())
    aggregate = portfolio_aggregate(actor=system_actor, account_numbers=[number])
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("tigermcp_orders_total", account=number, side="BUY", outcome="submitted") == 1
    assert delta("tigermcp_orders_total", account=number, side="SELL", outcome="rejected") == 1
    assert delta("tigermcp_filled_quantity_total", currency="USD") == 3
    assert delta("tigermcp_filled_notional_total", currency="USD") == pytest.approx(float(notional))
    [read] = aggregate.accounts
    assert value(after, "tigermcp_account_balance", account=number, currency="USD", kind="net_liquidation") == \
        float(read.net_liquidation)
    assert value(after, "tigermcp_account_balance", account=number, currency="USD", kind="cash") == float(read.cash)
    assert value(after, "tigermcp_account_pnl", account=number, currency="USD", kind="unrealized") == \
        float(read.unrealized_pnl)
    # Account numbers only: an account's label is free text.
    assert not any(account.label in str(key) for key in after)


def test_rate_limit_events_from_our_limiter_and_from_tiger(sim, make_tiger_account, settings):
    from broker.client import broker_for
    from broker.limits import api_limit, rate_limit_acquire, tiger_id_hash

    settings.MARKETDATA_RATE_LIMIT_MAX_WAIT = 0
    key = tiger_id_hash(f"metrics-{uuid.uuid4().hex}")
    before = scrape()
    for _ in range(api_limit("market_state")):
        rate_limit_acquire(tiger_id_hash=key, api="market_state")
    with pytest.raises(RateLimited):
        rate_limit_acquire(tiger_id_hash=key, api="get_market_status")
    account = make_tiger_account(developer=sim.create_developer())
    sim.faults.inject("market_state", "rate_limit")
    with pytest.raises(RateLimited):
        broker_for(account).market_status()
    after = scrape()
    for source in ("limiter", "tiger"):
        labels = {"api": "market_state", "source": source}
        assert value(after, "tigermcp_rate_limited_total", **labels) - \
            value(before, "tigermcp_rate_limited_total", **labels) == 1, source


def test_a_circuit_opening_is_counted(tiger_account, settings):
    from broker.limits import circuit_guard
    from core.errors import BrokerUnavailable

    settings.MARKETDATA_CIRCUIT_FAILURES = 2
    number = tiger_account.account_number
    before = scrape()
    for _ in range(2):
        with pytest.raises(BrokerUnavailable), circuit_guard(tiger_account.pk, label=number):
            raise BrokerUnavailable("gateway down")
    after = scrape()
    assert value(after, "tigermcp_circuit_opens_total", account=number) - \
        value(before, "tigermcp_circuit_opens_total", account=number) == 1


def test_celery_tasks_are_counted_by_task_name():
    from trading.tasks import orders_reconcile

    labels = {"door": "task", "endpoint": "trading.orders_reconcile", "status": "ok"}
    before = scrape()
    orders_reconcile.delay()  # eager here (CELERY_TASK_ALWAYS_EAGER): the same signals as in a worker
    after = scrape()
    assert value(after, "tigermcp_requests_total", **labels) - value(before, "tigermcp_requests_total", **labels) == 1


# --- several processes ----------------------------------------------------------------------------

RECORD = """
import sys
from core.metrics import BALANCE, request_record
request_record(door="task", endpoint="demo.task", status="ok", seconds=0.2)
BALANCE.labels(account="U1", currency="USD", kind="cash").set(float(sys.argv[1]))
"""


def test_multiprocess_mode_sums_every_process_into_one_scrape(tmp_path, monkeypatch):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), MULTIPROC_ENV: str(tmp_path / "prom")}
    for cash in ("100", "250"):  # one after the other: the second set the gauge last
        subprocess.run([sys.executable, "-c", RECORD, cash], cwd=ROOT, env=env, check=True, timeout=60)
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path / "prom"))
    scraped = scrape()
    assert value(scraped, "tigermcp_requests_total", door="task", endpoint="demo.task", status="ok") == 2
    assert value(scraped, "tigermcp_request_duration_seconds_count", door="task", endpoint="demo.task") == 2
    assert value(scraped, "tigermcp_account_balance", account="U1", currency="USD", kind="cash") == 250


def test_a_lockout_is_counted_once_when_it_happens():
    from tigermcp.settings import AXES_FAILURE_LIMIT

    get_user_model().objects.create_superuser("ops", password="pw-ops-correct-1")
    client = APIClient()
    before = scrape()
    for _ in range(AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "ops", "password": "wrong"})
    after = scrape()
    assert value(after, "tigermcp_login_lockouts_total") - value(before, "tigermcp_login_lockouts_total") == 1
    assert value(after, "tigermcp_login_failures_total", kind="password") - \
        value(before, "tigermcp_login_failures_total", kind="password") == AXES_FAILURE_LIMIT
    locked = {"door": "admin", "endpoint": "admin:login", "status": "429"}
    assert value(after, "tigermcp_requests_total", **locked) - value(before, "tigermcp_requests_total", **locked) == 1
