import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from accounts.actors import Actor
from accounts.tests.factories import make_account
from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def write_events(n=5):
    actor = Actor.system("task", "tester")
    account = make_account()
    return [audit_record(actor=actor, account=account, event_type="test.event", payload={"i": i, "amount": "1.50"}) for i in range(n)]


def tamper(sql, params):
    """Bypass the append-only trigger the way only a database superuser could."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = DEFAULT")


def test_intact_chain_verifies():
    write_events()
    report = audit_chain_verify()
    assert report.ok, report.problem
    assert report.checked == AuditEvent.objects.count() >= 5
    call_command("verify_audit", stdout=open("/dev/null", "w"))


def test_events_link_to_previous_hash_and_record_actor():
    events = write_events(3)
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert events[0].door == "task" and events[0].actor_label == "tester"
    assert events[0].created_at.utcoffset().total_seconds() == 0


def test_edited_event_is_reported():
    events = write_events()
    tamper("UPDATE audit_auditevent SET payload = %s WHERE id = %s", ['{"i": 99, "amount": "1.50"}', events[2].pk])
    report = audit_chain_verify()
    assert not report.ok and report.seq == events[2].seq and "edited" in report.problem
    with pytest.raises(CommandError, match=f"event #{events[2].seq} was edited"):
        call_command("verify_audit")


def test_deleted_event_is_reported():
    events = write_events()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    report = audit_chain_verify()
    assert not report.ok and report.seq == events[2].seq and "deleted" in report.problem


def test_deleted_tail_is_reported():
    events = write_events()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    report = audit_chain_verify()
    assert not report.ok and "tail" in report.problem


def test_reordered_events_are_reported():
    events = write_events()
    a, b = events[1], events[2]
    # Swap the two rows' places in the sequence, keeping each row's own content and hash.
    tamper("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [a.pk])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    report = audit_chain_verify()
    assert not report.ok and report.seq == a.seq


def test_event_belongs_to_callers_transaction():
    actor = Actor.system("task")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            audit_record(actor=actor, event_type="rolled.back")
            raise RuntimeError
    assert not AuditEvent.objects.filter(event_type="rolled.back").exists()
    assert audit_chain_verify().ok


def test_payload_secrets_are_redacted():
    event = audit_record(actor=Actor.system("cli"), event_type="x", payload={"private_key": "abc123secret", "nested": {"license": "TBUS"}, "qty": "5"})
    event.refresh_from_db()
    assert event.payload == {"private_key": "[REDACTED]", "nested": {"license": "[REDACTED]"}, "qty": "5"}


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET event_type = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"])
def test_database_refuses_update_and_delete(statement):
    from django.db.utils import DatabaseError

    event = write_events(1)[0]
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, event_type="test.event").exists()
