from dataclasses import dataclass

from audit.models import GENESIS_HASH, AuditEvent, AuditHead


@dataclass
class ChainReport:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def audit_chain_verify() -> ChainReport:
    """Walk the chain in order and report the first edited, deleted or reordered event."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    last_id = None
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(False, checked, f"event #{expected_seq} is missing (deleted)", expected_seq)
        if event.prev_hash != prev_hash:
            return ChainReport(False, checked, f"event #{event.seq} does not follow #{event.seq - 1} (deleted or reordered)", event.seq)
        if event.compute_hash() != event.hash:
            return ChainReport(False, checked, f"event #{event.seq} was edited (its hash does not match its content)", event.seq)
        if last_id is not None and event.id < last_id:
            return ChainReport(False, checked, f"event #{event.seq} was reordered (stored before #{event.seq - 1})", event.seq)
        last_id = event.id
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return ChainReport(False, checked, f"the chain ends at #{expected_seq - 1} but {head.seq} events were written (the tail was deleted)", expected_seq)
    return ChainReport(True, checked)
