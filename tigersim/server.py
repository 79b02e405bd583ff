"""The simulator: HTTP gateway on 127.0.0.1 plus the Python API tests and the project use.

    sim = Simulator(seed=42, clock="2026-03-10T15:00:00Z").start()
    creds = sim.create_developer()
    account = sim.open_account(creds.tiger_id, cash={"USD": Decimal("1000000")})
    config = sim.client_config(creds, account)      # a tigeropen TigerOpenClientConfig
    ...
    sim.stop()
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import protocol as p
from .clock import SimClock
from .exchange import Developer, Exchange, Position
from .faults import FaultInjector
from .gateway import Gateway
from .instruments import get_instrument
from .market_calendar import CALENDARS
from .persistence import MSG_BUSY, StateFolderBusy, StateLock, StateStore, load_legacy, read_developer
from .prices import PriceModel, Quote
from .properties import write_properties
from .ratelimit import RateLimiter, limit_message

logger = logging.getLogger(__name__)

DEMO_LICENSE = "TBUS"
DEMO_CASH = {"USD": Decimal("1000000"), "HKD": Decimal("1000000")}
DEMO_CASH_ACCOUNT_CASH = {"USD": Decimal("100000"), "HKD": Decimal("500000")}
# The demo accounts' opening holdings, in US and HK stocks (HK quantities in whole board lots).
DEMO_POSITIONS = {
    "MGRN": (("AAPL", 100), ("NVDA", 50), ("SPY", 20), ("00700", 200), ("09988", 500)),
    "CASH": (("MSFT", 30), ("02800", 1000)),
}


@dataclass(frozen=True)
class DeveloperCredentials:
    tiger_id: str
    private_key: str  # base64 PKCS#1 DER body, as config.private_key takes it
    license: str


@dataclass(frozen=True)
class DemoSetup:
    credentials: DeveloperCredentials
    accounts: tuple[str, ...]  # (margin account, cash account)

    @property
    def tiger_id(self) -> str:
        return self.credentials.tiger_id

    @property
    def private_key(self) -> str:
        return self.credentials.private_key

    @property
    def license(self) -> str:
        return self.credentials.license

    @property
    def account(self) -> str:
        return self.accounts[0]


def demo_setup_read(state_dir) -> DemoSetup | None:
    """The demo developer and accounts of a state folder that another process serves, or None when
    it has none yet."""
    dev = read_developer(state_dir, "demo_tiger_id")
    if dev is None or not dev.get("private_key_b64"):
        return None
    return DemoSetup(DeveloperCredentials(dev["tiger_id"], dev["private_key_b64"], dev["license"]),
                     tuple(dev["accounts"]))


class _Drop(Exception):
    """Close the connection without replying."""


class Simulator:
    def __init__(self, state_dir=None, seed: int = 42, clock=None, port: int = 0,
                 rate_limit_window: float = 60.0, sign_responses: bool = False, host: str = "127.0.0.1",
                 match_interval: float | None = 0.5, always_open: bool = False, demo_positions: bool = False):
        # demo_positions: the demo accounts, when ensure_demo creates them, start holding DEMO_POSITIONS.
        self.demo_positions = demo_positions
        # The owner lock first, before any work: it is also how a process finds out, cheaply, that
        # another one owns the folder.
        self.state_lock: StateLock | None = None
        if state_dir:
            lock = StateLock(state_dir)
            if not lock.try_acquire():
                raise StateFolderBusy(MSG_BUSY.format(path=state_dir, pid=lock.holder()))
            self.state_lock = lock
        try:
            self._setup(state_dir, seed, clock, port, rate_limit_window, sign_responses, host, match_interval,
                        always_open)
        except BaseException:
            if self.state_lock is not None:
                self.state_lock.release()
            raise

    def _setup(self, state_dir, seed, clock, port, rate_limit_window, sign_responses, host, match_interval,
               always_open):
        self.seed = seed
        self.host = host
        self.port = port
        self.sign_responses = sign_responses
        self.match_interval = match_interval
        self.clock = clock if isinstance(clock, SimClock) else SimClock(clock)
        self.prices = PriceModel(seed)
        self.exchange = Exchange(self.prices, self.clock, always_open=always_open)
        self.gateway = Gateway(self.exchange)
        self.faults = FaultInjector()
        self.rate_limiter = RateLimiter(rate_limit_window)
        self._counts: Counter = Counter()
        self._count_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._stop_lock = threading.Lock()
        self._demo_tiger_id: str | None = None
        self._next_developer = 1
        self._signing_key = None
        self.store: StateStore | None = None
        if state_dir:
            self._open_store(state_dir)
        if self._signing_key is None:
            self._signing_key = p.generate_private_key()
            self.exchange.changes.counters = True
        self.commit()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> "Simulator":
        if self._server is not None:
            return self
        self._server = _GatewayHTTPServer((self.host, self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._stopping.clear()
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                 name=f"tigersim-http-{self.port}", daemon=True)
        serve.start()
        self._threads = [serve]
        if self.match_interval:
            ticker = threading.Thread(target=self._tick_loop, name="tigersim-ticker", daemon=True)
            ticker.start()
            self._threads.append(ticker)
        logger.info("Tiger gateway simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Close the port, write what is left and release the state folder. Safe to call from any
        thread, more than once, and from two threads at once (an exit hook and a watcher)."""
        with self._stop_lock:
            self._stopping.set()
            if self._server is not None:
                self._server.shutdown()
                self._server.close_open_connections()
                self._server.server_close()
                self._server = None
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join(timeout=5)
            self._threads = []
            with self.exchange.lock:
                self.commit()
                if self.store is not None:
                    self.store.close()
                    self.store = None
            if self.state_lock is not None:
                self.state_lock.release()

    def __enter__(self) -> "Simulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The exact URL to set as both ``server_url`` and ``quote_server_url``."""
        return f"http://{self.host}:{self.port}/gateway"

    @property
    def public_key(self) -> str:
        """Base64 SPKI of the response-signing key: ``config.tiger_public_key`` when signing is on."""
        return p.public_key_to_b64(self._signing_key.public_key())

    def _tick_loop(self) -> None:
        interval = self.match_interval or 0.5
        while not self._stopping.wait(interval):
            try:
                with self.exchange.lock:
                    self.exchange.match()
                    self.commit()
            except Exception:  # the ticker must survive any one bad pass
                logger.exception("simulator tick failed")

    # --- persistence ----------------------------------------------------------------------

    def _open_store(self, state_dir) -> None:
        store = StateStore(state_dir)
        try:
            if not store.is_empty():
                self._load_meta(store.load(self.exchange))
                logger.info("simulator state loaded from %s", store.path)
            elif store.legacy_path.exists():
                data = store.read_legacy()
                load_legacy(self.exchange, data["exchange"])
                self._load_meta(data)
                store.write_all(self.exchange, self._meta())
                # Kept, renamed, as a backup; the new file is the state from now on.
                store.legacy_path.rename(store.legacy_path.with_name(store.legacy_path.name + ".migrated"))
                logger.info("simulator state migrated from %s to %s", store.legacy_path, store.path)
        except BaseException:
            store.close()
            raise
        self.store = store

    def _load_meta(self, meta: dict) -> None:
        self._demo_tiger_id = meta.get("demo_tiger_id")
        self._next_developer = meta.get("next_developer", 1)
        self._signing_key = p.private_key_from_b64(meta["signing_key"])

    def _meta(self) -> dict:
        return {"demo_tiger_id": self._demo_tiger_id, "next_developer": self._next_developer,
                "signing_key": p.private_key_to_sdk_b64(self._signing_key), "seed": self.seed}

    def commit(self) -> None:
        """Write what changed since the last commit, durably. Every reply that acknowledges or shows
        a change is sent only after this returned for it (it runs under the exchange lock)."""
        with self.exchange.lock:
            changes = self.exchange.changes
            if not changes:
                return
            if self.store is not None:
                self.store.write(self.exchange, changes, self._meta() if changes.counters else None)
            changes.clear()

    def save(self) -> None:
        self.commit()

    # --- developers and accounts ----------------------------------------------------------

    def create_developer(self, tiger_id: str | None = None, license: str = DEMO_LICENSE) -> DeveloperCredentials:
        key = p.generate_private_key()
        private_b64 = p.private_key_to_sdk_b64(key)
        with self.exchange.lock:
            if tiger_id is None:
                while True:
                    tiger_id = f"2026{self._next_developer:04d}"
                    self._next_developer += 1
                    if tiger_id not in self.exchange.developers:
                        break
                self.exchange.changes.counters = True
            self.exchange.add_developer(Developer(tiger_id, p.public_key_to_b64(key.public_key()), license,
                                                  private_b64))
            self.commit()
        return DeveloperCredentials(tiger_id, private_b64, license)

    def credentials(self, tiger_id: str) -> DeveloperCredentials:
        """What a client of this developer id needs (its private key included: simulator only)."""
        dev = self.exchange.developers[tiger_id]
        return DeveloperCredentials(dev.tiger_id, dev.private_key_b64, dev.license)

    def register_developer(self, tiger_id: str, public_key: str, license: str = DEMO_LICENSE) -> None:
        """Register an externally generated key pair (PEM or base64, SPKI or PKCS#1 public key)."""
        spki = p.public_key_to_b64(p.load_public_key(public_key))
        with self.exchange.lock:
            self.exchange.add_developer(Developer(str(tiger_id), spki, license))
            self.commit()

    def open_account(self, tiger_id: str, account: str | None = None, cash: dict | None = None,
                     paper: bool = True, capability: str = "MGRN") -> str:
        """Open an account for a developer; ``capability`` is MGRN (Reg-T margin) or CASH."""
        cash = {"USD": Decimal("1000000")} if cash is None else cash
        with self.exchange.lock:
            number = self.exchange.open_account(tiger_id, account, cash, paper, capability)
            self.commit()
            return number

    def deny_realtime_quotes(self, tiger_id: str, denied: bool = True) -> None:
        """Take a developer id's real-time quote permission away (or give it back): its quote_real_time
        calls are refused as Tiger refuses them; delayed quotes still answer. Not persisted."""
        with self.exchange.lock:
            (self.gateway.realtime_denied.add if denied else self.gateway.realtime_denied.discard)(tiger_id)

    def deposit(self, account: str, currency: str, amount: Decimal) -> Decimal:
        with self.exchange.lock:
            acct = self.exchange.accounts[account]
            acct.cash[currency] = acct.cash.get(currency, Decimal("0")) + Decimal(str(amount))
            self.exchange.changes.accounts.add(account)
            self.commit()
            return acct.cash[currency]

    def transfer_to_futures(self, account: str, currency: str, amount: Decimal) -> Decimal:
        """Move cash from the securities segment to the futures segment (a negative amount moves it
        back), as Tiger's segment transfer does; refused for accounts without futures permission."""
        amount = Decimal(str(amount))
        with self.exchange.lock:
            acct = self.exchange.accounts[account]
            segments = ("SEC", "FUT") if amount >= 0 else ("FUT", "SEC")
            self.exchange.transfer_segment(acct, *segments, currency, abs(amount), self.clock.now_ms())
            self.commit()
            return acct.futures_cash[currency]

    def ensure_demo(self) -> DemoSetup:
        """The demo developer and its two paper accounts (margin, cash); created once, persisted."""
        with self.exchange.lock:
            dev = self.exchange.developers.get(self._demo_tiger_id) if self._demo_tiger_id else None
            if dev is None:
                creds = self.create_developer()
                self._demo_tiger_id = creds.tiger_id
                for cash, capability in ((DEMO_CASH, "MGRN"), (DEMO_CASH_ACCOUNT_CASH, "CASH")):
                    number = self.open_account(creds.tiger_id, cash=cash, capability=capability)
                    if self.demo_positions:
                        self._seed_positions(number, DEMO_POSITIONS[capability])
                dev = self.exchange.developers[creds.tiger_id]
                self.exchange.changes.counters = True
                self.commit()
        return DemoSetup(self.credentials(dev.tiger_id), tuple(dev.accounts))

    def _seed_positions(self, account: str, holdings) -> None:
        """Holdings bought before the demo began, at the last close before the simulator's clock:
        a portfolio to look at from the first minute, cash untouched."""
        with self.exchange.lock:
            acct = self.exchange.accounts[account]
            now = self.clock.now()
            for symbol, quantity in holdings:
                inst = get_instrument(symbol)
                cal = CALENDARS[inst.market]
                cost = self.prices.close_price(inst, cal.previous_trading_day(cal.session_date(now)))
                acct.positions[symbol] = Position(symbol, Decimal(quantity), cost)
            self.exchange.changes.accounts.add(account)
            self.commit()

    def write_properties(self, directory, credentials: DeveloperCredentials | DemoSetup | None = None,
                         account: str | None = None, include_license: bool = True):
        """Write ``tiger_openapi_config.properties`` for a developer (the demo one by default)."""
        if credentials is None:
            credentials = self.ensure_demo()
        if account is None:
            account = self.exchange.developers[credentials.tiger_id].accounts[0]
        return write_properties(directory, tiger_id=credentials.tiger_id, account=account,
                                private_key=credentials.private_key, server_url=self.url,
                                license=credentials.license if include_license else None)

    def client_config(self, credentials: DeveloperCredentials | DemoSetup, account: str | None = None,
                      timeout: int = 15, retry: bool = False):
        """A tigeropen config pointed at this simulator (imports the SDK lazily: it loads pandas)."""
        from tigeropen.tiger_open_config import TigerOpenClientConfig
        config = TigerOpenClientConfig(enable_dynamic_domain=False, props_path=_NO_PROPS)
        config.tiger_id = credentials.tiger_id
        config.private_key = credentials.private_key
        config.license = credentials.license
        config.account = account or self.exchange.developers[credentials.tiger_id].accounts[0]
        config.server_url = self.url
        config.quote_server_url = self.url
        config.timeout = timeout
        config.tiger_public_key = self.public_key if self.sign_responses else None
        if not retry:
            config.retry_max_tries = 0
        return config

    # --- inspection -----------------------------------------------------------------------

    def quote(self, symbol: str) -> Quote:
        return self.exchange.quote(symbol)

    def match(self) -> int:
        with self.exchange.lock:
            fills = self.exchange.match()
            self.commit()
            return fills

    def request_count(self, method: str | None = None) -> int:
        with self._count_lock:
            return sum(self._counts.values()) if method is None else self._counts[method]

    def request_counts(self) -> dict[str, int]:
        with self._count_lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._count_lock:
            self._counts.clear()

    def _count(self, method: str) -> None:
        with self._count_lock:
            self._counts[method] += 1

    # --- request pipeline -----------------------------------------------------------------

    def process(self, body: bytes) -> tuple[int, bytes | None]:
        """One gateway call: (HTTP status, response body), or a ``None`` body to drop the connection."""
        now_ms = self.clock.now_ms()
        request_timestamp = None
        try:
            params = p.parse_envelope(body)
            request_timestamp = params["timestamp"]
            method = params["method"]
            self._count(method)
            dev = self.exchange.developers.get(str(params["tiger_id"]))
            if dev is None:
                raise p.GatewayError(p.CODE_COMMON_PARAM, p.MSG_NO_DEVELOPER)
            if not p.verify_signature(p.load_public_key(dev.public_key_b64), params):
                raise p.GatewayError(p.CODE_COMMON_PARAM, p.MSG_BAD_SIGNATURE)
            fault = self.faults.take(method)
            if fault is not None:
                early = self._apply_early_fault(fault, method)
                if early is not None:
                    return early
            if not self.gateway.supports(method):
                raise p.GatewayError(p.CODE_COMMON_PARAM, p.MSG_UNKNOWN_METHOD)
            broken = self.rate_limiter.check(dev.tiger_id, method)
            if broken is not None:
                raise p.GatewayError(p.CODE_ACCESS_FORBIDDEN, limit_message(method, broken))
            biz = p.parse_biz_content(params)
            with self.exchange.lock:
                if self._stopping.is_set() and self.state_lock is not None:
                    raise _Drop()  # a request that raced stop(): its change could not be written
                try:
                    self.exchange.match()
                    data = self.gateway.handle(dev.tiger_id, method, biz, fault)
                finally:
                    # Before any reply, even a refusal: nothing the client sees may be lost in a crash.
                    self.commit()
            reply = p.success_body(data, self.clock.now_ms())
            status = 200
        except p.GatewayError as exc:
            reply = p.error_body(exc.code, exc.message, now_ms)
            status = exc.http_status
            fault = None
        except _Drop:
            return 200, None
        except Exception:
            logger.exception("simulator failed to handle a request")
            reply = p.error_body(p.CODE_SERVER_ERROR, p.MSG_SERVER_ERROR, now_ms)
            status = 200
            fault = None
        if self.sign_responses and request_timestamp:
            reply["sign"] = p.sign_text(self._signing_key, request_timestamp)
        if fault is not None and fault.kind == "drop_after_accept":
            seconds = fault.params.get("seconds")
            if not seconds:
                return 200, None
            time.sleep(float(seconds))
        return status, json.dumps(reply, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _apply_early_fault(self, fault, method: str) -> tuple[int, bytes | None] | None:
        now_ms = self.clock.now_ms()
        if fault.kind == "latency":
            time.sleep(float(fault.params.get("seconds", 0.1)))
            return None
        if fault.kind == "http_error":
            status = int(fault.params.get("status", 503))
            return status, fault.params.get("body", "Service Unavailable").encode("utf-8")
        if fault.kind == "drop":
            raise _Drop()
        if fault.kind == "rate_limit":
            status = int(fault.params.get("status", 200))
            limit = self.rate_limiter.limit_for(method) or 60
            if status == 429:
                body = p.error_body(p.CODE_RATE_LIMIT, limit_message(method, limit), now_ms)
            else:
                body = p.error_body(p.CODE_ACCESS_FORBIDDEN, limit_message(method, limit), now_ms)
            return status, json.dumps(body).encode("utf-8")
        if fault.kind == "server_error":
            return 200, json.dumps(p.error_body(p.CODE_SERVER_ERROR, p.MSG_SERVER_ERROR, now_ms)).encode("utf-8")
        return None


# A folder that holds no properties file, so a config built here never picks up a stray
# tiger_openapi_config.properties from the working directory.
_NO_PROPS = "/nonexistent-tigersim-props"


class _GatewayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address, handler, simulator: Simulator):
        self.simulator = simulator
        self._open: set = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    # Keep-alive connections outlive serve_forever(): their handler threads would go on answering
    # from a stopped simulator. Track them so stop() can close them.
    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self._open_lock:
            open_now = list(self._open)
        for request in open_now:
            try:
                request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDK reuses pooled urllib3 connections
    # Headers and body go out in separate writes: with Nagle on, each reply waits ~40 ms for the
    # client's delayed ACK.
    disable_nagle_algorithm = True
    server_version = "TigerSim/1.0"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, reply = self.server.simulator.process(body)
        if reply is None:
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self):
        sim = self.server.simulator
        # Also the request counts per method, so a benchmark can count calls to a gateway it does
        # not share a process with.
        reply = json.dumps({"status": "ok", "url": sim.url, "requests": sim.request_counts()}).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format, *args):  # never print: stdout may belong to an MCP server
        logger.debug("%s - %s", self.address_string(), format % args)
