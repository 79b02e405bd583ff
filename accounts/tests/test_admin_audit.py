"""Every change an admin makes to users, grants, tokens and MCP clients writes its audit event, through
the real admin (issue: re-pointing a token, extending its expiry, deactivating a client and making a
user staff or superuser wrote no event)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import AccessGrant, ApiToken, McpClient, McpToken, Scope
from accounts.services import api_token_create, grant_set, mcp_client_create, mcp_token_create
from accounts.tests.factories import make_account
from audit.models import AuditEvent
from audit.selectors import audit_chain_verify

pytestmark = pytest.mark.django_db
User = get_user_model()
SYSTEM = Actor.system("cli", "setup")


def make_user(username):
    return User.objects.create_user(username, password=f"pw-{username}-1234567")


@pytest.fixture
def admin_client(client):
    root = User.objects.create_superuser("root", password="pw-root-123456")
    client.force_login(root)
    return client


def last_event(event_type):
    event = AuditEvent.objects.filter(event_type=event_type).latest("seq")
    assert event.door == "admin" and event.actor_label == "root"
    return event


def posted(response):
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def split(moment):
    local = timezone.localtime(moment)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")


def user_form(user, **changes):
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "date_joined_0": split(user.date_joined)[0], "date_joined_1": split(user.date_joined)[1],
        "groups": [g.pk for g in user.groups.all()], "user_permissions": [p.pk for p in user.user_permissions.all()],
    }
    flags = {"is_active": user.is_active, "is_staff": user.is_staff, "is_superuser": user.is_superuser}
    flags.update({k: changes.pop(k) for k in list(changes) if k in flags})
    data.update({k: "on" for k, v in flags.items() if v})
    data.update(changes)
    return data


def test_repointing_an_mcp_token_to_a_trading_client_is_recorded(admin_client):
    account = make_account()
    reader = mcp_client_create(actor=SYSTEM, name="reader")
    trader = mcp_client_create(actor=SYSTEM, name="trader")
    grant_set(actor=SYSTEM, account=account, scope=Scope.READ, mcp_client=reader)
    grant_set(actor=SYSTEM, account=account, scope=Scope.TRADE, mcp_client=trader)
    token, _ = mcp_token_create(actor=SYSTEM, client=reader, name="laptop")
    posted(admin_client.post(reverse("admin:accounts_mcptoken_change", args=[token.pk]),
                             {"name": "laptop", "client": trader.pk, "expires_at_0": "", "expires_at_1": ""}))
    token.refresh_from_db()
    assert token.client == trader
    event = last_event("mcptoken.updated")
    assert event.payload["changes"] == {"client": {"from": "reader", "to": "trader"}}
    assert event.payload["prefix"] == token.prefix and "token_hash" not in str(event.payload)


@pytest.mark.parametrize("model", [McpToken, ApiToken])
def test_extending_a_tokens_expiry_is_recorded(admin_client, model):
    soon = timezone.now().replace(microsecond=0) + timedelta(days=1)
    later = soon + timedelta(days=365)
    if model is McpToken:
        client = mcp_client_create(actor=SYSTEM, name="desk")
        token, _ = mcp_token_create(actor=SYSTEM, client=client, name="t", expires_at=soon)
        holder = {"client": client.pk}
    else:
        token, _ = api_token_create(actor=SYSTEM, name="t", expires_at=soon)
        holder = {"owner": ""}
    day, time = split(later)
    url = reverse(f"admin:accounts_{model._meta.model_name}_change", args=[token.pk])
    posted(admin_client.post(url, {"name": "t", **holder, "expires_at_0": day, "expires_at_1": time}))
    token.refresh_from_db()
    assert token.expires_at == later
    event = last_event(f"{model._meta.model_name}.updated")
    assert event.payload["changes"] == {"expires_at": {"from": soon.isoformat().replace("+00:00", "Z"),
                                                       "to": later.isoformat().replace("+00:00", "Z")}}


def test_deactivating_an_mcp_client_is_recorded_and_deleting_it_is_refused(admin_client):
    client = mcp_client_create(actor=SYSTEM, name="claude-desktop")
    url = reverse("admin:accounts_mcpclient_change", args=[client.pk])
    posted(admin_client.post(url, {"name": "claude-desktop", "description": ""}))  # is_active unticked
    client.refresh_from_db()
    assert client.is_active is False
    event = last_event("mcp_client.deactivated")
    assert event.payload == {"name": "claude-desktop", "changes": {"is_active": {"from": True, "to": False}}}
    assert admin_client.post(reverse("admin:accounts_mcpclient_delete", args=[client.pk]), {"post": "yes"}).status_code == 403
    assert McpClient.objects.filter(pk=client.pk).exists()


def test_adding_an_mcp_client_is_recorded(admin_client):
    posted(admin_client.post(reverse("admin:accounts_mcpclient_add"), {"name": "ci-bot", "description": "CI", "is_active": "on"}))
    assert McpClient.objects.get(name="ci-bot").is_active
    assert last_event("mcp_client.created").payload == {"name": "ci-bot", "is_active": True}


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_making_a_user_staff_or_superuser_is_recorded(admin_client, flag):
    user = make_user("bob")
    posted(admin_client.post(reverse("admin:auth_user_change", args=[user.pk]), user_form(user, **{flag: True})))
    user.refresh_from_db()
    assert getattr(user, flag) is True
    event = last_event("user.updated")
    assert event.payload["user"] == "bob"
    assert event.payload["changes"] == {flag: {"from": False, "to": True}}


def test_deactivating_a_user_and_changing_groups_and_permissions_is_one_event(admin_client):
    user = make_user("carol")
    ops = Group.objects.create(name="operators")
    perm = Permission.objects.get(codename="change_tigeraccount")
    before = AuditEvent.objects.count()
    posted(admin_client.post(reverse("admin:auth_user_change", args=[user.pk]),
                             user_form(user, is_active=False, email="carol@example.com", groups=[ops.pk], user_permissions=[perm.pk])))
    user.refresh_from_db()
    assert not user.is_active and list(user.groups.all()) == [ops] and list(user.user_permissions.all()) == [perm]
    assert AuditEvent.objects.count() == before + 1
    event = last_event("user.updated")
    assert event.payload["changes"] == {
        "is_active": {"from": True, "to": False},
        "groups": {"from": [], "to": ["operators"]},
        "permissions": {"from": [], "to": ["accounts.change_tigeraccount"]},
    }
    assert "email" in event.payload["changed"] and "carol@example.com" not in str(event.payload)  # names only


def test_adding_a_user_and_changing_their_password_are_recorded_without_the_password(admin_client):
    posted(admin_client.post(reverse("admin:auth_user_add"), {"username": "dave", "usable_password": "true",
                                                              "password1": "Secret-pass-1234", "password2": "Secret-pass-1234"}))
    dave = User.objects.get(username="dave")
    created = last_event("user.created")
    assert created.payload["user"] == "dave" and created.payload["password_set"] is True
    posted(admin_client.post(reverse("admin:auth_user_password_change", args=[dave.pk]),
                             {"usable_password": "true", "password1": "Another-pass-5678", "password2": "Another-pass-5678"}))
    dave.refresh_from_db()
    assert dave.check_password("Another-pass-5678")
    assert last_event("user.password_changed").payload == {"user": "dave", "password_set": True}
    rows = str(list(AuditEvent.objects.values_list("payload", flat=True)))
    assert "Secret-pass" not in rows and "Another-pass" not in rows and "pbkdf2" not in rows


def test_deleting_a_user_records_what_goes_with_them(admin_client):
    account = make_account()
    user = make_user("erin")
    grant_set(actor=SYSTEM, account=account, scope=Scope.READ, user=user)
    posted(admin_client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"}))
    assert not User.objects.filter(username="erin").exists()
    event = last_event("user.deleted")
    assert event.payload["user"] == "erin"
    assert event.payload["grants"] == [f"erin → {account.account_number} (read)"]
    assert event.payload["api_clients"] == []  # the admin refuses to delete a user whose tokens would go too


def test_group_permission_change_is_recorded(admin_client):
    group = Group.objects.create(name="desk")
    member = make_user("frank")
    member.groups.add(group)
    perm = Permission.objects.get(codename="add_accessgrant")
    posted(admin_client.post(reverse("admin:auth_group_change", args=[group.pk]), {"name": "desk", "permissions": [perm.pk]}))
    event = last_event("group.updated")
    assert event.payload["changes"] == {"permissions": {"from": [], "to": ["accounts.add_accessgrant"]}}
    assert event.payload["members"] == ["frank"]


def test_moving_a_grant_to_another_holder_revokes_the_old_one(admin_client):
    account = make_account()
    reader = mcp_client_create(actor=SYSTEM, name="reader")
    trader = mcp_client_create(actor=SYSTEM, name="trader")
    grant = grant_set(actor=SYSTEM, account=account, scope=Scope.READ, mcp_client=reader)
    posted(admin_client.post(reverse("admin:accounts_accessgrant_change", args=[grant.pk]),
                             {"account": account.pk, "scope": "trade", "mcp_client": trader.pk}))
    assert list(AccessGrant.objects.filter(account=account).values_list("mcp_client__name", "scope")) == [("trader", "trade")]
    assert last_event("grant.revoked").payload == {"holder": "reader", "scope": "read"}
    assert last_event("grant.set").payload["holder"] == "trader"


def test_the_chain_stays_intact_through_admin_changes(admin_client, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.AUDIT_CHECKPOINT_PATH = tmp_path / "checkpoint.log"
    with django_capture_on_commit_callbacks(execute=True):
        user = make_user("gina")
        posted(admin_client.post(reverse("admin:auth_user_change", args=[user.pk]), user_form(user, is_staff=True)))
    assert audit_chain_verify().ok


# --- the command doors: Django's own user commands, and the demo set-up ----------------------------

def test_createsuperuser_command_is_recorded(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Cmd-pass-123456")
    call_command("createsuperuser", "--noinput", username="ops", email="ops@example.com", verbosity=0)
    event = AuditEvent.objects.get(event_type="user.created")
    assert event.door == "cli" and event.actor_label == "createsuperuser"
    assert event.payload["user"] == "ops" and event.payload["password_set"] is True
    assert event.payload["changes"]["is_superuser"] == {"from": None, "to": True}
    assert "Cmd-pass" not in str(event.payload)


def test_changepassword_command_is_recorded(monkeypatch):
    from django.contrib.auth.management.commands import changepassword
    from django.core.management import call_command

    make_user("ops")
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="Password: ": "New-pass-654321")
    call_command("changepassword", "ops", stdout=StringIO())
    assert User.objects.get(username="ops").check_password("New-pass-654321")
    event = AuditEvent.objects.get(event_type="user.password_changed")
    assert event.door == "cli" and event.payload == {"user": "ops", "password_set": True}


def test_demo_admin_is_recorded(tmp_path):
    from accounts.demo import demo_admin_ensure

    demo_admin_ensure(data_dir=tmp_path)
    created = AuditEvent.objects.get(event_type="user.created")
    assert created.payload["changes"]["is_superuser"] == {"from": None, "to": True}
    assert AuditEvent.objects.filter(event_type="user.password_changed", payload__user="admin").exists()
