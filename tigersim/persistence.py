"""Saving and loading the simulator's state as one JSON file, replaced atomically."""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from .exchange import Account, Developer, Exchange, Fill, Order, Position

logger = logging.getLogger(__name__)
STATE_FILE = "tigersim_state.json"
FORMAT_VERSION = 1


def _dec_fields(obj: dict, names) -> dict:
    for name in names:
        if obj.get(name) is not None:
            obj[name] = Decimal(obj[name])
    return obj


def _encode(value):
    if isinstance(value, Decimal):
        return str(value)  # strings keep every digit a float would lose
    raise TypeError(type(value))


def dump_exchange(exchange: Exchange) -> dict:
    with exchange.lock:
        return {
            "developers": [asdict(d) for d in exchange.developers.values()],
            "accounts": [asdict(a) for a in exchange.accounts.values()],
            "next_global_id": exchange.next_global_id,
            "next_account_seq": exchange.next_account_seq,
        }


def load_exchange(exchange: Exchange, data: dict) -> None:
    with exchange.lock:
        exchange.developers = {d["tiger_id"]: Developer(**d) for d in data.get("developers", [])}
        exchange.accounts = {}
        for a in data.get("accounts", []):
            positions = {s: Position(**_dec_fields(pos, ("quantity", "average_cost", "realized_pnl")))
                         for s, pos in a.pop("positions").items()}
            orders = {}
            for o in a.pop("orders").values():
                fills = [Fill(**_dec_fields(f, ("quantity", "price", "commission"))) for f in o.pop("fills")]
                _dec_fields(o, ("quantity", "limit_price", "aux_price", "filled", "filled_value", "commission",
                                "realized_pnl", "fill_cap"))
                order = Order(**o, fills=fills)
                orders[order.id] = order
            cash = {c: Decimal(v) for c, v in a.pop("cash").items()}
            realized = {c: Decimal(v) for c, v in a.pop("realized_pnl").items()}
            exchange.accounts[a["account"]] = Account(**a, cash=cash, positions=positions, orders=orders,
                                                      realized_pnl=realized)
        exchange.next_global_id = data.get("next_global_id", exchange.next_global_id)
        exchange.next_account_seq = data.get("next_account_seq", exchange.next_account_seq)


class StateStore:
    """Writes the state when it changed, from a background flusher or on demand."""

    def __init__(self, state_dir: str | os.PathLike):
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / STATE_FILE
        self._write_lock = threading.Lock()

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict:
        with open(self.path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported state format in {self.path}")
        return data

    def write(self, data: dict) -> None:
        data = dict(data, format=FORMAT_VERSION)
        with self._write_lock:
            fd, tmp = tempfile.mkstemp(prefix=".tigersim_state.", dir=self.dir)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, default=_encode, indent=1, sort_keys=True)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o600)  # it holds private keys of simulated developers
                os.replace(tmp, self.path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
