import pytest
from django.contrib.auth import get_user_model

from accounts.actors import Actor
from accounts.models import AccountStatus, McpClient, Scope
from accounts.selectors import NO_SUCH_ACCOUNT, account_for_actor, accounts_for_actor
from accounts.services import api_token_create, grant_revoke, grant_set
from accounts.tests.factories import make_account
from audit.models import AuditEvent
from core.errors import InvalidInput, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(system_actor):
    a = make_account(label="Alpha")
    b = make_account(label="Beta")
    ro = make_account(label="ReadOnly", permission=Scope.READ)
    user = get_user_model().objects.create_user("ann", password="pw-ann-123456")
    client = McpClient.objects.create(name="claude")
    token, _ = api_token_create(actor=system_actor, name="script")
    return {"a": a, "b": b, "ro": ro, "user": user, "client": client, "token": token}


@pytest.mark.parametrize("holder", ["user", "mcp_client", "api_token"])
def test_each_holder_sees_only_its_grants(world, system_actor, holder):
    obj = {"user": world["user"], "mcp_client": world["client"], "api_token": world["token"]}[holder]
    actor = {"user": lambda: Actor.for_user(obj, door="api"), "mcp_client": lambda: Actor.for_mcp_client(obj),
             "api_token": lambda: Actor.for_api_token(obj)}[holder]()
    assert list(accounts_for_actor(actor)) == []
    grant_set(actor=system_actor, account=world["a"], scope=Scope.READ, **{holder: obj})
    grant_set(actor=system_actor, account=world["b"], scope=Scope.TRADE, **{holder: obj})
    assert set(accounts_for_actor(actor)) == {world["a"], world["b"]}
    assert set(accounts_for_actor(actor, scope=Scope.TRADE)) == {world["b"]}
    with pytest.raises(PermissionDenied) as err:
        account_for_actor(actor, world["a"].account_number, scope=Scope.TRADE)
    assert "grant is read-only" in err.value.message and world["b"].account_number in err.value.message


def test_unknown_account_error_lists_usable_accounts(world, system_actor):
    actor = Actor.for_mcp_client(world["client"])
    grant_set(actor=system_actor, account=world["a"], scope=Scope.READ, mcp_client=world["client"])
    with pytest.raises(NotFound) as err:
        account_for_actor(actor, "NOPE")
    assert err.value.message == NO_SUCH_ACCOUNT.format(
        account="NOPE", verb="read", usable=world["a"].account_number)
    # An account that exists but is not granted looks exactly like one that does not exist.
    with pytest.raises(NotFound):
        account_for_actor(actor, world["b"].account_number)


def test_read_only_account_cannot_be_traded_even_with_trade_grant(world, system_actor):
    grant_set(actor=system_actor, account=world["ro"], scope=Scope.TRADE, mcp_client=world["client"])
    actor = Actor.for_mcp_client(world["client"])
    with pytest.raises(PermissionDenied, match="configured read-only"):
        account_for_actor(actor, world["ro"].account_number, scope=Scope.TRADE)


def test_disabled_accounts_disappear(world, system_actor):
    grant_set(actor=system_actor, account=world["a"], scope=Scope.TRADE, user=world["user"])
    world["a"].status = AccountStatus.DISABLED
    world["a"].save()
    assert list(accounts_for_actor(Actor.for_user(world["user"]))) == []


def test_read_only_deployment_trades_nothing(world, system_actor, settings):
    settings.TIGERMCP_READ_ONLY = True
    grant_set(actor=system_actor, account=world["a"], scope=Scope.TRADE, user=world["user"])
    assert list(accounts_for_actor(Actor.for_user(world["user"]), scope=Scope.TRADE)) == []
    with pytest.raises(PermissionDenied, match="deployment is read-only"):
        account_for_actor(Actor.for_user(world["user"]), world["a"].account_number, scope=Scope.TRADE)


def test_superuser_reads_all_but_trades_only_granted(world):
    boss = get_user_model().objects.create_superuser("boss", password="pw-boss-123456")
    actor = Actor.for_user(boss)
    assert set(accounts_for_actor(actor)) == {world["a"], world["b"], world["ro"]}
    assert list(accounts_for_actor(actor, scope=Scope.TRADE)) == []


def test_grants_are_audited_and_need_one_holder(world, system_actor):
    grant = grant_set(actor=system_actor, account=world["a"], scope=Scope.READ, user=world["user"])
    grant_set(actor=system_actor, account=world["a"], scope=Scope.TRADE, user=world["user"])
    grant.refresh_from_db()
    assert grant.scope == Scope.TRADE
    events = list(AuditEvent.objects.filter(event_type="grant.set", account=world["a"]).order_by("seq"))
    assert [e.payload["scope"] for e in events] == ["read", "trade"]
    assert events[1].payload["previous_scope"] == "read"
    grant_revoke(actor=system_actor, grant=grant)
    assert AuditEvent.objects.filter(event_type="grant.revoked").count() == 1
    with pytest.raises(InvalidInput, match="exactly one holder"):
        grant_set(actor=system_actor, account=world["a"], scope=Scope.READ, user=world["user"], mcp_client=world["client"])


@pytest.mark.parametrize("number", ["bad\x00number", "x" * 65, "", "drop table;"])
def test_malformed_account_number_is_refused_before_any_query(world, system_actor, number):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.selectors import BAD_ACCOUNT_NUMBER

    with CaptureQueriesContext(connection) as queries, pytest.raises(InvalidInput) as err:
        account_for_actor(system_actor, number)
    assert err.value.code == "bad_account_number"
    assert err.value.message.startswith(BAD_ACCOUNT_NUMBER.split("'")[0]) and world["a"].account_number in err.value.message
    assert "\x00" not in err.value.message
    assert all("bad" not in q["sql"] for q in queries.captured_queries)


def test_read_check_asks_the_database_on_every_call(world, system_actor):
    """account_for_actor(READ) re-runs a query compiled once per caller: one query per call, and a
    revoked grant, a disabled account or an edited label counts on the very next call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = Actor.for_mcp_client(world["client"])
    grant = grant_set(actor=system_actor, account=world["a"], scope=Scope.READ, mcp_client=world["client"])
    grant_set(actor=system_actor, account=world["b"], scope=Scope.READ, mcp_client=world["client"])
    number = world["a"].account_number
    assert account_for_actor(actor, number).label == "Alpha"
    with CaptureQueriesContext(connection) as queries:
        first = account_for_actor(actor, number)
    assert len(queries.captured_queries) == 1
    first.label = "changed by a caller"  # callers get copies
    assert account_for_actor(actor, number).label == "Alpha"

    world["a"].label = "Alpha 2"
    world["a"].save()
    assert account_for_actor(actor, number).label == "Alpha 2"

    grant_revoke(actor=system_actor, grant=grant)
    with pytest.raises(NotFound):
        account_for_actor(actor, number)
    assert account_for_actor(actor, world["b"].account_number) == world["b"]
    world["b"].status = AccountStatus.DISABLED
    world["b"].save()
    with pytest.raises(NotFound):
        account_for_actor(actor, world["b"].account_number)


def test_a_new_default_account_takes_the_flag_and_bumps_the_old_ones_version(world, system_actor):
    from accounts.services import account_save

    world["a"].is_default = True
    account_save(actor=system_actor, account=world["a"], changed=["is_default"])
    before = type(world["a"]).objects.get(pk=world["a"].pk).updated_at
    world["b"].is_default = True
    account_save(actor=system_actor, account=world["b"], changed=["is_default"])
    after = type(world["a"]).objects.get(pk=world["a"].pk)
    assert after.is_default is False and after.updated_at > before
    assert account_for_actor(system_actor, world["a"].account_number).is_default is False
