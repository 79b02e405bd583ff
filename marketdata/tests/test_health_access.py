"""/health: anyone sees the overall status and each component; per-account rows need a staff login or
a token, and show only the accounts that caller may read."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.actors import Actor
from accounts.authentication import BAD_TOKEN
from accounts.models import Scope
from accounts.services import api_token_create, grant_set
from accounts.tests.factories import make_account
from marketdata.selectors import HEALTH_DETAIL

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    return make_account(label="Alpha desk"), make_account(label="Bravo desk")


def _rows(reply) -> set[str]:
    assert reply.status_code == 200, reply.content  # accounts never checked are "unknown", not failing
    return {r["account"] for r in reply.json()["accounts"]}


@pytest.mark.parametrize("path", ["/health", "/api/health"])
def test_anonymous_sees_status_and_components_only(client, accounts, path):
    reply = client.get(path)
    body = reply.json()
    assert set(body) == {"status", "checked_at", "database", "redis", "celery", "orders", "process", "detail"}
    assert body["database"] == {"status": "ok"} and body["detail"] == HEALTH_DETAIL
    for account in accounts:
        assert account.account_number not in reply.content.decode() and account.label not in reply.content.decode()


def test_a_logged_in_user_who_is_not_staff_is_anonymous_here(client, accounts):
    user = get_user_model().objects.create_user("viewer", password="pw-viewer-123456")
    grant_set(actor=Actor.system("cli"), account=accounts[0], scope=Scope.READ, user=user)
    client.force_login(user)
    assert "accounts" not in client.get("/health").json()


def test_staff_see_the_accounts_their_grants_allow(client, accounts):
    alpha, bravo = accounts
    staff = get_user_model().objects.create_user("ops", password="pw-ops-1234567", is_staff=True)
    client.force_login(staff)
    assert _rows(client.get("/health")) == set()
    grant_set(actor=Actor.system("cli"), account=alpha, scope=Scope.READ, user=staff)
    assert _rows(client.get("/health")) == {alpha.account_number}
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-root-1234567"))
    assert _rows(client.get("/health")) >= {alpha.account_number, bravo.account_number}


def test_a_token_sees_its_own_accounts_and_a_bad_token_is_refused(accounts):
    alpha, bravo = accounts
    token, plain = api_token_create(actor=Actor.system("cli"), name="monitor")
    grant_set(actor=Actor.system("cli"), account=bravo, scope=Scope.READ, api_token=token)
    monitor = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert _rows(monitor.get("/health")) == {bravo.account_number}
    refused = Client(HTTP_AUTHORIZATION="Bearer tmapi_not-a-token").get("/health")
    assert refused.status_code == 401 and refused.json() == {"error": {"code": "not_authenticated", "message": BAD_TOKEN}}


def test_the_process_own_memory_cpu_and_disk_show_to_staff_and_tokens_not_to_anyone(client, accounts):
    import os
    import shutil

    from django.conf import settings

    anonymous = client.get("/health").json()
    assert anonymous["process"] == {"status": "ok"}  # the state only, like every component

    client.force_login(get_user_model().objects.create_user("ops", password="pw-ops-1234567", is_staff=True))
    process = client.get("/health").json()["process"]
    assert process["status"] == "ok" and process["pid"] == os.getpid()
    # Plausible, not merely present: a Django process with the test suite loaded holds tens of MiB.
    assert 20 * 2**20 < process["memory_rss_bytes"] < 4 * 2**30
    assert process["memory_rss_mb"] == round(process["memory_rss_bytes"] / 2**20, 1)
    assert process["cpu_seconds"] > 0 and 0 < process["cpu_percent"] <= 100 * os.cpu_count()
    assert process["threads"] >= 1 and process["uptime_seconds"] >= 0
    disk = shutil.disk_usage(settings.DATA_DIR)
    assert process["disk_total_bytes"] == disk.total and process["disk_path"] == str(settings.DATA_DIR)
    assert process["disk_used_bytes"] + process["disk_free_bytes"] <= disk.total
    assert 0 < process["disk_free_percent"] <= 100
