"""Prometheus metrics: the metric objects every layer records into, and the scrape of them.

Metric objects only, importing no app, so a door, a service or the broker layer can record without
an import upwards. The /metrics endpoint (tigermcp.metrics_endpoint) decides who may read them.

Labels are bounded and carry no secret: doors and outcomes are fixed words, endpoints are URL route
names or tool/task names (never raw paths), accounts are account numbers (never an account's label).

Several processes (web workers, run_mcp, Celery workers) each count for themselves. With
PROMETHEUS_MULTIPROC_DIR set (before the process starts: prometheus-client reads it at import) every
process writes its values to files there (one per process id) and a scrape from any of them adds
them up; the directory is shared by the processes of one machine or container and emptied when
they start.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

if MULTIPROC_ENV in os.environ and not os.environ[MULTIPROC_ENV].strip():
    # prometheus-client switches to multiprocess mode when the variable merely exists; a blank one
    # (a .env line left empty) means "not set", as everywhere else in our settings.
    del os.environ[MULTIPROC_ENV]

from prometheus_client import (  # noqa: E402 - after the environment is settled
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess)


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV, "").strip()
    return Path(value) if value else None


if (_dir := multiprocess_dir()) is not None:
    # prometheus-client writes its value files there from the first metric on; a missing directory
    # would otherwise surface as a FileNotFoundError from the first request that counts something.
    _dir.mkdir(parents=True, exist_ok=True)

# Seconds; from a cached read (milliseconds) to a slow broker round trip (Tiger's timeout is 15 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# --- requests, by door ----------------------------------------------------------------------------

DOORS = ("rest", "admin", "web", "mcp", "task")

REQUESTS = Counter(
    "tigermcp_requests", "Requests handled, by door (rest, admin, web, mcp, task), endpoint (URL route "
    "name, MCP tool or Celery task name) and status (HTTP status; ok or the error code for MCP and tasks).",
    ["door", "endpoint", "status"],
)
REQUEST_SECONDS = Histogram(
    "tigermcp_request_duration_seconds", "Time to handle a request, by door and endpoint.",
    ["door", "endpoint"], buckets=LATENCY_BUCKETS,
)


def request_record(*, door: str, endpoint: str, status: str | int, seconds: float) -> None:
    REQUESTS.labels(door=door, endpoint=endpoint, status=str(status)).inc()
    REQUEST_SECONDS.labels(door=door, endpoint=endpoint).observe(seconds)


# --- trading --------------------------------------------------------------------------------------

ORDERS = Counter(
    "tigermcp_orders", "New orders by account number, side and outcome: submitted (Tiger acknowledged it), "
    "rejected (by Tiger, or not sent), unknown (Tiger's answer was lost) or refused (by our risk checks).",
    ["account", "side", "outcome"],
)
FILLED_QUANTITY = Counter("tigermcp_filled_quantity", "Filled quantity (shares, contracts), by currency.", ["currency"])
FILLED_NOTIONAL = Counter("tigermcp_filled_notional", "Filled notional (quantity × fill price), by currency.",
                          ["currency"])
# Set by each portfolio aggregation or snapshot run, never by a broker call per scrape; "mostrecent"
# so that, across processes, the latest run's figure is the one shown.
BALANCE = Gauge(
    "tigermcp_account_balance", "Account figures from the latest portfolio read, by account number, currency "
    "and kind (net_liquidation, cash, buying_power, market_value).",
    ["account", "currency", "kind"], multiprocess_mode="mostrecent",
)
PNL = Gauge(
    "tigermcp_account_pnl", "Profit and loss from the latest portfolio read, by account number, currency and "
    "kind (unrealized, realized).", ["account", "currency", "kind"], multiprocess_mode="mostrecent",
)

# --- security and protection ----------------------------------------------------------------------

LOGIN_FAILURES = Counter(
    "tigermcp_login_failures", "Failed sign-ins, by kind: password (admin login), api_token (a bad REST bearer "
    "token) or mcp_token (a bad MCP HTTP bearer token).", ["kind"],
)
LOGIN_LOCKOUTS = Counter("tigermcp_login_lockouts", "Sign-ins refused because django-axes locked the caller out.")
RATE_LIMITED = Counter(
    "tigermcp_rate_limited", "Calls told to retry later, by Tiger API and source: limiter (our per-developer "
    "budget) or tiger (Tiger's own rate-limit reply).", ["api", "source"],
)
CIRCUIT_OPENS = Counter(
    "tigermcp_circuit_opens", "Times an account's circuit breaker opened (or re-opened after a failed trial), "
    "by account number.", ["account"],
)


# --- scrape ---------------------------------------------------------------------------------------

def scrape() -> tuple[bytes, str]:
    """(body, content type) of every metric: summed over all processes in multiprocess mode, this
    process's own registry otherwise."""
    path = multiprocess_dir()
    if path is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(path))
    return generate_latest(registry), CONTENT_TYPE_LATEST
