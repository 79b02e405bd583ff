import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.models import AuditEvent, AuditHead
from audit.redaction import redact


def audit_record(*, actor, event_type: str, account=None, payload: dict | None = None) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The UPDATE of the head row comes first: it takes the row lock on PostgreSQL and the write lock
    on SQLite, so concurrent writers queue here and each sees the previous writer's hash.
    """
    # Round-trip through JSON so the hash is computed over exactly what the database returns.
    clean = json.loads(json.dumps(redact(payload or {}), cls=DjangoJSONEncoder))
    with transaction.atomic():
        if not AuditHead.objects.filter(pk=1).update(seq=F("seq") + 1):
            AuditHead.objects.get_or_create(pk=1)
            AuditHead.objects.filter(pk=1).update(seq=F("seq") + 1)
        head = AuditHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.seq,
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
        event.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(hash=event.hash)
    return event
