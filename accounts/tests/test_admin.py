import logging

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import AccessGrant, TigerAccount, fingerprint
from accounts.tests.factories import CANARY_KEY, make_account
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", password="pw-root-123456")
    client.force_login(user)
    return client


def add_form(**overrides):
    data = {
        "label": "Main", "account_number": "20260000000000123", "environment": "paper", "permission": "trade",
        "status": "active", "base_currency": "USD", "tiger_id": "20150042", "private_key": CANARY_KEY,
        "license": "TBUS", "server_url": "", "gateway_public_key": "",
        # No gateway answers for this made-up account: trading/tests/test_admin_accounts.py tries the check.
        "skip_connection_check": "on",
    }
    data.update(overrides)
    return data


def test_secrets_are_write_only_and_shown_as_fingerprints(admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    response = admin_client.post(reverse("admin:accounts_tigeraccount_add"), add_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    account = TigerAccount.objects.get(account_number="20260000000000123")
    assert account.private_key == CANARY_KEY

    page = admin_client.get(reverse("admin:accounts_tigeraccount_change", args=[account.pk])).content.decode()
    assert fingerprint(CANARY_KEY) in page
    assert CANARY_KEY not in page and "20150042" not in page
    listing = admin_client.get(reverse("admin:accounts_tigeraccount_changelist") + "?q=Main").content.decode()
    assert "20260000000000123" in listing and CANARY_KEY not in listing

    event = AuditEvent.objects.get(event_type="account.created", account=account)
    assert set(event.payload["credentials_changed"]) == {"tiger_id", "private_key", "license"}
    assert CANARY_KEY not in str(event.payload) and "20150042" not in str(event.payload)
    assert event.door == "admin" and event.actor_label == "root"
    assert CANARY_KEY not in caplog.text


def test_blank_secret_keeps_the_stored_one(admin_client):
    account = make_account()
    url = reverse("admin:accounts_tigeraccount_change", args=[account.pk])
    response = admin_client.post(url, add_form(account_number=account.account_number, label="Renamed", tiger_id="", private_key="", license=""))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.label == "Renamed" and account.private_key == CANARY_KEY and account.license == "TBUS"
    event = AuditEvent.objects.filter(event_type="account.updated", account=account).latest("seq")
    assert "label" in event.payload["changed"] and event.payload["credentials_changed"] == []


def test_invalid_form_error_page_does_not_echo_the_key(admin_client):
    response = admin_client.post(reverse("admin:accounts_tigeraccount_add"), add_form(environment="moon"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Select a valid choice" in body and CANARY_KEY not in body
    assert not TigerAccount.objects.exists()


def test_audit_admin_is_read_only(admin_client):
    make_account()
    event = AuditEvent.objects.first()
    assert admin_client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    page = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_grant_admin_goes_through_the_service(admin_client):
    account = make_account()
    user = get_user_model().objects.create_user("bob", password="pw-bob-1234567")
    response = admin_client.post(reverse("admin:accounts_accessgrant_add"), {"account": account.pk, "scope": "read", "user": user.pk})
    assert response.status_code == 302
    assert AccessGrant.objects.get(user=user).scope == "read"
    assert AuditEvent.objects.filter(event_type="grant.set", account=account, door="admin").exists()


def test_api_token_shown_once_and_stored_hashed(admin_client):
    response = admin_client.post(reverse("admin:accounts_apitoken_add"), {"name": "script"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    plain = next(m.split(": ")[-1] for m in messages if "Copy it now" in m)
    from accounts.models import ApiToken
    token = ApiToken.objects.get(name="script")
    assert token.token_hash == ApiToken.hash(plain) and plain not in token.token_hash
    api = admin_client.__class__()
    assert api.get("/api/accounts/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200
    assert api.get("/api/accounts/", HTTP_AUTHORIZATION="Bearer tmapi_wrong").status_code == 401


def test_per_account_kill_switch_from_the_account_list(admin_client):
    from trading.models import KillSwitch

    account = make_account()
    response = admin_client.post(reverse("admin:accounts_tigeraccount_changelist"),
                                 {"action": "kill_switch_on", "_selected_action": [account.pk]}, follow=True)
    assert "kill switch ON" in response.content.decode()
    assert KillSwitch.objects.get(account=account).active is True
    assert AuditEvent.objects.filter(event_type="kill_switch.on", account=account, door="admin").exists()
    admin_client.post(reverse("admin:accounts_tigeraccount_changelist"),
                      {"action": "kill_switch_off", "_selected_action": [account.pk]})
    assert KillSwitch.objects.get(account=account).active is False
