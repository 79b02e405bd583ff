import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from audit.checkpoint import checkpoint_append
from audit.keys import audit_mac_key
from audit.models import AuditEvent, AuditHead
from core.redaction import redact

logger = logging.getLogger(__name__)


def audit_record(*, actor, event_type: str, account=None, payload: dict | None = None) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The head row is locked first (SELECT FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already
    holds the write lock), so concurrent writers queue here and each sees the previous writer's hash
    and MAC. The head then moves once, onto the new event: the only change its trigger allows.
    """
    # Round-trip through JSON so the hash is computed over exactly what the database returns.
    clean = json.loads(json.dumps(redact(payload or {}), cls=DjangoJSONEncoder))
    key = audit_mac_key()
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1)
            head = AuditHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
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
            prev_hash=head.hash,
        )
        event.hash = event.compute_hash()
        event.mac = event.compute_mac(key, head.mac)
        event.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash, mac=event.mac)
        # After commit only: a checkpoint for an event that was rolled back would read as a deleted
        # tail. robust: the event is committed whatever happens to the file; a failed write is logged.
        seq, mac = event.seq, event.mac
        transaction.on_commit(lambda: checkpoint_append(seq=seq, mac=mac), robust=True)
    logger.info("audit event #%s %s by %s (request %s)", event.seq, event_type, actor.label, event.request_id or "-")
    return event
