"""Each process's copy of the access check's rows (accounts.selectors._granted_account), and what
drops it: every committed change to an account, a grant or an MCP client bumps the "permissions" stamp
(core.stamps), through the model signals connected in accounts.apps and the bulk updates of
accounts.models. See the access check's notes in accounts.selectors."""

import time

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core import stamps
from core.hot_queries import remember

PERMISSIONS_STAMP = "permissions"
# A bound on a copy's life whatever the stamp says: should a bump ever be lost (Redis out of reach of
# the process that committed a change, while the database was not), the copies end within this.
COPY_SECONDS = 10.0
_granted_rows: dict[tuple, tuple] = {}


def permissions_changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """Call when an account, a grant or an MCP client changes: the copies of every process are
    dropped once the change commits (at once outside a transaction)."""
    # robust: the change is committed whatever happens here; a failed bump is logged, and COPY_SECONDS
    # bounds what it costs.
    transaction.on_commit(_bump_permissions, using=using, robust=True)


def _bump_permissions() -> None:
    stamps.bump(PERMISSIONS_STAMP)


def granted_rows(key: tuple, alias: str, sql: str, params: tuple) -> list[tuple]:
    connection = connections[alias]
    version = None
    if not any(pending[1] is _bump_permissions for pending in connection.run_on_commit):
        try:
            version = stamps.stamp(PERMISSIONS_STAMP)
        except Exception:  # noqa: BLE001 - the shared cache is down: ask the database, as before
            version = None
        if version is not None:
            kept = _granted_rows.get(key)
            if kept is not None and kept[0] == version and kept[1] == alias and kept[3] > time.monotonic():
                return kept[2]
    until = time.monotonic() + COPY_SECONDS
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if version is not None and not connection.in_atomic_block:
        remember(_granted_rows, key, (version, alias, rows, until))
    return rows
