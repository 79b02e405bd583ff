from dataclasses import dataclass

from django.apps import apps

from audit.checkpoint import Checkpoint, checkpoint_path, checkpoints_recent
from audit.keys import audit_mac_key
from audit.models import GENESIS_HASH, AuditEvent, AuditHead

# Rows that are never written without an audit event: if any exists, an empty chain was wiped.
AUDITED_MODELS = (("accounts", "TigerAccount"), ("trading", "Order"))


@dataclass
class ChainReport:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None
    unsigned: int = 0  # events written before the MAC existed, at the start of the chain
    checkpoint: Checkpoint | None = None


def audit_chain_verify() -> ChainReport:
    """Walk the chain in order and report the first edited, deleted, reordered or forged event, a
    chain that ends before its checkpoint, and an empty chain on a database that has been used."""
    # Read before the chain: a writer committing meanwhile can only put the chain ahead of it.
    recorded = checkpoints_recent()
    checkpoint = max(recorded, key=lambda c: c.seq) if recorded else None
    recorded_macs: dict[int, set[str]] = {}
    for c in recorded:
        recorded_macs.setdefault(c.seq, set()).add(c.mac)
    key = audit_mac_key()
    expected_seq = 1
    prev_hash = GENESIS_HASH
    prev_mac = ""
    last_id = None
    checked = unsigned = 0

    def broken(problem, seq):
        return ChainReport(False, checked, problem, seq, unsigned, checkpoint)

    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return broken(f"event #{expected_seq} is missing (deleted)", expected_seq)
        if event.prev_hash != prev_hash:
            return broken(f"event #{event.seq} does not follow #{event.seq - 1} (deleted or reordered)", event.seq)
        if event.compute_hash() != event.hash:
            return broken(f"event #{event.seq} was edited (its hash does not match its content)", event.seq)
        if last_id is not None and event.id < last_id:
            return broken(f"event #{event.seq} was reordered (stored before #{event.seq - 1})", event.seq)
        if event.mac:
            if event.compute_mac(key, prev_mac) != event.mac:
                return broken(f"event #{event.seq} has a wrong MAC: it was rewritten by someone who recomputed the "
                              f"hashes, or AUDIT_HMAC_KEY is not the key it was written with", event.seq)
        elif prev_mac:
            return broken(f"event #{event.seq} has no MAC but follows events that have one: it was written "
                          f"without the key", event.seq)
        else:
            unsigned += 1
        if recorded_macs.get(event.seq, {event.mac}) != {event.mac}:
            return broken(f"event #{event.seq} is not the one recorded in the checkpoint {checkpoint_path()} "
                          f"(rewritten)", event.seq)
        last_id = event.id
        prev_hash, prev_mac = event.hash, event.mac
        expected_seq += 1
        checked += 1
    last = expected_seq - 1
    if checkpoint is not None and checkpoint.seq > last:
        return broken(f"the chain ends at #{last} but the checkpoint {checkpoint_path()} records #{checkpoint.seq}: "
                      f"the events after #{last} were deleted", expected_seq)
    head = AuditHead.objects.filter(pk=1).first()
    if head is None and last:
        return broken(f"the chain's head row is missing (deleted) after #{last}", expected_seq)
    if head is not None and (head.seq != last or head.hash != prev_hash):
        return broken(f"the chain ends at #{last} but {head.seq} events were written (the tail was deleted)", expected_seq)
    if checkpoint is None and prev_mac:
        return broken(f"there is no checkpoint at {checkpoint_path()} although the chain has events with a MAC: "
                      f"the checkpoint file was deleted, or AUDIT_CHECKPOINT_PATH is not where the app writes it", None)
    if not last:
        used = [f"{label}.{model}" for label, model in AUDITED_MODELS if apps.get_model(label, model).objects.exists()]
        if used:
            return broken(f"the chain is empty but the database has {' and '.join(used)} rows, which are never written "
                          f"without an event: the events were deleted", 1)
    return ChainReport(True, checked, unsigned=unsigned, checkpoint=checkpoint)
