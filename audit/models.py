import hashlib
import hmac
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """Append-only and hash-chained: each row carries the hash of the one before it, and a MAC keyed
    with a secret the database does not hold (audit.keys), chained over the previous event's MAC.

    The hash alone shows a careless edit; the MAC shows an edit by someone who recomputed the hashes.
    Events written before the MAC existed have `mac` blank: they may only come first, and the first
    event with a MAC vouches for them (its hash covers theirs).

    Written only by audit.services.audit_record; on PostgreSQL triggers refuse UPDATE, DELETE and
    TRUNCATE. `account` has no database constraint so that no cascade can ever touch this table.
    """

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=20)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200)
    door = models.CharField(max_length=10, db_index=True)
    account = models.ForeignKey(
        "accounts.TigerAccount",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    account_number = models.CharField(max_length=64, blank=True, db_index=True)
    event_type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-seq"]

    def __str__(self):
        return f"#{self.seq} {self.event_type}"

    def compute_hash(self) -> str:
        body = {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(),
            "actor_type": self.actor_type,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "door": self.door,
            "account_id": self.account_id,
            "account_number": self.account_number,
            "event_type": self.event_type,
            "payload": self.payload,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def compute_mac(self, key: bytes, prev_mac: str) -> str:
        """HMAC-SHA256 over this event's hash (which covers its content, number and predecessor's
        hash) and the previous event's MAC: a link nobody without the key can forge or re-link."""
        return hmac.new(key, f"{prev_mac}:{self.hash}".encode(), hashlib.sha256).hexdigest()


class AuditHead(models.Model):
    """The chain's tip: one row, locked by every writer, so events are numbered without gaps or
    forks under concurrency. On PostgreSQL a trigger allows it one move only: forward by one, onto
    the event just written; it cannot be deleted or truncated. A deleted tail together with this row
    is caught by the checkpoint outside the database (audit.checkpoint)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    mac = models.CharField(max_length=64, blank=True, default="")
