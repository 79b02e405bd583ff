"""Reads for the dashboard, /health and the health command."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import AccountStatus, TigerAccount
from accounts.selectors import account_route
from marketdata.models import AccountHealth, HealthStatus, PortfolioSnapshot
from marketdata.services import HEARTBEAT_KEY, fx_convert
from broker.account_reads import account_assets, account_positions
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
    from core.tasks import celery_app

    app = celery_app()
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


# --- one account's balances and positions, at most TIGER_ACCOUNT_READ_TTL seconds old -----------


def account_summary_get(*, actor: Actor, account_number: str | None = None, fresh_only: bool = False):
    """(account, broker.account_reads.AccountRead of broker.types.Assets) for one account the actor
    may read: checked on every call, before the shared cache is asked. `fresh_only` reads Tiger now."""
    account = account_route(actor, account_number)
    return account, account_assets(account=account, fresh_only=fresh_only)


POSITION_SEC_TYPES = ("STK", "OPT", "FUT")
BAD_POSITION_SEC_TYPE = ("sec_type must be STK (stock positions), OPT (option positions) or FUT (futures positions) "
                         "(got {value!r}).")


def positions_get(*, actor: Actor, account_number: str | None = None, fresh_only: bool = False,
                  sec_type: str = "STK"):
    """(account, broker.account_reads.AccountRead of [broker.types.Position]) for one account the
    actor may read: checked on every call, before the shared cache is asked. `fresh_only` reads Tiger now.
    `sec_type`: STK stock positions, OPT option positions, FUT futures positions (Tiger lists them apart)."""
    sec_type = (sec_type or "STK").strip().upper()
    if sec_type not in POSITION_SEC_TYPES:
        raise InvalidInput(BAD_POSITION_SEC_TYPE.format(value=sec_type[:10]), code="bad_sec_type")
    account = account_route(actor, account_number)
    return account, account_positions(account=account, fresh_only=fresh_only, sec_type=sec_type)


# --- the admin home's portfolio panels ------------------------------------------------------------

# How far back the dashboard's value-over-time chart reaches, in snapshots (the periodic task takes
# one every few minutes: a few hundred cover a working day without a heavy page).
SERIES_LENGTH = 288


def _dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _snapshot_rates(snapshot: PortfolioSnapshot) -> dict[str, Decimal]:
    return {c: Decimal(str(r)) for c, r in (snapshot.data.get("fx_rates") or {}).items()}


def snapshot_currencies(snapshot: PortfolioSnapshot | None) -> list[str]:
    """The base currencies a snapshot can be shown in: its own and every currency it has a rate for."""
    if snapshot is None:
        return []
    return sorted({snapshot.base_currency, *_snapshot_rates(snapshot)})


def _visible_accounts(snapshot: PortfolioSnapshot, visible: set[str]) -> list[dict]:
    return [a for a in snapshot.data.get("accounts", []) if a.get("account_number") in visible]


def _net_liquidation_in(snapshot: PortfolioSnapshot, visible: set[str], base: str) -> tuple[Decimal | None, int]:
    """Sum of the visible accounts' net liquidation in `base`, and how many accounts it covers
    (None when an account's currency has no rate in that snapshot: no half total)."""
    values = {a["account_number"]: a for a in _visible_accounts(snapshot, visible)}
    return _total_in(values, _snapshot_rates(snapshot), visible, base)


def _total_in(values: dict[str, dict], rates: dict[str, Decimal], visible: set[str], base: str) -> tuple[Decimal | None, int]:
    total, count = Decimal(0), 0
    for number, acc in values.items():
        amount = _dec(acc.get("net_liquidation")) if number in visible else None
        if amount is None:
            continue
        value = fx_convert(amount, acc["currency"], base, rates)
        if value is None:
            return None, 0
        total += value
        count += 1
    return total, count


def _series(visible: set[str], base: str) -> list[dict]:
    """Net liquidation over the last SERIES_LENGTH snapshots, from their compact account values (a day
    of snapshots with every position would be megabytes read per page): each snapshot's totals by
    currency when the reader may see all its accounts, its per-account figures otherwise (read in one
    more query, only for those snapshots)."""
    rows = list(PortfolioSnapshot.objects.order_by("-taken_at").values_list(
        "pk", "taken_at", "account_values__numbers", "account_values__totals", "account_values__fx_rates")[:SERIES_LENGTH])
    partial = [pk for pk, _taken, numbers, _totals, _rates in rows if not visible.issuperset(numbers or ())]
    per_account = dict(PortfolioSnapshot.objects.filter(pk__in=partial).values_list("pk", "account_values__accounts")) \
        if partial else {}
    series = []
    for pk, taken_at, numbers, totals, rates in reversed(rows):
        rates = {c: Decimal(str(r)) for c, r in (rates or {}).items()}
        if pk in per_account:
            value, count = _total_in(per_account[pk] or {}, rates, visible, base)
        else:
            by_currency = {c: {"net_liquidation": v, "currency": c} for c, v in (totals or {}).items()}
            value, count = _total_in(by_currency, rates, set(by_currency), base)
        if value is not None and count:
            series.append({"taken_at": taken_at, "net_liquidation": value})
    return series


def dashboard_portfolio_for(actor: Actor, base_currency: str | None = None) -> dict | None:
    """The home page's portfolio facts for the accounts the actor may read, from the latest snapshot:
    totals and day P&L in `base_currency` (default: the snapshot's own), one entry per account
    (balances, buying power, its error in that snapshot), allocation by account and by symbol, and
    net liquidation over time. None when there is no snapshot or the actor reads no account.

    Day P&L is the change in net liquidation since the last snapshot taken before 00:00 UTC today,
    over the accounts both snapshots hold: the broker's own per-day figure is not in its replies."""
    from accounts.models import Scope
    from accounts.selectors import accounts_for_actor

    visible = set(accounts_for_actor(actor, scope=Scope.READ).values_list("account_number", flat=True))
    snapshot = snapshot_latest()
    if snapshot is None or not visible:
        return None
    currencies = snapshot_currencies(snapshot)
    base = (base_currency or snapshot.base_currency).strip().upper()
    if base not in currencies:
        raise InvalidInput(f"No FX rate for {base!r} in the latest snapshot; choose one of {', '.join(currencies)}.",
                           code="bad_currency")
    rates = _snapshot_rates(snapshot)

    def conv(amount, currency):
        amount = _dec(amount)
        return None if amount is None else fx_convert(amount, currency, base, rates)

    accounts, by_symbol = [], {}
    for acc in _visible_accounts(snapshot, visible):
        cur = acc["currency"]
        accounts.append({
            "account_number": acc["account_number"], "label": acc.get("label", ""), "currency": cur,
            **{k: _dec(acc.get(k)) for k in ("net_liquidation", "cash", "buying_power", "unrealized_pnl", "realized_pnl")},
            "net_liquidation_base": conv(acc.get("net_liquidation"), cur),
            "positions": len(acc.get("positions") or []),
        })
        for p in acc.get("positions") or []:
            value = conv(p.get("market_value"), p["currency"])
            if value is not None:
                by_symbol[p["symbol"]] = by_symbol.get(p["symbol"], Decimal(0)) + value
    errors = [e for e in snapshot.data.get("errors", []) if e.get("account_number") in visible]
    total, counted = _net_liquidation_in(snapshot, visible, base)

    start_of_day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    # Its compact account values only: the whole snapshot (every position) is not needed here.
    before = PortfolioSnapshot.objects.filter(taken_at__lt=start_of_day).order_by("-taken_at").only(
        "taken_at", "account_values").first()
    day_pnl = None
    if before is not None and total is not None:
        then_values = before.account_values.get("accounts") or {}
        both = visible & set(then_values)
        now_total, _ = _net_liquidation_in(snapshot, both, base)
        then_rates = {c: Decimal(str(r)) for c, r in (before.account_values.get("fx_rates") or {}).items()}
        then_total, then_count = _total_in(then_values, then_rates, both, base)
        if now_total is not None and then_total is not None and then_count:
            day_pnl = now_total - then_total

    series = _series(visible, base)
    return {
        "snapshot": snapshot, "taken_at": snapshot.taken_at, "base_currency": base, "currencies": currencies,
        "net_liquidation": total, "accounts_counted": counted, "day_pnl": day_pnl,
        "day_pnl_since": before.taken_at if before is not None else None,
        "accounts": accounts, "errors": errors,
        "allocation_by_account": [
            {"label": f"{a['label']} ({a['account_number']})", "value": a["net_liquidation_base"]}
            for a in accounts if a["net_liquidation_base"] is not None],
        "allocation_by_symbol": [{"label": s, "value": v}
                                 for s, v in sorted(by_symbol.items(), key=lambda kv: -abs(kv[1]))],
        "series": series,
    }


BALANCE_FIELDS = ("net_liquidation", "cash", "buying_power", "unrealized_pnl", "realized_pnl")


def account_balances_latest() -> dict[str, dict]:
    """Each account's balances in the latest snapshot, by account number, in one query: for pages
    that list accounts (no broker call per row). An account the snapshot could not read carries its
    error instead; one absent from it has no entry."""
    snapshot = snapshot_latest()
    if snapshot is None:
        return {}
    rows = {}
    for acc in snapshot.data.get("accounts", []):
        rows[acc["account_number"]] = {"currency": acc["currency"], "taken_at": snapshot.taken_at,
                                       "positions": len(acc.get("positions") or []),
                                       **{k: _dec(acc.get(k)) for k in BALANCE_FIELDS}}
    for error in snapshot.data.get("errors", []):
        rows.setdefault(error.get("account_number"), {"error": error.get("message", ""), "taken_at": snapshot.taken_at})
    return rows


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
