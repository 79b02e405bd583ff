"""What the test suites of several apps share (never imported by product code)."""

import os
import secrets
import socket
import threading

# Part of the name of each database a test run creates (pytest-django's, the MCP tests'), so that two
# runs against one server never drop each other's.
TEST_RUN_ID = secrets.token_hex(4)


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on: for a server a test starts, or one it expects down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_threads(n: int, target, timeout: float = 60) -> list:
    """target(i) in n threads released at once (a barrier), each closing its database connection
    when done: the outcome of each, its result or the exception it raised, by i."""
    from django.db import connection

    results, barrier = [None] * n, threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - the test inspects every outcome
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results


def environ_without(*prefixes: str) -> dict[str, str]:
    """This process's environment minus the variables starting with `prefixes`: for a subprocess
    whose configuration a test makes itself. It never reads the checkout's .env either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["TIGERMCP_READ_DOT_ENV"] = "false"
    return env


class LocalNginx:
    """Debian's nginx, round-robin in front of web processes on loopback, configured from the same
    template as deploy/nginx.conf (tigermcp.nginx), everything it writes under `directory`."""

    def __init__(self, upstream_ports: list[int], directory, *, port: int | None = None, tls=None):
        import subprocess
        import time
        from pathlib import Path

        from tigermcp.nginx import local_nginx_conf

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        conf = self.directory / "nginx.conf"
        conf.write_text(local_nginx_conf(port=self.port, upstream_ports=upstream_ports, prefix=self.directory, tls=tls))
        self.proc = subprocess.Popen(["/usr/sbin/nginx", "-p", str(self.directory), "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited: {self.errors()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx did not start listening within 20 s: {self.errors()}")

    def errors(self) -> str:
        log = self.directory / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self) -> None:
        import subprocess

        self.proc.terminate()  # nginx: fast shutdown
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def listed_option(simulator, *, right: str = "CALL", expiry_index: int = 4, underlying: str = "AAPL"):
    """(expiry, strike, quote) of an option the simulator lists now: the `expiry_index`-th expiry, the
    middle strike, and the chain's quote of that contract."""
    prices, now = simulator.exchange.prices, simulator.clock.now()
    expiry = prices.option_expiries(underlying, now)[expiry_index][0]
    strikes = prices.option_strikes(underlying, now)
    strike = strikes[len(strikes) // 2]
    return expiry, strike, prices.option_quote(underlying, expiry, strike, right, now)
