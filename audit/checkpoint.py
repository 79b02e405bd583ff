"""The chain's tip, kept outside the database.

After a commit, one line `<UTC time> seq=<n> mac=<hex>` per audit event it wrote is appended to
settings.AUDIT_CHECKPOINT_PATH and logged (logger `tigermcp.audit.checkpoint`, so a log shipper keeps
a copy off the host). Deleting the tail of the chain together with its head row leaves a chain that
is consistent in itself; it is still behind its checkpoint, and verify_audit says so.
"""

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("tigermcp.audit.checkpoint")

_LINE = re.compile(r"\bseq=(\d+) mac=([0-9a-f]{64})\b")
# Lines are appended in commit order, which can differ from sequence order by the few transactions
# committing at the same moment: the highest sequence is always near the end.
_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    mac: str


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_PATH)


def checkpoint_append(*, seq: int, mac: str) -> None:
    """Called on commit. One short line in O_APPEND mode, so concurrent processes never interleave.

    The event is committed whatever happens here: a failed write is logged, not raised.
    """
    line = f"{timezone.now().isoformat()} seq={seq} mac={mac}\n"
    path = checkpoint_path()
    try:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the folder is made once, not looked for on every commit
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        logger.error("Could not append audit checkpoint seq=%s to %s (%s): a deleted tail after the last "
                     "checkpoint would go unnoticed. Fix AUDIT_CHECKPOINT_PATH or the folder's permissions.",
                     seq, path, exc)
        return
    logger.info("audit checkpoint seq=%s mac=%s", seq, mac)


def checkpoint_latest() -> Checkpoint | None:
    """The highest checkpoint written, or None when there is none."""
    recent = checkpoints_recent()
    return max(recent, key=lambda c: c.seq) if recent else None


def checkpoints_recent() -> list[Checkpoint]:
    """The checkpoints at the end of the file (the last 64 KiB, about 700 commits), in file order."""
    path = checkpoint_path()
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - _TAIL_BYTES))
            tail = fh.read().decode("ascii", errors="replace")
    except FileNotFoundError:
        return []
    return [Checkpoint(int(m.group(1)), m.group(2)) for m in _LINE.finditer(tail)]
