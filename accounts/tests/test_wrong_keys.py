"""Under the wrong FIELD_ENCRYPTION_KEYS every page still renders: lists and /health need no secret,
the account page shows that its credentials cannot be decrypted, other fields can still be changed
(the stored ciphertext is kept as it is), and a broker call reports a credential error that names
the fix. Never a traceback, never ciphertext."""

import json

import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import AccessGrant, TigerAccount
from accounts.tests.factories import CANARY_KEY, make_account
from marketdata.models import AccountHealth
from core.errors import CredentialError
from trading.models import RiskPolicy

pytestmark = pytest.mark.django_db

LEAKS = ("gAAAAA", "fernet:", "Traceback", CANARY_KEY)


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", password="pw-root-123456")
    client.force_login(user)
    return client


@pytest.fixture
def locked_account(use_keys):
    """An account with a grant and a health row, then the keys replaced by an unrelated one."""
    account = make_account(tiger_id="20154321")
    user = get_user_model().objects.create_user("reader", password="pw-reader-123456")
    AccessGrant.objects.create(account=account, user=user, scope="read")
    AccountHealth.objects.create(account=account, status="ok")
    RiskPolicy.objects.get_or_create(account=account)
    use_keys(Fernet.generate_key().decode())
    return account


def assert_clean(body: str):
    for leak in LEAKS:
        assert leak not in body, leak
    assert "20154321" not in body


def test_health_answers_without_a_traceback_or_ciphertext(admin_client, locked_account):
    public = Client().get("/health")
    assert public.status_code == 200 and public.json()["database"]["status"] == "ok"
    assert "accounts" not in public.json()
    assert_clean(public.content.decode())
    detailed = admin_client.get("/health")  # a staff session sees the accounts too
    assert detailed.status_code == 200
    assert detailed.json()["accounts"][0]["account"] == locked_account.account_number
    assert_clean(detailed.content.decode())


def test_every_admin_list_and_object_page_renders(admin_client, locked_account):
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:%s_%s_changelist" % info))
        pages += [reverse("admin:%s_%s_change" % info, args=[pk]) for pk in model.objects.values_list("pk", flat=True)[:3]]
    assert reverse("admin:accounts_tigeraccount_change", args=[locked_account.pk]) in pages
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_clean(response.content.decode())


def test_account_page_shows_that_its_credentials_cannot_be_decrypted(admin_client, locked_account):
    page = admin_client.get(reverse("admin:accounts_tigeraccount_change", args=[locked_account.pk])).content.decode()
    assert "cannot be decrypted: set FIELD_ENCRYPTION_KEYS to the keys that encrypted the data" in page


def raw_column(account, column="private_key") -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM accounts_tigeraccount WHERE id = %s", [account.pk])
        return cur.fetchone()[0]


def test_other_fields_can_still_be_edited_and_the_ciphertext_is_kept(admin_client, locked_account):
    stored = {name: raw_column(locked_account, name) for name in TigerAccount.SECRET_FIELDS}
    url = reverse("admin:accounts_tigeraccount_change", args=[locked_account.pk])
    form = {"label": "Renamed", "account_number": locked_account.account_number, "environment": "paper",
            "permission": "trade", "status": "active", "base_currency": "USD", "tiger_id": "", "private_key": "",
            "license": "", "server_url": "", "gateway_public_key": ""}
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert TigerAccount.objects.get(pk=locked_account.pk).label == "Renamed"
    assert {name: raw_column(locked_account, name) for name in TigerAccount.SECRET_FIELDS} == stored


def test_an_account_can_be_disabled_under_the_wrong_keys(admin_client, locked_account):
    response = admin_client.post(reverse("admin:accounts_tigeraccount_changelist"),
                                 {"action": "disable_accounts", "_selected_action": [locked_account.pk]})
    assert response.status_code == 302
    assert TigerAccount.objects.get(pk=locked_account.pk).status == "disabled"


def test_an_error_escaping_a_page_is_shown_as_its_message(rf, locked_account):
    """The safety net under every page: an ApplicationError that a page lets through."""
    from core.error_pages import ApplicationErrorMiddleware

    request = rf.get("/admin/accounts/tigeraccount/")
    request.user = get_user_model().objects.create_superuser("root2", password="pw-root-123456")
    try:
        TigerAccount.objects.get(pk=locked_account.pk).private_key
    except CredentialError as exc:
        error = exc
    response = ApplicationErrorMiddleware(lambda r: None).process_exception(request, error)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Set FIELD_ENCRYPTION_KEYS to the keys that encrypted the data" in body and "undecryptable" in body
    assert_clean(body)
    api = ApplicationErrorMiddleware(lambda r: None).process_exception(rf.get("/health"), error)
    assert json.loads(api.content)["error"]["code"] == "undecryptable"


def test_a_broker_call_reports_a_credential_error(locked_account):
    from marketdata.services import account_health_check

    health = account_health_check(account=TigerAccount.objects.get(pk=locked_account.pk))
    assert health.status == "failing" and health.last_error_code == "undecryptable"
    assert "FIELD_ENCRYPTION_KEYS" in health.last_error
