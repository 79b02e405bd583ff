"""Stand-alone serving, shared by ``python -m tigersim`` and ``manage.py tigersim``."""
from __future__ import annotations

import argparse
import logging
import signal
import threading

from .clock import parse_instant
from .persistence import StateFolderBusy

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=9871, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--state", required=True, help="state folder; also receives tiger_openapi_config.properties")
    parser.add_argument("--seed", type=int, default=42, help="price model seed")
    parser.add_argument("--clock", default=None, help="start instant, ISO-8601 (default: real time)")
    parser.add_argument("--rate-limit-window", type=float, default=60.0, help="rate-limit window in seconds")
    parser.add_argument("--sign-responses", action="store_true", help="sign responses with the simulator's key")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds added to every gateway call (benchmarks: a remote gateway's round trip)")
    parser.add_argument("--always-open", action="store_true",
                        help="continuous trading: every market is open at any hour, so orders fill on a weekend "
                             "(at the last session's prices); without it the real calendars apply")


def serve(*, port: int, state: str, seed: int = 42, clock: str | None = None, rate_limit_window: float = 60.0,
          sign_responses: bool = False, latency: float = 0.0, always_open: bool = False,
          stop_event: threading.Event | None = None):
    from .server import Simulator

    sim = Simulator(state_dir=state, seed=seed, clock=parse_instant(clock) if clock else None, port=port,
                    rate_limit_window=rate_limit_window, sign_responses=sign_responses,
                    always_open=always_open).start()
    sim.ensure_demo()
    if latency:
        sim.faults.inject("*", "latency", times=None, seconds=latency)
    # No licence in the file: a props-only client keeps the SDK's default dynamic domain on, and with a
    # licence set that lookup would repoint it at Tiger's real gateway on a machine that can reach it.
    # Without one the SDK asks this simulator for it (user_license), so the file still suffices.
    path = sim.write_properties(state, include_license=False)
    if sign_responses:
        (path.parent / "tigersim_public_key.txt").write_text(sim.public_key + "\n")
    logger.info("tigersim serving %s; properties file %s", sim.url, path)
    stop_event = stop_event or threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, lambda *_: stop_event.set())
        except ValueError:  # not the main thread
            pass
    try:
        stop_event.wait()
    finally:
        sim.stop()
    return sim


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tigersim", description="Tiger OpenAPI gateway simulator")
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(port=args.port, state=args.state, seed=args.seed, clock=args.clock,
              rate_limit_window=args.rate_limit_window, sign_responses=args.sign_responses, latency=args.latency,
              always_open=args.always_open)
    except StateFolderBusy as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
