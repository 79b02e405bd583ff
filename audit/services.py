import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from audit.checkpoint import checkpoint_append
from audit.keys import audit_mac_key
from audit.models import AuditEvent, AuditHead
from core.hot_queries import hot_insert, hot_rows
from core.redaction import redact

logger = logging.getLogger(__name__)


def audit_record(*, actor, event_type: str, account=None, payload: dict | None = None) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The head row is locked first (SELECT FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already
    holds the write lock), so concurrent writers queue here and each sees the previous writer's hash
    and MAC. The head then moves once, onto the new event: the only change its trigger allows. On
    PostgreSQL the event's INSERT moves it (trigger, audit 0005): one statement per event.

    A transaction's later events do not read the head again: it is locked until the transaction ends
    and at this process's last event (_head_held). Were that ever wrong, the head's guard would refuse
    the INSERT, as it refuses any event that does not link to the head.
    """
    # Round-trip through JSON so the hash is computed over exactly what the database returns.
    clean = json.loads(json.dumps(redact(payload or {}), cls=DjangoJSONEncoder))
    key = audit_mac_key()
    # No savepoint of its own: inside a caller's transaction the event stands or falls with the caller's
    # change (a failed write here fails the whole transaction instead of being rolled back alone and
    # caught), and a savepoint would cost two more statements per event.
    with transaction.atomic(savepoint=False):
        connection = transaction.get_connection()
        prev_seq, prev_hash, prev_mac = _head_held(connection) or _head_locked()
        event = AuditEvent(
            seq=prev_seq + 1,
            created_at=timezone.now(),
            actor_type=actor.kind,
            actor_id=actor.ref_id,
            actor_label=actor.label,
            door=actor.door,
            account=account,
            account_number=getattr(account, "account_number", "") or "",
            event_type=event_type,
            payload=clean,
            request_id=actor.request_id,
            prev_hash=prev_hash,
        )
        event.hash = event.compute_hash()
        event.mac = event.compute_mac(key, prev_mac)
        hot_insert(event)  # built once, not compiled by the ORM on every event (six per order)
        if connection.vendor != "postgresql":  # on PostgreSQL the INSERT's trigger moves the head
            _head_move(event)
        # After commit only: a checkpoint for an event that was rolled back would read as a deleted
        # tail. robust: the event is committed whatever happens to the file; a failed write is logged.
        seq, mac = event.seq, event.mac

        def checkpoint():
            checkpoint_append(seq=seq, mac=mac)

        transaction.on_commit(checkpoint, robust=True)
        connection.audit_head_held = (checkpoint, event.seq, event.hash, event.mac)
    logger.info("audit event #%s %s by %s (request %s)", event.seq, event_type, actor.label, event.request_id or "-")
    return event


def _head_held(connection) -> tuple[int, str, str] | None:
    """The head as this transaction's last event left it, while the transaction still holds it: that
    event's checkpoint callback is still pending. Commit and rollback empty the pending callbacks, and
    rolling back a savepoint removes those registered inside it (so also when it removed the event)."""
    held = getattr(connection, "audit_head_held", None)
    if held is None:
        return None
    marker = held[0]
    if not any(pending[1] is marker for pending in connection.run_on_commit):
        connection.audit_head_held = None
        return None
    return held[1:]


def audit_head_forget() -> None:
    """Read the head again at the next event: for a change made to it on this connection behind
    audit_record's back (only a superuser can: the tests' tampering)."""
    transaction.get_connection().audit_head_held = None


def _head_locked() -> tuple[int, str, str]:
    """The head (seq, hash, MAC), locked until the transaction ends. Every event reads it: compiled once
    (core.hot_queries)."""
    _alias, rows = hot_rows(("audit_head",), lambda: AuditHead.objects.select_for_update().filter(pk=1)
                            .values_list("seq", "hash", "mac"))
    if not rows:
        AuditHead.objects.get_or_create(pk=1)
        rows = [AuditHead.objects.select_for_update().filter(pk=1).values_list("seq", "hash", "mac").get()]
    return rows[0]


def _head_move(event: AuditEvent) -> None:
    """The head onto `event`: the one move its trigger allows. Written out rather than built by the
    ORM on every event, as the head's read is."""
    connection = transaction.get_connection()
    name = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {name(AuditHead._meta.db_table)} SET {name('seq')} = %s, {name('hash')} = %s, "
                       f"{name('mac')} = %s WHERE {name('id')} = %s", [event.seq, event.hash, event.mac, 1])
