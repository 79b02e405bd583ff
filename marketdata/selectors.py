"""Reads for the dashboard, /health and the health command."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import AccountStatus, TigerAccount
from accounts.selectors import account_route
from marketdata.models import AccountHealth, HealthStatus, PortfolioSnapshot
from marketdata.services import HEARTBEAT_KEY
from broker.client import broker_for
from core.health import health_checks
from core.errors import InvalidInput, NotFound

# The heartbeat task runs every 30 s; three missed beats mean workers or beat are not running.
HEARTBEAT_MAX_AGE = timedelta(seconds=120)
# A health row older than this says the checks themselves stopped running.
ACCOUNT_HEALTH_MAX_AGE = timedelta(minutes=5)


def snapshot_latest() -> PortfolioSnapshot | None:
    return PortfolioSnapshot.objects.order_by("-taken_at").first()


def health_report_for(actor) -> dict:
    """health_report() with only the accounts the actor may read."""
    from accounts.models import Scope
    from accounts.selectors import accounts_for_actor

    report = health_report()
    mine = set(accounts_for_actor(actor, scope=Scope.READ).values_list("account_number", flat=True))
    report["accounts"] = [r for r in report["accounts"] if r["account"] in mine]
    return report


HEALTH_DETAIL = ("Per-account detail needs a staff login or a token: send 'Authorization: Bearer tmapi_…' "
                 "with an API token from the admin (Accounts → API tokens).")


def health_report_public() -> dict:
    """What anyone may see (load balancers, monitors): the overall status and the state of each
    component; no account number, label or error text."""
    report = health_report()
    return {"status": report["status"], "checked_at": report["checked_at"],
            **{name: {"status": part["status"]} for name, part in report.items() if isinstance(part, dict)},
            "detail": HEALTH_DETAIL}


SNAPSHOT_ADMINS_ONLY = ("Portfolio snapshots cover every account; only administrators can read them. "
                        "Use GET /api/portfolio for your own accounts.")
NO_SNAPSHOT = "No portfolio snapshot yet; the 'Portfolio snapshot' periodic task creates them."


def snapshot_latest_for(actor) -> PortfolioSnapshot:
    """The latest snapshot, for a caller who may read every account (it combines them all)."""
    if not (actor.kind == "user" and actor.user.is_superuser):
        raise NotFound(SNAPSHOT_ADMINS_ONLY, code="not_found")
    snapshot = snapshot_latest()
    if snapshot is None:
        raise NotFound(NO_SNAPSHOT)
    return snapshot


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "vendor": connection.vendor, "latency_ms": int((time.monotonic() - started) * 1000)}


def _check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"status": "not_configured", "detail": "in-process cache and rate limits (embedded default)"}
    from broker.limits import redis_client

    started = time.monotonic()
    try:
        redis_client().ping()
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "latency_ms": int((time.monotonic() - started) * 1000)}


def _check_celery(now: datetime) -> dict:
    from celery import current_app as app

    if app.conf.task_always_eager:
        return {"status": "eager", "detail": "tasks run inline (embedded default); no worker needed"}
    from django.core.cache import cache

    try:
        raw = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "error": type(exc).__name__}
    if not raw:
        return {"status": "down", "last_heartbeat": None,
                "detail": "no heartbeat yet: start `celery -A tigermcp worker` and `celery -A tigermcp beat`"}
    beat = datetime.fromisoformat(raw)
    age = (now - beat).total_seconds()
    status = "ok" if now - beat <= HEARTBEAT_MAX_AGE else "down"
    return {"status": status, "last_heartbeat": raw, "age_seconds": int(age)}


def _account_rows(now: datetime) -> list[dict]:
    healths = {h.account_id: h for h in AccountHealth.objects.all()}
    rows = []
    for account in TigerAccount.objects.filter(status=AccountStatus.ACTIVE).order_by("label"):
        h = healths.get(account.pk)
        if h is None or h.checked_at is None:
            rows.append({"account": account.account_number, "label": account.label, "status": HealthStatus.UNKNOWN.value,
                         "checked_at": None, "latency_ms": None, "consecutive_failures": 0, "last_error": ""})
            continue
        status = h.status
        if status == HealthStatus.OK and now - h.checked_at > ACCOUNT_HEALTH_MAX_AGE:
            status = "stale"
        rows.append({
            "account": account.account_number, "label": account.label, "status": status,
            "checked_at": h.checked_at.isoformat(), "latency_ms": h.latency_ms,
            "consecutive_failures": h.consecutive_failures,
            # Error messages are ours (broker.py scrubs the SDK's); codes let a monitor match them.
            "last_error": h.last_error if h.status != HealthStatus.OK else "",
            "last_error_code": h.last_error_code if h.status != HealthStatus.OK else "",
        })
    return rows


def health_is_ok(report: dict, strict: bool = False) -> bool:
    """Whether a health_report() counts as healthy: "ok" always, "degraded" only when not strict,
    "down" never. The one rule for /health's HTTP status and the health command's exit status."""
    return report["status"] == "ok" or (report["status"] == "degraded" and not strict)


def health_report() -> dict:
    """Overall status "ok" | "degraded" | "down". Down (HTTP 503) when the database, Redis or Celery
    is down; degraded (still 200, so a load balancer keeps the instance) when an account fails or a
    registered component (core.health; trading's order alerts) says so."""
    now = timezone.now()
    components = {"database": _check_database(), "redis": _check_redis()}
    components["celery"] = _check_celery(now)
    accounts = _account_rows(now) if components["database"]["status"] == "ok" else []
    if components["database"]["status"] == "ok":
        components.update({name: check() for name, check in health_checks().items()})
    down = any(c["status"] == "down" for c in components.values())
    failing = [a for a in accounts if a["status"] in (HealthStatus.FAILING, HealthStatus.CIRCUIT_OPEN)]
    degraded = any(c["status"] == "degraded" for c in components.values())
    status = "down" if down else ("degraded" if failing or degraded else "ok")
    return {"status": status, "checked_at": now.isoformat(), **components, "accounts": accounts}


# --- one account's balances and positions, fresh from the broker ----------------------------------


def account_summary_get(*, actor: Actor, account_number: str | None = None):
    """(account, broker.types.Assets) for one account the actor may read."""
    account = account_route(actor, account_number)
    return account, broker_for(account).assets()


def positions_get(*, actor: Actor, account_number: str | None = None):
    """(account, [broker.types.Position]) for one account the actor may read."""
    account = account_route(actor, account_number)
    return account, broker_for(account).positions()


HISTORY_CURRENCIES = ("USD", "HKD", "CNH")
MAX_HISTORY_DAYS = 366
DEFAULT_HISTORY_DAYS = 30
HISTORY_YEARS = 10
HISTORY_TOO_OLD = "History goes back {years} years: start and end must be on or after {earliest}."
BAD_HISTORY_RANGE = "start ({start}) must not be after end ({end})."
HISTORY_TOO_LONG = "The range may span at most {max} days (got {days}); ask for a shorter one, or several."
HISTORY_IN_FUTURE = "start ({start}) is in the future; today is {today} (UTC)."
BAD_HISTORY_CURRENCY = "currency must be one of {allowed} (got {value!r})."


def pnl_history_get(*, actor: Actor, account_number: str | None = None, start: date | None = None,
                    end: date | None = None, currency: str | None = None):
    """(account, broker.types.ValueHistory): one account's daily value and P&L. Defaults: the last
    30 days up to today, in the account's base currency."""
    today = timezone.now().date()
    earliest = today - timedelta(days=HISTORY_YEARS * 366)
    end = min(end or today, today)
    start = start or max(max(end, earliest) - timedelta(days=DEFAULT_HISTORY_DAYS), earliest)
    if min(start, end) < earliest:
        raise InvalidInput(HISTORY_TOO_OLD.format(years=HISTORY_YEARS, earliest=earliest), code="bad_date_range")
    if start > today:
        raise InvalidInput(HISTORY_IN_FUTURE.format(start=start, today=today), code="bad_date_range")
    if start > end:
        raise InvalidInput(BAD_HISTORY_RANGE.format(start=start, end=end), code="bad_date_range")
    if (end - start).days > MAX_HISTORY_DAYS:
        raise InvalidInput(HISTORY_TOO_LONG.format(max=MAX_HISTORY_DAYS, days=(end - start).days), code="bad_date_range")
    account = account_route(actor, account_number)
    currency = (currency or account.base_currency or "USD").upper()
    if currency not in HISTORY_CURRENCIES:
        raise InvalidInput(BAD_HISTORY_CURRENCY.format(allowed=", ".join(HISTORY_CURRENCIES), value=currency),
                           code="bad_currency")
    return account, broker_for(account).value_history(start=start, end=end, currency=currency)
