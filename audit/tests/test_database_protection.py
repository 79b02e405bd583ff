"""PostgreSQL: what the database itself refuses, whoever asks (issue: a wiped chain read as intact)."""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accounts.actors import Actor
from accounts.tests.factories import make_account
from audit.checks import app_runs_as_app_role
from audit.dbroles import app_role_sync
from audit.models import AuditEvent, AuditHead
from audit.services import audit_record

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

APP_ROLE = "tigermcp_app"


@pytest.fixture
def events(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account = make_account()
    with django_capture_on_commit_callbacks(execute=True):
        return [audit_record(actor=Actor.system("cli"), account=account, event_type="test.event") for _ in range(3)]


def refused(sql, params=(), match="append-only|only moves forward|permission denied"):
    with pytest.raises(DatabaseError, match=match):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)


def run(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def privileges(role, table):
    kinds = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
    return {k for k in kinds if run("SELECT has_table_privilege(%s, %s, %s)", [role, table, k])[0][0]}


@pytest.mark.parametrize("table", ["audit_auditevent", "audit_audithead"])
def test_truncate_is_refused_even_to_the_tables_owner(events, table):
    owner = f"tigermcp_test_owner_{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        run(f"CREATE ROLE {owner} NOLOGIN")
        run(f"ALTER TABLE {table} OWNER TO {owner}")
        run(f"SET LOCAL ROLE {owner}")
        refused(f"TRUNCATE {table}", match=f"{table} is append-only: TRUNCATE refused")
        run("RESET ROLE")
        transaction.set_rollback(True)
    assert AuditEvent.objects.count() == 4 and AuditHead.objects.get().seq == 4


def test_head_row_only_moves_forward_onto_the_new_event(events):
    last = events[-1]
    refused("DELETE FROM audit_audithead")
    refused("UPDATE audit_audithead SET seq = seq + 1")  # no event under it
    refused("UPDATE audit_audithead SET seq = seq - 1, hash = %s", [events[-2].hash])  # backwards
    refused("UPDATE audit_audithead SET hash = %s", ["f" * 64])
    refused("INSERT INTO audit_audithead (id, seq, hash, mac) VALUES (2, 0, %s, '')", ["0" * 64])
    head = AuditHead.objects.get()
    assert (head.seq, head.hash, head.mac) == (last.seq, last.hash, last.mac)
    audit_record(actor=Actor.system("cli"), event_type="still.works")
    assert AuditHead.objects.get().seq == last.seq + 1


def test_migrate_created_the_app_role_append_only_on_the_audit_tables():
    (superuser, login), = run("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", [APP_ROLE])
    assert not superuser and not login
    assert privileges(APP_ROLE, "audit_auditevent") == {"SELECT", "INSERT"}
    assert privileges(APP_ROLE, "audit_audithead") == {"SELECT", "INSERT", "UPDATE"}
    assert privileges(APP_ROLE, "accounts_tigeraccount") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert privileges(APP_ROLE, "trading_order") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert not run("SELECT pg_has_role(%s, c.relowner, 'MEMBER') FROM pg_class c WHERE c.oid = 'audit_auditevent'::regclass",
                   [APP_ROLE])[0][0]


def test_app_role_writes_the_chain_but_cannot_wipe_it(events):
    with transaction.atomic():
        run(f"SET LOCAL ROLE {APP_ROLE}")
        account = make_account()
        event = audit_record(actor=Actor.system("cli"), account=account, event_type="as.app.role")
        for statement in ("TRUNCATE audit_auditevent", "TRUNCATE audit_audithead", "DELETE FROM audit_auditevent",
                          "DELETE FROM audit_audithead", "UPDATE audit_auditevent SET payload = '{}'"):
            refused(statement)
        refused("UPDATE audit_audithead SET seq = 0")  # it may move the head, but only onto a new event
        assert AuditHead.objects.get().seq == event.seq == events[-1].seq + 2  # the account's event, then this one
        transaction.set_rollback(True)


def test_truncating_both_tables_as_a_superuser_is_reported(events):
    # What a superuser (who passes every trigger) can still do; the checkpoint outside the database shows it.
    run("TRUNCATE audit_auditevent, audit_audithead")
    assert not AuditEvent.objects.exists()
    with pytest.raises(CommandError, match=f"the chain ends at #0 but the checkpoint .* records #{events[-1].seq}"):
        call_command("verify_audit", stdout=StringIO())


def test_app_role_sync_creates_a_missing_role(settings):
    role = f"tigermcp_test_app_{uuid.uuid4().hex[:8]}"
    settings.DATABASE_APP_ROLE = role
    with transaction.atomic():
        result = app_role_sync(connection)
        assert result.ok and "created" in result.message
        assert privileges(role, "audit_auditevent") == {"SELECT", "INSERT"}
        assert privileges(role, "accounts_accessgrant") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
        transaction.set_rollback(True)


def test_app_role_sync_explains_what_to_do_when_it_cannot_create_the_role(settings):
    settings.DATABASE_APP_ROLE = f"tigermcp_test_missing_{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        run(f"SET LOCAL ROLE {APP_ROLE}")
        result = app_role_sync(connection)
        transaction.set_rollback(True)
    assert not result.ok and f"CREATE ROLE {settings.DATABASE_APP_ROLE} NOLOGIN" in result.message


def test_check_warns_when_production_runs_as_superuser_or_owner(settings):
    settings.PRODUCTION = True
    assert [w.id for w in app_runs_as_app_role(databases=["default"])] == ["audit.W001"]
    owner = f"tigermcp_test_owner_{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        run(f"CREATE ROLE {owner} NOLOGIN")
        run(f"ALTER TABLE audit_auditevent OWNER TO {owner}")
        run(f"SET LOCAL ROLE {owner}")
        assert [w.id for w in app_runs_as_app_role(databases=["default"])] == ["audit.W002"]
        run(f"SET LOCAL ROLE {APP_ROLE}")
        assert app_runs_as_app_role(databases=["default"]) == []
        transaction.set_rollback(True)
    settings.PRODUCTION = False
    assert app_runs_as_app_role(databases=["default"]) == []


def test_an_event_written_beside_the_chain_is_refused(events):
    # The INSERT moves the head onto the event (audit 0005), and the head's guard refuses an event that
    # does not link to it: one that skips a number, or one that names another predecessor.
    last = events[-1]
    for seq, prev_hash in ((last.seq + 2, last.hash), (last.seq + 1, events[-2].hash)):
        forged = AuditEvent(seq=seq, created_at=last.created_at, actor_type="system", actor_label="x", door="cli",
                            event_type="forged", payload={}, prev_hash=prev_hash)
        forged.hash = forged.compute_hash()
        with pytest.raises(DatabaseError, match="only moves forward"), transaction.atomic():
            forged.save(force_insert=True)
    assert AuditEvent.objects.count() == len(events) + 1  # the account's event and the three
    head = AuditHead.objects.get()
    assert (head.seq, head.hash, head.mac) == (last.seq, last.hash, last.mac)


def test_events_of_one_transaction_chain_around_a_rolled_back_savepoint(django_capture_on_commit_callbacks):
    # Later events of a transaction reuse the head it holds; an event rolled back with its savepoint
    # is not reused.
    actor = Actor.system("cli")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = audit_record(actor=actor, event_type="kept.first")
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            audit_record(actor=actor, event_type="rolled.back")
            1 / 0
        last = audit_record(actor=actor, event_type="kept.last")
    assert (last.seq, last.prev_hash) == (first.seq + 1, first.hash)
    assert list(AuditEvent.objects.order_by("seq").values_list("event_type", flat=True)) == ["kept.first", "kept.last"]
    head = AuditHead.objects.get()
    assert (head.seq, head.hash, head.mac) == (last.seq, last.hash, last.mac)
