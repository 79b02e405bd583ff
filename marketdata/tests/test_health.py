import json

import pytest
from django.core.management import call_command

from accounts.services import account_save
from accounts.actors import Actor
from marketdata.models import AccountHealth, HealthStatus
from marketdata.services import account_health_check, celery_heartbeat_record
from marketdata.tasks import health_check_all
from tigermcp.testing import free_port

pytestmark = pytest.mark.django_db



@pytest.fixture
def account(sim, make_tiger_account):
    return make_tiger_account(developer=sim.create_developer())


@pytest.fixture
def celery_not_eager():
    from tigermcp.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


def _break(account):
    account.server_url = f"http://127.0.0.1:{free_port()}/gateway"
    return account_save(actor=Actor.system("cli"), account=account, changed=["server_url"])


def test_health_check_records_status_latency_and_failures(account, sim, settings):
    settings.TIGER_HTTP_TIMEOUT = 1
    good_url = account.server_url
    health = account_health_check(account=account)
    assert health.status == HealthStatus.OK and health.latency_ms is not None and health.consecutive_failures == 0
    assert health.last_ok_at == health.checked_at
    account = _break(account)
    account_health_check(account=account)
    health = account_health_check(account=account)
    assert health.status == HealthStatus.FAILING and health.consecutive_failures == 2
    assert health.last_error_code == "broker_unavailable" and account.account_number in health.last_error
    assert AccountHealth.objects.filter(account=account).count() == 1
    account.server_url = good_url
    account = account_save(actor=Actor.system("cli"), account=account, changed=["server_url"])
    health = account_health_check(account=account)
    assert health.status == HealthStatus.OK and health.consecutive_failures == 0


def test_health_endpoint_reports_components_and_accounts(admin_client, account, settings):
    client = admin_client  # per-account rows need a staff login or a token (test_health_access)
    settings.TIGER_HTTP_TIMEOUT = 1
    health_check_all.delay()  # eager here: runs inline
    reply = client.get("/api/health")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"
    assert body["celery"]["status"] == "eager"
    assert body["redis"]["status"] == ("ok" if settings.REDIS_URL else "not_configured")
    row = next(r for r in body["accounts"] if r["account"] == account.account_number)
    assert row["status"] == "ok" and row["latency_ms"] is not None
    for secret in (account.tiger_id, account.private_key[:40]):
        assert secret not in reply.content.decode()

    _break(account)
    health_check_all.delay()
    body = client.get("/api/health").json()
    assert body["status"] == "degraded"
    assert client.get("/api/health").status_code == 200  # one bad account keeps the instance in rotation
    assert client.get("/api/health?strict=1").status_code == 503


def test_health_is_down_without_redis(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    reply = client.get("/api/health")
    assert reply.status_code == 503
    assert reply.json()["redis"]["status"] == "down" and reply.json()["status"] == "down"


def test_celery_heartbeat_decides_celery_status(client, celery_not_eager):
    from django.core.cache import cache

    from marketdata.services import HEARTBEAT_KEY

    cache.delete(HEARTBEAT_KEY)
    reply = client.get("/api/health")
    assert reply.status_code == 503 and reply.json()["celery"]["status"] == "down"
    celery_heartbeat_record()
    reply = client.get("/api/health")
    assert reply.json()["celery"]["status"] == "ok" and reply.status_code == 200


def test_health_command(account, capsys, celery_not_eager):
    account_health_check(account=account)
    celery_heartbeat_record()
    call_command("health", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "ok" and report["celery"]["status"] == "ok"
    call_command("health")
    text = capsys.readouterr().out
    assert "overall: ok" in text and account.account_number in text
    from django.core.cache import cache

    from marketdata.services import HEARTBEAT_KEY

    cache.delete(HEARTBEAT_KEY)
    with pytest.raises(SystemExit) as exit_:
        call_command("health")
    assert exit_.value.code == 1


def test_health_admin_is_read_only(admin_client, account):
    account_health_check(account=account)
    reply = admin_client.get("/admin/marketdata/accounthealth/")
    assert reply.status_code == 200 and account.account_number in reply.content.decode()
    assert admin_client.get("/admin/marketdata/accounthealth/add/").status_code == 403
    assert admin_client.get("/admin/marketdata/portfoliosnapshot/").status_code == 200


def test_admin_action_runs_a_check_now(admin_client, account):
    health = account_health_check(account=account)
    first = health.checked_at
    reply = admin_client.post("/admin/marketdata/accounthealth/",
                              {"action": "check_now", "_selected_action": [health.pk]}, follow=True)
    assert reply.status_code == 200 and "Checked 1 account(s): 1 ok, 0 failing." in reply.content.decode()
    health.refresh_from_db()
    assert health.checked_at > first
