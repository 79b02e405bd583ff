"""The simulator's state on disk: one SQLite file, one row per developer, account and order.

Every change the simulator acknowledges is committed (WAL, ``synchronous=FULL``: the commit is on
disk when it returns) before the reply leaves; see ``Simulator.commit``. Only what changed is
written, so the cost of a commit does not grow with the history.

One process at a time may own a state folder: ``StateLock`` is an OS lock on a file beside the
state, held for the owner's life and released by the kernel however it ends (even SIGKILL).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from .exchange import Account, Changes, Developer, Exchange, Fill, Order, Position

logger = logging.getLogger(__name__)

STATE_DB = "tigersim_state.sqlite3"
LOCK_FILE = "tigersim.lock"
LEGACY_STATE_FILE = "tigersim_state.json"  # before 2026-11: the whole state, rewritten every ~0.5 s
LEGACY_FORMAT_VERSION = 1
SCHEMA_VERSION = 1

MSG_BUSY = ("The simulator state folder {path} is in use by another process (pid {pid}). "
            "Stop that process, or give this one another --state folder.")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS developers (tiger_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, account TEXT NOT NULL, data TEXT NOT NULL);
"""
_ORDER_DECIMALS = ("quantity", "limit_price", "aux_price", "filled", "filled_value", "commission",
                   "realized_pnl", "fill_cap", "trailing_percent", "trail_stop", "cash_amount")


class StateFolderBusy(RuntimeError):
    """Another process owns this state folder."""


# --- the owner lock ---------------------------------------------------------------------------

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class StateLock:
    """An exclusive OS lock on ``tigersim.lock`` in the state folder, never waited for.

    The kernel drops it when the process ends in any way, so a crashed owner never leaves the
    folder locked; the pid written into the file only names the holder in error messages."""

    def __init__(self, state_dir: str | os.PathLike):
        self.path = Path(state_dir) / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        with contextlib.suppress(OSError):
            return self.path.read_text().strip() or "unknown"
        return "unknown"

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        os.close(fd)


# --- encoding ---------------------------------------------------------------------------------


def _encode(value):
    if isinstance(value, Decimal):
        return str(value)  # strings keep every digit a float would lose
    raise TypeError(type(value))


def _dumps(obj) -> str:
    return json.dumps(obj, default=_encode, separators=(",", ":"), sort_keys=True)


def _dec_fields(obj: dict, names) -> dict:
    for name in names:
        if obj.get(name) is not None:
            obj[name] = Decimal(obj[name])
    return obj


def account_row(acct: Account) -> dict:
    """The account's header: everything but its orders, which are rows of their own."""
    return {"account": acct.account, "tiger_id": acct.tiger_id, "capability": acct.capability,
            "paper": acct.paper, "cash": acct.cash, "next_order_id": acct.next_order_id,
            "realized_pnl": acct.realized_pnl, "futures_cash": acct.futures_cash,
            "segment_transfers": acct.segment_transfers, "positions": {s: asdict(p) for s, p in acct.positions.items()}}


def order_row(order: Order) -> dict:
    return asdict(order)


def _account_from(row: dict) -> Account:
    positions = {s: Position(**_dec_fields(pos, ("quantity", "average_cost", "realized_pnl")))
                 for s, pos in row.pop("positions").items()}
    cash = {c: Decimal(v) for c, v in row.pop("cash").items()}
    realized = {c: Decimal(v) for c, v in row.pop("realized_pnl").items()}
    futures = {c: Decimal(v) for c, v in row.pop("futures_cash", {}).items()}  # absent in older rows
    transfers = [_dec_fields(t, ("amount",)) for t in row.pop("segment_transfers", [])]
    return Account(**row, cash=cash, positions=positions, realized_pnl=realized, futures_cash=futures,
                   segment_transfers=transfers)


def _order_from(row: dict) -> Order:
    fills = [Fill(**_dec_fields(f, ("quantity", "price", "commission"))) for f in row.pop("fills")]
    return Order(**_dec_fields(row, _ORDER_DECIMALS), fills=fills)


def load_legacy(exchange: Exchange, data: dict) -> None:
    """Fill an empty exchange from the old whole-state JSON (its ``exchange`` part)."""
    exchange.developers = {d["tiger_id"]: Developer(**d) for d in data.get("developers", [])}
    exchange.accounts = {}
    for a in data.get("accounts", []):
        orders = [_order_from(o) for o in a.pop("orders").values()]
        acct = _account_from(a)
        acct.orders = {o.id: o for o in orders}
        exchange.accounts[acct.account] = acct
    exchange.next_global_id = data.get("next_global_id", exchange.next_global_id)
    exchange.next_account_seq = data.get("next_account_seq", exchange.next_account_seq)


def read_developer(state_dir: str | os.PathLike, meta_key: str) -> dict | None:
    """A developer named by ``meta`` (e.g. the demo one) from a folder another process owns: the
    file opened read-only, which WAL lets any number of readers do beside its one writer."""
    path = Path(state_dir) / STATE_DB
    if not path.exists():
        return None
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (meta_key,)).fetchone()
        tiger_id = json.loads(row[0]) if row else None
        if not tiger_id:
            return None
        row = db.execute("SELECT data FROM developers WHERE tiger_id = ?", (tiger_id,)).fetchone()
    return json.loads(row[0]) if row else None


# --- the store --------------------------------------------------------------------------------


class StateStore:
    """The SQLite file. Its methods run under the exchange lock, so one connection serves all."""

    def __init__(self, state_dir: str | os.PathLike):
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / STATE_DB
        self.legacy_path = self.dir / LEGACY_STATE_FILE
        # Created 0600 before SQLite opens it (its -wal and -shm files copy these permissions): it
        # holds the private keys of simulated developers.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def is_empty(self) -> bool:
        return self._db.execute("SELECT count(*) FROM meta").fetchone()[0] == 0

    # -- reading ---------------------------------------------------------------------------

    def meta(self) -> dict:
        return {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM meta")}

    def load(self, exchange: Exchange) -> dict:
        """Fill ``exchange`` from the file; returns the simulator's own keys (``meta``)."""
        meta = self.meta()
        if meta.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unsupported simulator state schema {meta.get('schema')!r} in {self.path}")
        exchange.developers = {tid: Developer(**json.loads(data))
                               for tid, data in self._db.execute("SELECT tiger_id, data FROM developers")}
        exchange.accounts = {number: _account_from(json.loads(data))
                             for number, data in self._db.execute("SELECT account, data FROM accounts")}
        for account, data in self._db.execute("SELECT account, data FROM orders ORDER BY id"):
            order = _order_from(json.loads(data))
            exchange.accounts[account].orders[order.id] = order
        exchange.next_global_id = meta["next_global_id"]
        exchange.next_account_seq = meta["next_account_seq"]
        exchange.changes.clear()
        return meta

    def read_legacy(self) -> dict:
        with open(self.legacy_path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("format") != LEGACY_FORMAT_VERSION:
            raise ValueError(f"unsupported state format in {self.legacy_path}")
        return data

    # -- writing ---------------------------------------------------------------------------

    def write(self, exchange: Exchange, changes: Changes, meta: dict | None) -> None:
        """One transaction with the changed rows; durable when this returns."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if changes.developers:
                db.executemany("INSERT OR REPLACE INTO developers VALUES (?, ?)",
                               [(t, _dumps(asdict(exchange.developers[t]))) for t in changes.developers])
            if changes.accounts:
                db.executemany("INSERT OR REPLACE INTO accounts VALUES (?, ?)",
                               [(a, _dumps(account_row(exchange.accounts[a]))) for a in changes.accounts])
            if changes.orders:
                db.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?, ?)",
                               [(o.id, o.account, _dumps(order_row(o))) for o in changes.orders.values()])
            if meta is not None:
                counters = {"schema": SCHEMA_VERSION, "next_global_id": exchange.next_global_id,
                            "next_account_seq": exchange.next_account_seq, **meta}
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                               [(k, json.dumps(v)) for k, v in counters.items()])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def write_all(self, exchange: Exchange, meta: dict) -> None:
        """Every row: the first write of a new folder, or of a migrated legacy state."""
        changes = Changes()
        changes.developers.update(exchange.developers)
        changes.accounts.update(exchange.accounts)
        for acct in exchange.accounts.values():
            changes.orders.update(acct.orders)
        self.write(exchange, changes, meta)
