import json
import logging
import os
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.tests.factories import make_account
from audit.checkpoint import checkpoint_latest
from audit.keys import audit_mac_key
from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import audit_head_forget, audit_record
from core.config import embedded_audit_hmac_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def write_events(django_capture_on_commit_callbacks):
    """Events committed as the app commits them: the checkpoint is appended after each commit."""

    def write(n=5, account=None):
        actor = Actor.system("task", "tester")
        with django_capture_on_commit_callbacks(execute=True):
            account = account or make_account()
        events = []
        for i in range(n):
            with django_capture_on_commit_callbacks(execute=True):
                events.append(audit_record(actor=actor, account=account, event_type="test.event",
                                           payload={"i": i, "amount": "1.50"}))
        return events

    return write


def tamper(sql, params=()):
    """Bypass the audit triggers the way only a database superuser could."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = DEFAULT")
    # Another session's edit would wait for the head's lock and come after the writer's transaction;
    # here the test's one transaction holds both, so the writer is told the head changed under it.
    audit_head_forget()


def rewrite_from(seq, *, payload):
    """An attacker with the database but not the MAC key: edit event #seq, then recompute every hash
    after it and the head, so that the hash chain is consistent again."""
    events = list(AuditEvent.objects.filter(seq__gte=seq).order_by("seq"))
    prev_hash = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    events[0].payload = payload
    for event in events:
        event.prev_hash = prev_hash
        event.hash = event.compute_hash()
        tamper("UPDATE audit_auditevent SET payload = %s, prev_hash = %s, hash = %s WHERE id = %s",
               [json.dumps(event.payload), event.prev_hash,
                f"{event.pk:064d}" if event is not events[-1] else event.hash, event.pk])
        prev_hash = event.hash
    for event in events[:-1]:  # hashes are unique: the placeholders above let them move one by one
        tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", [event.hash, event.pk])
    tamper("UPDATE audit_audithead SET hash = %s", [prev_hash])


def verify_output():
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_intact_chain_verifies(write_events):
    write_events()
    report = audit_chain_verify()
    assert report.ok, report.problem
    assert report.checked == AuditEvent.objects.count() >= 5
    assert report.checkpoint.seq == AuditEvent.objects.latest("seq").seq
    assert f"{report.checked} events verified (checkpoint #{report.checked} matches)" in verify_output()


def test_events_link_to_previous_hash_and_mac_and_record_actor(write_events):
    events = write_events(3)
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert events[2].mac == events[2].compute_mac(audit_mac_key(), events[1].mac)
    assert events[0].door == "task" and events[0].actor_label == "tester"
    assert events[0].created_at.utcoffset().total_seconds() == 0


def test_edited_event_is_reported(write_events):
    events = write_events()
    tamper("UPDATE audit_auditevent SET payload = %s WHERE id = %s", ['{"i": 99, "amount": "1.50"}', events[2].pk])
    report = audit_chain_verify()
    assert not report.ok and report.seq == events[2].seq and "edited" in report.problem
    with pytest.raises(CommandError, match=f"event #{events[2].seq} was edited"):
        call_command("verify_audit")


def test_edit_with_recomputed_hashes_is_caught_by_the_mac(write_events):
    events = write_events()
    rewrite_from(events[2].seq, payload={"i": 99, "amount": "1000000.00"})
    report = audit_chain_verify()
    assert not report.ok and report.seq == events[2].seq and "wrong MAC" in report.problem


def test_event_without_mac_after_signed_ones_is_reported(write_events):
    events = write_events()
    last = events[-1]
    forged = AuditEvent(seq=last.seq + 1, created_at=timezone.now(), actor_type="system", actor_label="x", door="cli",
                        event_type="forged", payload={}, prev_hash=last.hash)
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)
    tamper("UPDATE audit_audithead SET seq = %s, hash = %s, mac = ''", [forged.seq, forged.hash])
    report = audit_chain_verify()
    assert not report.ok and report.seq == forged.seq and "no MAC" in report.problem


def test_deleted_event_is_reported(write_events):
    events = write_events()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    report = audit_chain_verify()
    assert not report.ok and report.seq == events[2].seq and "deleted" in report.problem


def test_deleted_tail_is_reported(write_events):
    events = write_events()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    report = audit_chain_verify()
    assert not report.ok and "tail" in report.problem


def test_deleted_tail_and_head_are_reported_against_the_checkpoint(write_events):
    events = write_events()
    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [events[-2].seq])
    tamper("DELETE FROM audit_audithead")
    report = audit_chain_verify()
    assert not report.ok and f"records #{events[-1].seq}" in report.problem
    with pytest.raises(CommandError, match=f"the events after #{events[-3].seq} were deleted"):
        call_command("verify_audit")


def test_everything_deleted_is_reported_against_the_checkpoint(write_events):
    events = write_events()
    tamper("DELETE FROM audit_auditevent")
    tamper("DELETE FROM audit_audithead")
    report = audit_chain_verify()
    assert not report.ok and report.checked == 0 and f"records #{events[-1].seq}" in report.problem


def test_a_chain_restarted_after_a_wipe_is_reported(write_events):
    old = write_events()
    tamper("DELETE FROM audit_auditevent")
    tamper("DELETE FROM audit_audithead")
    new = write_events(len(old) + 2)  # the chain starts again at #1 and overtakes the old numbers
    assert new[0].seq == 2  # #1 is the new account's event
    report = audit_chain_verify()
    assert not report.ok and report.seq == 1 and "not the one recorded in the checkpoint" in report.problem


def test_empty_chain_on_a_used_database_is_broken_even_without_the_checkpoint(write_events, audit_checkpoint):
    write_events()
    tamper("DELETE FROM audit_auditevent")
    tamper("DELETE FROM audit_audithead")
    os.unlink(audit_checkpoint)
    with pytest.raises(CommandError, match="chain is empty but the database has accounts.TigerAccount rows"):
        call_command("verify_audit")


def test_empty_chain_on_an_unused_database_is_intact():
    assert "Audit chain intact: 0 events verified." in verify_output()


def test_missing_checkpoint_is_reported(write_events, audit_checkpoint):
    write_events()
    os.unlink(audit_checkpoint)
    report = audit_chain_verify()
    assert not report.ok and "no checkpoint" in report.problem


def test_checkpoint_that_disagrees_with_the_chain_is_reported(write_events, audit_checkpoint):
    events = write_events()
    with open(audit_checkpoint, "a") as fh:
        fh.write(f"2026-11-24T00:00:00+00:00 seq={events[-1].seq} mac={'a' * 64}\n")
    report = audit_chain_verify()
    assert not report.ok and report.seq == events[-1].seq and "checkpoint" in report.problem


def test_wrong_key_is_reported(write_events, monkeypatch):
    write_events()
    monkeypatch.setenv("AUDIT_HMAC_KEY", "another-key-of-at-least-32-characters!!")
    report = audit_chain_verify()
    assert not report.ok and report.seq == 1 and "AUDIT_HMAC_KEY" in report.problem


def test_events_from_before_the_mac_are_accepted_first_and_vouched_for(write_events):
    # An install upgraded from before the MAC: its events have none, and neither has its head.
    prev_hash = "0" * 64
    for seq in (1, 2, 3):
        event = AuditEvent(seq=seq, created_at=timezone.now(), actor_type="system", actor_label="old", door="cli",
                           event_type="legacy", payload={"n": seq}, prev_hash=prev_hash)
        event.hash = prev_hash = event.compute_hash()
        event.save(force_insert=True)
    tamper("INSERT INTO audit_audithead (id, seq, hash, mac) VALUES (1, 3, %s, '')", [prev_hash])
    assert "all predate the MAC" in verify_output()

    write_events(2)
    report = audit_chain_verify()
    assert report.ok and report.unsigned == 3 and report.checked > 3
    assert "the first 3 predate the MAC" in verify_output()

    # The first event with a MAC covers the ones before it: rewriting one of them is caught.
    rewrite_from(2, payload={"n": 200})
    report = audit_chain_verify()
    assert not report.ok and report.seq == 4 and "wrong MAC" in report.problem


def test_reordered_events_are_reported(write_events):
    events = write_events()
    a, b = events[1], events[2]
    # Swap the two rows' places in the sequence, keeping each row's own content and hash.
    tamper("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [a.pk])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    report = audit_chain_verify()
    assert not report.ok and report.seq == a.seq


def test_event_belongs_to_callers_transaction(django_capture_on_commit_callbacks, audit_checkpoint):
    actor = Actor.system("task")
    with pytest.raises(RuntimeError):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            audit_record(actor=actor, event_type="rolled.back")
            raise RuntimeError
    assert not AuditEvent.objects.filter(event_type="rolled.back").exists()
    assert not audit_checkpoint.exists()  # no checkpoint for an event that never was
    assert audit_chain_verify().ok


def test_checkpoint_write_failure_is_logged_and_the_event_kept(settings, tmp_path, caplog, django_capture_on_commit_callbacks):
    (tmp_path / "not-a-folder").write_text("")
    settings.AUDIT_CHECKPOINT_PATH = tmp_path / "not-a-folder" / "checkpoint.log"
    with django_capture_on_commit_callbacks(execute=True):
        event = audit_record(actor=Actor.system("cli"), event_type="kept")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert f"Could not append audit checkpoint seq={event.seq}" in caplog.text


def test_payload_secrets_are_redacted():
    event = audit_record(actor=Actor.system("cli"), event_type="x", payload={"private_key": "abc123secret", "nested": {"license": "TBUS"}, "qty": "5"})
    event.refresh_from_db()
    assert event.payload == {"private_key": "[REDACTED]", "nested": {"license": "[REDACTED]"}, "qty": "5"}


def test_mac_key_is_no_setting_and_never_printed(write_events, caplog):
    caplog.set_level(logging.DEBUG)
    write_events(1)
    key = audit_mac_key().decode()
    assert not hasattr(settings, "AUDIT_HMAC_KEY")
    out = StringIO()
    call_command("diffsettings", "--all", stdout=out)
    assert key not in out.getvalue()
    assert key not in caplog.text and checkpoint_latest().mac not in key


def test_embedded_key_is_generated_once_and_private(tmp_path, caplog):
    key = embedded_audit_hmac_key(tmp_path)
    assert len(key) == 64 and "Generated a new audit MAC key" in caplog.text
    assert embedded_audit_hmac_key(tmp_path) == key
    assert oct((tmp_path / "audit_hmac.key").stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["audit_hmac.key"]


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET event_type = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"])
def test_database_refuses_update_and_delete(statement, write_events):
    from django.db.utils import DatabaseError

    event = write_events(1)[0]
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, event_type="test.event").exists()
