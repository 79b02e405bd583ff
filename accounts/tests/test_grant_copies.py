"""The access check's per-process copy (accounts.grant_copies): a warm check asks no database, and
every committed change to a grant, an account or an MCP client counts at the next call, in this
thread, another thread and another process, with Redis and with the embedded default's stamp file."""

import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction

from accounts.actors import Actor
from accounts.models import AccessGrant, AccountStatus, McpClient, Scope, TigerAccount
from accounts.selectors import account_for_actor
from accounts.services import account_set_status, grant_revoke, grant_set, mcp_client_create, mcp_client_update
from accounts.tests.factories import make_account
from core.errors import NotFound, PermissionDenied

# Committed for real: the copy is only filled outside a transaction, as a server's calls are.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["redis", "file"])
def stamp_store(request, settings):
    """Both places a stamp lives: Redis (REDIS_URL) and the data folder's file (the embedded default)."""
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.fail("these tests need REDIS_URL (the test command sets it)")
    else:
        settings.REDIS_URL = ""
    return request.param


@pytest.fixture
def granted(system_actor):
    account = make_account(label="Copied", permission=Scope.TRADE)
    client = mcp_client_create(actor=system_actor, name="copy-client")
    grant = grant_set(actor=system_actor, account=account, scope=Scope.TRADE, mcp_client=client)
    return account, client, grant, Actor.for_mcp_client(client)


def in_thread(fn):
    """fn() on another thread with its own database connection, as another worker runs it."""
    errors = []

    def run():
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_a_warm_check_asks_no_database(stamp_store, granted, django_assert_num_queries):
    account, _, _, actor = granted
    assert account_for_actor(actor, account.account_number) == account
    with django_assert_num_queries(0):
        assert account_for_actor(actor, account.account_number) == account
        assert account_for_actor(actor, account.account_number).account_number == account.account_number


def test_a_grant_revoked_by_another_thread_counts_at_the_next_call(stamp_store, granted, system_actor):
    account, _, grant, actor = granted
    account_for_actor(actor, account.account_number)
    account_for_actor(actor, account.account_number)  # served from the copy
    in_thread(lambda: grant_revoke(actor=system_actor, grant=AccessGrant.objects.get(pk=grant.pk)))
    with pytest.raises(NotFound):
        account_for_actor(actor, account.account_number)


def test_a_grant_lowered_to_read_refuses_trading_at_once(stamp_store, granted, system_actor):
    account, client, _, actor = granted
    account_for_actor(actor, account.account_number, scope=Scope.TRADE)
    grant_set(actor=system_actor, account=account, scope=Scope.READ, mcp_client=client)
    with pytest.raises(PermissionDenied, match="grant is read-only"):
        account_for_actor(actor, account.account_number, scope=Scope.TRADE)
    assert account_for_actor(actor, account.account_number) == account


@pytest.mark.parametrize("change", ["account disabled", "client deactivated", "bulk: account disabled",
                                    "bulk: client deactivated", "bulk: grant lowered", "client deleted"])
def test_every_kind_of_change_counts_at_once(stamp_store, granted, system_actor, change):
    account, client, grant, actor = granted
    account_for_actor(actor, account.account_number, scope=Scope.TRADE)
    account_for_actor(actor, account.account_number, scope=Scope.TRADE)
    if change == "account disabled":
        account_set_status(actor=system_actor, accounts=[account], status=AccountStatus.DISABLED)
    elif change == "client deactivated":
        client.is_active = False
        mcp_client_update(actor=system_actor, client=client)
    elif change == "bulk: account disabled":
        TigerAccount.objects.filter(pk=account.pk).update(status=AccountStatus.DISABLED)
    elif change == "bulk: client deactivated":
        McpClient.objects.filter(pk=client.pk).update(is_active=False)
    elif change == "bulk: grant lowered":
        AccessGrant.objects.filter(pk=grant.pk).update(scope=Scope.READ)
    else:
        McpClient.objects.get(pk=client.pk).delete()
    with pytest.raises((NotFound, PermissionDenied)):
        account_for_actor(actor, account.account_number, scope=Scope.TRADE)


def test_an_uncommitted_change_counts_for_its_own_transaction_and_a_rollback_undoes_it(stamp_store, granted,
                                                                                      system_actor):
    account, client, grant, actor = granted
    other = make_account(label="Other")
    account_for_actor(actor, account.account_number)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        grant_revoke(actor=system_actor, grant=grant)
        grant_set(actor=system_actor, account=other, scope=Scope.READ, mcp_client=client)
        with pytest.raises(NotFound):
            account_for_actor(actor, account.account_number)
        assert account_for_actor(actor, other.account_number) == other
        # Another connection does not see the uncommitted change.
        in_thread(lambda: account_for_actor(actor, account.account_number))
        raise Undo
    # Rolled back: the grant is there again and the other account was never granted, whatever this
    # connection saw inside the transaction.
    assert account_for_actor(actor, account.account_number) == account
    with pytest.raises(NotFound):
        account_for_actor(actor, other.account_number)
    in_thread(lambda: account_for_actor(actor, account.account_number))


def test_a_grant_revoked_by_another_process_counts_at_the_next_call(stamp_store, granted):
    account, _, grant, actor = granted
    account_for_actor(actor, account.account_number)
    account_for_actor(actor, account.account_number)
    db = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tigermcp.settings", TIGERMCP_DATA_DIR=str(django_settings.DATA_DIR),
               REDIS_URL=django_settings.REDIS_URL,
               DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}")
    code = ("import django; django.setup()\n"
            "from accounts.actors import Actor\nfrom accounts.models import AccessGrant\n"
            "from accounts.services import grant_revoke\n"
            f"grant_revoke(actor=Actor.system('cli', 'test'), grant=AccessGrant.objects.get(pk={grant.pk}))\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not AccessGrant.objects.filter(pk=grant.pk).exists()
    with pytest.raises(NotFound):
        account_for_actor(actor, account.account_number)


def test_a_copy_ends_after_its_bounded_life_even_without_a_bump(stamp_store, granted, monkeypatch):
    """A change no bump announces (here raw SQL; in life, a bump that could not reach Redis) still
    counts once the copy's life (COPY_SECONDS) is over."""
    from accounts import grant_copies

    account, _, grant, actor = granted
    monkeypatch.setattr(grant_copies, "COPY_SECONDS", 0.0)
    account_for_actor(actor, account.account_number)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AccessGrant._meta.db_table} WHERE id = %s", [grant.pk])
    with pytest.raises(NotFound):
        account_for_actor(actor, account.account_number)
