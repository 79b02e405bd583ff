"""The simulator's state is durable: what it acknowledged survives SIGKILL, ids are never reused, and
one process at a time owns a state folder."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pytest
from tigeropen.common.exceptions import ApiException
from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import limit_order, market_order
from tigeropen.tiger_open_config import TigerOpenClientConfig
from tigeropen.trade.trade_client import TradeClient

from tigermcp.testing import free_port
from tigersim.clock import SimClock
from tigersim.exchange import Exchange
from tigersim.persistence import (LEGACY_STATE_FILE, STATE_DB, StateFolderBusy, StateStore, account_row,
                                  order_row)
from tigersim.prices import PriceModel
from tigersim.properties import PROPS_FILE
from tigersim.protocol import CODE_SERVER_ERROR
from tigersim.server import DEMO_CASH, Simulator

from .conftest import FIXTURES, US_SESSION, raw_call

ROOT = Path(__file__).resolve().parents[2]


def _state(exchange: Exchange) -> dict:
    return {
        "developers": {t: asdict(d) for t, d in exchange.developers.items()},
        "accounts": {a: account_row(acct) for a, acct in exchange.accounts.items()},
        "orders": {o.id: order_row(o) for acct in exchange.accounts.values() for o in acct.orders.values()},
        "counters": (exchange.next_global_id, exchange.next_account_seq),
    }


def _on_disk(folder) -> dict:
    """What a restart would load, read while the simulator still runs (the store takes no lock)."""
    exchange = Exchange(PriceModel(42), SimClock(US_SESSION, frozen=True))
    store = StateStore(folder)
    try:
        store.load(exchange)
    finally:
        store.close()
    return _state(exchange)


def test_every_change_is_on_disk_when_the_reply_is_sent(tmp_path):
    clock = SimClock(US_SESSION, frozen=True)
    sim = Simulator(state_dir=tmp_path, seed=42, clock=clock, match_interval=None).start()
    try:
        demo = sim.ensure_demo()
        trade = TradeClient(sim.client_config(demo))
        aapl = stock_contract("AAPL", "USD")
        trade.place_order(market_order(demo.account, aapl, "BUY", 10))  # fills at once
        resting = limit_order(demo.account, aapl, "BUY", 5, 1.0)
        trade.place_order(resting)
        trade.modify_order(resting, quantity=6, limit_price=1.5)
        doomed = limit_order(demo.account, aapl, "SELL", 2, 9999.0)
        trade.place_order(doomed)
        trade.cancel_order(id=doomed.id)
        raw_call(trade, "order_no", account=demo.account)  # an order id handed out, no order
        sim.faults.inject("place_order", "partial_fill", quantity=3)
        trade.place_order(market_order(demo.account, aapl, "SELL", 8))
        sim.deposit(demo.accounts[1], "USD", Decimal("12.34"))
        assert _on_disk(tmp_path) == _state(sim.exchange)
        # Fills made by a matching pass with no request in flight: the next cancel completes.
        clock.advance(60)
        sim.match()
        assert _on_disk(tmp_path) == _state(sim.exchange)
    finally:
        sim.stop()
    assert oct(os.stat(tmp_path / STATE_DB).st_mode & 0o777) == "0o600"


def test_the_old_json_state_is_migrated_once(tmp_path):
    shutil.copy(FIXTURES / "legacy_state_v1.json", tmp_path / LEGACY_STATE_FILE)
    sim = Simulator(state_dir=tmp_path, seed=42, clock=SimClock(US_SESSION, frozen=True), match_interval=None).start()
    try:
        demo = sim.ensure_demo()
        assert demo.tiger_id == "20260001" and len(demo.accounts) == 2  # not a second demo developer
        trade = TradeClient(sim.client_config(demo))
        kept = trade.get_order(id=40000000000000002)
        assert kept.user_mark == "keep me" and kept.limit_price == 1.0
        acct = sim.exchange.accounts[demo.account]
        assert acct.cash["USD"] == Decimal("998583.88") and acct.positions["AAPL"].quantity == 7
        order = market_order(demo.account, stock_contract("AAPL", "USD"), "BUY", 1)
        trade.place_order(order)
        assert order.id == 40000000000000003 and order.order_id == 3
    finally:
        sim.stop()
    assert not (tmp_path / LEGACY_STATE_FILE).exists()
    assert (tmp_path / (LEGACY_STATE_FILE + ".migrated")).exists()
    again = Simulator(state_dir=tmp_path, seed=42, clock=SimClock(US_SESSION, frozen=True), match_interval=None)
    try:
        assert again.exchange.accounts[demo.account].orders[40000000000000003].quantity == 1
    finally:
        again.stop()


def test_one_process_owns_a_state_folder(tmp_path):
    first = Simulator(state_dir=tmp_path, match_interval=None)
    with pytest.raises(StateFolderBusy) as busy:
        Simulator(state_dir=tmp_path, match_interval=None)
    assert str(os.getpid()) in str(busy.value) and "another --state folder" in str(busy.value)
    first.stop()
    Simulator(state_dir=tmp_path, match_interval=None).stop()  # released on stop


# --- SIGKILL at random points -----------------------------------------------------------------

SEED = 20261129
OPERATIONS = 200
MAX_KILLS = 12
SYMBOLS = ("AAPL", "MSFT", "TSLA")


class SimProcess:
    """``python -m tigersim`` on a fixed port and state folder, killed and restarted at will."""

    def __init__(self, state: Path, port: int):
        self.state, self.port, self.proc = state, port, None
        self.log = open(state.parent / "tigersim.log", "ab")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tigersim", "--port", str(self.port), "--state", str(self.state),
             "--clock", US_SESSION.isoformat()],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.state.parent / "tigersim.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=0.5) as reply:
                    # The properties file is written once the demo developer is there.
                    if json.load(reply)["status"] == "ok" and (self.state / PROPS_FILE).exists():
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the simulator did not answer within 30 s")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.log.close()


def _client(state: Path) -> TradeClient:
    config = TigerOpenClientConfig(props_path=str(state), enable_dynamic_domain=False)
    config.retry_max_tries = 0  # an error here is an unknown outcome; the test never retries blindly
    config.timeout = 5
    return TradeClient(config)


def _raw(client, method, **fields):
    # The gateway's numbers are JSON numbers; each is short enough that its repr is exact.
    return _decimals(raw_call(client, method, **fields)["data"])


def _decimals(value):
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


class Ledger:
    """What the client was told. Only an answered call counts; a call cut by the kill proves nothing."""

    def __init__(self):
        self.placed: dict[int, dict] = {}  # id -> what was acknowledged for it
        self.uncertain: set[int] = set()  # an unanswered modify or cancel: either outcome is right

    def open_ids(self):
        return [i for i, o in self.placed.items() if not o["cancelled"] and o["type"] == "LMT"]


def test_sigkill_at_random_points_loses_nothing_acknowledged(tmp_path):
    rng = random.Random(SEED)
    state = tmp_path / "state"
    sim = SimProcess(state, free_port())
    kills = answered = 0
    try:
        sim.start()
        client = _client(state)
        account = client._account
        ledger = Ledger()
        references = {s: Decimal(str(_raw(client, "quote_real_time", symbols=[s])[0]["latestPrice"])) for s in SYMBOLS}
        for step in range(OPERATIONS):
            timer = None
            if kills < MAX_KILLS and rng.random() < 0.08:
                kills += 1
                if rng.random() < 0.3:
                    # Idle: the matching ticker may be writing fills.
                    time.sleep(rng.uniform(0, 0.6))
                    sim.kill()
                else:
                    timer = threading.Timer(rng.uniform(0, 0.004), sim.kill)
                    timer.start()
            roll = rng.random()
            open_ids = ledger.open_ids()
            try:
                if roll < 0.5 or not open_ids:
                    symbol = rng.choice(SYMBOLS)
                    side = rng.choice(("BUY", "SELL"))
                    quantity = rng.randint(1, 20)
                    mark = f"op-{step}"
                    if rng.random() < 0.3:
                        order = market_order(account, stock_contract(symbol, "USD"), side, quantity)
                    else:
                        offset = Decimal(rng.uniform(-0.004, 0.004)).quantize(Decimal("0.0001"))
                        price = (references[symbol] * (1 + offset)).quantize(Decimal("0.01"))
                        order = limit_order(account, stock_contract(symbol, "USD"), side, quantity, float(price))
                    order.user_mark = mark
                    client.place_order(order)
                    ledger.placed[order.id] = {"mark": mark, "symbol": symbol, "action": side,
                                               "type": order.order_type, "quantity": quantity,
                                               "limit": order.limit_price, "cancelled": False, "sdk": order,
                                               "filled": 0}
                elif roll < 0.75:
                    target = rng.choice(open_ids)
                    entry = ledger.placed[target]
                    quantity = entry["quantity"] + rng.randint(1, 5)
                    limit = round(entry["limit"] * (1 + rng.uniform(-0.002, 0.002)), 2)
                    ledger.uncertain.add(target)
                    client.modify_order(entry["sdk"], quantity=quantity, limit_price=limit)
                    ledger.uncertain.discard(target)
                    entry.update(quantity=quantity, limit=limit)
                else:
                    target = rng.choice(open_ids)
                    ledger.uncertain.add(target)
                    client.cancel_order(id=target)
                    ledger.uncertain.discard(target)
                    ledger.placed[target]["cancelled"] = True
                answered += 1
                if rng.random() < 0.3 and ledger.placed:
                    seen_id = rng.choice(list(ledger.placed))
                    seen = _raw(client, "orders", account=account, id=seen_id)
                    ledger.placed[seen_id]["filled"] = max(ledger.placed[seen_id]["filled"],
                                                           int(seen["filledQuantity"]))
            except ApiException as exc:
                # A refusal is an answer too (e.g. modifying an order that filled meanwhile); the
                # simulator changed nothing for it.
                answered += 1
                assert exc.code != CODE_SERVER_ERROR, exc  # never the reply of a failed commit
            except Exception:
                pass  # cut by the kill: unknown outcome, not acknowledged
            if timer is not None:
                timer.join()
            if sim.proc.poll() is not None:
                sim.start()
        sim.kill()
        sim.start()
        _check_against_ledger(client, account, ledger)
    finally:
        sim.stop()
    assert kills >= 5 and answered >= OPERATIONS // 2, (kills, answered)


def _check_against_ledger(client, account, ledger: Ledger) -> None:
    listed = _raw(client, "orders", account=account, limit=1000)["items"]
    by_id = {o["id"]: o for o in listed}
    assert len(by_id) == len(listed)
    order_ids = [o["orderId"] for o in listed]
    assert len(set(order_ids)) == len(order_ids), "an account order id was handed out twice"
    marks = [o["userMark"] for o in listed]
    assert len(set(marks)) == len(marks), "one placement became two orders"
    lost = [i for i in ledger.placed if i not in by_id]
    assert not lost, f"{len(lost)} acknowledged orders lost"
    for id_, told in ledger.placed.items():
        got = by_id[id_]
        assert got["userMark"] == told["mark"], f"broker id {id_} was reused for another order"
        assert (got["symbol"], got["action"]) == (told["symbol"], told["action"])
        assert got["filledQuantity"] >= told["filled"], f"order {id_} lost fills it had shown"
        if id_ in ledger.uncertain:
            continue
        assert got["totalQuantity"] == told["quantity"], f"order {id_} lost its acknowledged modification"
        if told["type"] == "LMT":
            assert got["limitPrice"] == Decimal(str(told["limit"]))
        if told["cancelled"]:
            assert got["status"] == "Cancelled", got
    # Cash and positions are exactly what the orders' fills add up to.
    cash = DEMO_CASH["USD"]
    positions: dict[str, Decimal] = {}
    for o in listed:
        sign = 1 if o["action"] == "BUY" else -1
        cash -= sign * o["filledCashAmount"] + o["commission"]
        positions[o["symbol"]] = positions.get(o["symbol"], Decimal(0)) + sign * o["filledQuantity"]
    assets = _raw(client, "prime_assets", account=account, base_currency="USD")
    usd = next(c for c in assets["segments"][0]["currencyAssets"] if c["currency"] == "USD")
    assert usd["cashBalance"] == cash
    held = {p["symbol"]: p["position"] for p in _raw(client, "positions", account=account)["items"]}
    assert held == {s: q for s, q in positions.items() if q}
    assert sum(1 for o in listed if o["filledQuantity"]) > 0  # the run did trade
