"""Start-up code for the embedded default: the built-in Tiger gateway simulator and its demo accounts.

One simulator on TIGERSIM_PORT is shared by every local process (web, run_mcp, Celery). The process
holding the lock on its state folder serves it; the others connect. The broker layer knows none of
this: start-up registers `EmbeddedGateway` with broker.client.local_gateway_register, and broker_for
asks it to be up before a client for an account bound to it is built, and to take over after a
refused connection.
"""

import atexit
import json
import logging
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("tigermcp.embedded")

_embedded = None
_embedded_lock = threading.Lock()

DEMO_LABELS = ("Demo margin (paper)", "Demo cash (paper)")
SIMULATOR_BUSY = ("The built-in simulator's folder {folder} is served by another process, which has not created "
                  "the demo accounts. Stop that process, then run setup_demo again.")


class SimulatorBusy(RuntimeError):
    pass


def embedded_simulator_url() -> str:
    return f"http://127.0.0.1:{settings.TIGERSIM_PORT}/gateway"


def _simulator_answers() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{settings.TIGERSIM_PORT}/", timeout=0.5) as reply:
            return json.load(reply).get("status") == "ok"
    except (OSError, ValueError):
        return False


def embedded_simulator_ensure():
    """The embedded default's gateway: one simulator on TIGERSIM_PORT shared by every local process
    (web, run_mcp, workers). The process holding the lock on its state folder serves it; the others
    connect to it. Returns this process's simulator when it is the owner, else None.

    Cheap when another process owns it (one refused non-blocking lock), so it runs whenever a broker
    client for an embedded account is built and whenever a call to it is refused: when the owner
    exits, the next process that needs the simulator takes over from the same state."""
    global _embedded
    if _embedded is not None:
        return _embedded
    with _embedded_lock:
        if _embedded is not None:
            return _embedded
        from tigersim.persistence import StateFolderBusy
        from tigersim.server import Simulator

        try:
            sim = Simulator(state_dir=settings.TIGERSIM_STATE_DIR, port=settings.TIGERSIM_PORT,
                            always_open=settings.TIGERSIM_ALWAYS_OPEN, demo_positions=True)
        except StateFolderBusy:
            return None
        try:
            sim.start()
        except OSError:
            sim.stop()  # gives the lock back
            # Something that holds no lock (a simulator of an older version) has the port: use it.
            if _simulator_answers():
                return None
            raise
        _stop_with_process(sim)
        sim.ensure_demo()  # so that a process that does not own the folder can read the demo accounts
        _embedded = sim
        logger.info("Serving the embedded Tiger gateway simulator on %s from %s.", sim.url, settings.TIGERSIM_STATE_DIR)
        return sim


def _stop_with_process(sim) -> None:
    """Free the port and the state folder as soon as this process starts to end, however long the
    rest of its shutdown takes. A kill frees both anyway, and loses nothing: every acknowledged
    change is already on disk. No signal handler of our own: daphne, Celery and uvicorn install
    theirs, and each ends by returning from the main thread, which is what these hooks follow."""
    atexit.register(sim.stop)

    # The main thread has returned, but the interpreter waits for every non-daemon thread (a
    # request still calling a slow gateway, say) before atexit hooks run.
    def stop_after_main_thread():
        threading.main_thread().join()
        sim.stop()

    threading.Thread(target=stop_after_main_thread, name="tigersim-owner-exit", daemon=True).start()
    # Under daphne, SIGTERM stops Twisted's reactor, which first waits for the requests in flight.
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is not None and getattr(reactor, "running", False):
        reactor.callFromThread(reactor.addSystemEventTrigger, "before", "shutdown", sim.stop)


def embedded_simulator_takeover(*, wait: float = 5.0) -> bool:
    """After a refused connection to the embedded simulator: serve it here if its owner has gone,
    or wait (up to ``wait`` s) for the process that now owns it to answer. True when it answers."""
    if embedded_simulator_ensure() is not None:
        return True
    deadline = time.monotonic() + wait
    while True:
        if _simulator_answers():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
        if embedded_simulator_ensure() is not None:  # the new owner died before serving
            return True


def demo_accounts_ensure(*, actor) -> list:
    """Demo paper accounts bound to the embedded simulator, created once (embedded default only)."""
    from accounts.models import Environment, Scope, TigerAccount
    from accounts.services import account_save

    from tigersim.server import demo_setup_read

    sim = embedded_simulator_ensure()
    demo = sim.ensure_demo() if sim is not None else demo_setup_read(settings.TIGERSIM_STATE_DIR)
    if demo is None:
        raise SimulatorBusy(SIMULATOR_BUSY.format(folder=settings.TIGERSIM_STATE_DIR))
    accounts = []
    for index, (number, label) in enumerate(zip(demo.accounts, DEMO_LABELS)):
        account = TigerAccount.objects.filter(account_number=number).first()
        if account is None:
            account = TigerAccount(
                account_number=number, label=label, environment=Environment.PAPER, permission=Scope.TRADE,
                tiger_id=demo.tiger_id, private_key=demo.private_key, license=demo.license,
                server_url=embedded_simulator_url(), is_default=index == 0 and not TigerAccount.objects.filter(is_default=True).exists(),
            )
            account_save(actor=actor, account=account, changed=["label", "account_number", "environment", "permission", "tiger_id", "private_key", "license", "server_url"])
        accounts.append(account)
    return accounts


DEMO_MARKETS = "US,HK"  # the markets the simulator quotes stocks in
# The two ways a policy meets orders in several currencies, one per demo account: the margin account's
# limits are in USD and an HK order is converted at Tiger's rates; the cash account has limits per
# currency (HKD, USD and CNH, the same sizes at 7.8 HKD and 7.2 CNH a dollar).
DEMO_POLICY_LIMITS = (
    {"currency": "USD", "limits_mode": "base"},
    {"currency": "HKD", "limits_mode": "per_currency", "max_order_notional": Decimal("780000"),
     "max_open_exposure": Decimal("1950000"), "daily_loss_limit": Decimal("78000"),
     "currency_limits": {"USD": {"max_order_notional": "100000", "max_open_exposure": "250000"},
                         "CNH": {"max_order_notional": "720000", "max_open_exposure": "1800000"}}},
)


def demo_access_ensure(*, actor, user, accounts) -> None:
    """What makes the demo usable at once: the demo admin holds trade grants on the demo accounts, and
    their risk policies allow the US and Hong Kong, in both (the margin account converts an HK order
    into its USD limits; the cash account has limits per currency). Existing grants and policies are
    left as edited."""
    from accounts.models import AccessGrant, Scope
    from accounts.services import grant_set
    from trading.models import RiskPolicy
    from trading.services import risk_policy_save

    for account in accounts:
        if not AccessGrant.objects.filter(account=account, user=user).exists():
            grant_set(actor=actor, account=account, scope=Scope.TRADE, user=user)
        if not RiskPolicy.objects.filter(account=account).exists():
            limits = DEMO_POLICY_LIMITS[1] if account.label == DEMO_LABELS[1] else DEMO_POLICY_LIMITS[0]
            risk_policy_save(actor=actor, policy=RiskPolicy(account=account, allowed_markets=DEMO_MARKETS, **limits))


def demo_reset(*, data_dir) -> list:
    """Forget the demo: the data folder's SQLite database, the simulator's state, the demo admin's
    password, the audit checkpoint, the task queue and the cache. Refused while another process
    serves the simulator (it would keep the old state alive). Returns what was removed."""
    import shutil

    from django.db import connections

    from tigersim.persistence import StateLock

    database = settings.DATABASES["default"]
    db_file = Path(str(database["NAME"])) if database["ENGINE"].endswith("sqlite3") else None
    if db_file is None or db_file.parent.resolve() != Path(data_dir).resolve():
        raise DemoResetRefused(
            "setup_demo --reset starts afresh by deleting the data folder's SQLite database; this one uses "
            f"{database['ENGINE'].rsplit('.', 1)[-1]} ({database.get('NAME')}). Drop and re-create that database "
            "yourself, or unset DATABASE_URL.")
    lock = StateLock(settings.TIGERSIM_STATE_DIR)
    if settings.TIGERSIM_STATE_DIR.exists() and not lock.try_acquire():
        raise DemoResetRefused(
            f"The built-in simulator's folder {settings.TIGERSIM_STATE_DIR} is served by process {lock.holder()}. "
            "Stop ./scripts/run (and any run_mcp) first, then run setup_demo --reset again.")
    connections.close_all()
    removed = []
    try:
        for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm"), settings.TIGERSIM_STATE_DIR,
                     Path(data_dir) / "demo_admin_password", settings.AUDIT_CHECKPOINT_PATH,
                     Path(data_dir) / "cache"):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            else:
                continue
            removed.append(path)
    finally:
        lock.release()
    return removed


class DemoResetRefused(RuntimeError):
    pass


class EmbeddedGateway:
    """The embedded simulator as the broker layer's local gateway (broker.client.LocalGateway)."""

    def serves(self, account) -> bool:
        return settings.TIGERSIM_EMBEDDED and account.server_url == embedded_simulator_url()

    def ensure(self) -> None:
        embedded_simulator_ensure()

    def take_over(self) -> bool:
        return embedded_simulator_takeover()
