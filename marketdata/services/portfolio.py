"""Portfolio aggregation across accounts (in parallel, each failure beside the others' results) and snapshots."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Scope, TigerAccount
from accounts.selectors import account_for_actor, accounts_for_actor
from broker.client import broker_for
from marketdata.models import PortfolioSnapshot
from core.errors import ApplicationError, InvalidInput
from core.metrics import BALANCE, PNL

logger = logging.getLogger(__name__)


NO_FX_RATE = "No FX rate from the broker for {currency}; amounts in {currency} are left out of the {base} totals."


INTERNAL_ERROR = "Unexpected error while reading this account; the details are in the server log (request id {request_id})."


def fx_convert(amount: Decimal, currency: str, base: str, rates: dict[str, Decimal]) -> Decimal | None:
    """`amount` of `currency` in `base`, through the rates' common pivot; None without a rate."""
    if amount is None:
        return None
    if currency == base:
        return amount
    from_rate, to_rate = rates.get(currency), rates.get(base)
    if not from_rate or not to_rate:
        return None
    return amount * from_rate / to_rate


@dataclass
class AccountPortfolio:
    account_number: str
    label: str
    environment: str
    currency: str
    net_liquidation: Decimal | None
    cash: Decimal | None
    buying_power: Decimal | None
    unrealized_pnl: Decimal | None
    realized_pnl: Decimal | None
    market_value: Decimal
    cash_by_currency: dict[str, Decimal]
    positions: list
    latency_ms: int
    fx_rates: dict[str, Decimal] = field(default_factory=dict)
    # The same figures in the aggregate's base currency (None where no FX rate was available).
    net_liquidation_base: Decimal | None = None
    cash_base: Decimal | None = None
    market_value_base: Decimal | None = None
    # When these figures were read from Tiger, and whether this request read them ("live") or took
    # the account's snapshot, kept fresh in the background ("snapshot").
    as_of: datetime | None = None
    source: str = "live"


@dataclass
class AccountFailure:
    account_number: str
    label: str
    code: str
    message: str


@dataclass
class PortfolioAggregate:
    base_currency: str
    as_of: datetime
    accounts: list[AccountPortfolio]
    errors: list[AccountFailure]
    totals: dict[str, Decimal]  # net_liquidation, cash, market_value, unrealized_pnl, realized_pnl (in base)
    positions: list[dict]  # combined per (symbol, market, currency)
    exposure_by_symbol: list[dict]
    exposure_by_market: list[dict]
    fx_rates: dict[str, Decimal]
    warnings: list[str] = field(default_factory=list)
    duration_ms: int = 0

    @property
    def complete(self) -> bool:
        return not self.errors


def _base_currency(value: str) -> str:
    base = value.strip().upper()
    if len(base) != 3 or not base.isalpha():
        raise InvalidInput(f"base_currency must be a 3-letter code like USD or HKD (got {value!r}).", code="bad_currency")
    return base


def _aggregate_workers() -> int:
    return int(getattr(settings, "MARKETDATA_AGGREGATE_WORKERS", 25))


SNAPSHOT_STALE = ("Account {account}: Tiger could not be read now ({reason}); showing its figures as of {as_of} "
                  "({age} s old).")


def _max_age() -> float:
    return float(getattr(settings, "PORTFOLIO_MAX_AGE_SECONDS", 60))


def _snapshot_key(account) -> str:
    # The number beside the id: a cache shared by two databases (tests, benches) never mixes them up.
    return f"tm:pf:account:{account.pk}:{account.account_number}"


def account_snapshots_get(accounts) -> dict[int, AccountPortfolio]:
    """The latest read of each account (one cache round trip), by account id."""
    keys = {_snapshot_key(a): a.pk for a in accounts}
    return {keys[k]: v for k, v in cache.get_many(list(keys)).items()}


def _snapshot_keep() -> int:
    return int(getattr(settings, "PORTFOLIO_SNAPSHOT_KEEP_SECONDS", 3600))


def _read_account(account: TigerAccount) -> AccountPortfolio:
    """A live read, kept as the account's snapshot for the next caller."""
    read = _read_account_live(account)
    cache.set(_snapshot_key(account), read, timeout=_snapshot_keep())
    return read


def _read_account_live(account: TigerAccount) -> AccountPortfolio:
    started = time.monotonic()
    try:
        broker = broker_for(account)
        assets = broker.assets()
        positions = broker.positions()
    finally:
        # Worker threads get their own DB connection; Django never closes it for them.
        connections.close_all()
    market_value = sum((p.market_value or Decimal(0) for p in positions), Decimal(0))
    return AccountPortfolio(
        account_number=account.account_number, label=account.label, environment=account.environment,
        currency=assets.currency, net_liquidation=assets.net_liquidation, cash=assets.cash,
        buying_power=assets.buying_power, unrealized_pnl=assets.unrealized_pnl, realized_pnl=assets.realized_pnl,
        market_value=market_value, cash_by_currency=dict(assets.cash_by_currency), positions=list(positions),
        fx_rates=dict(assets.fx_rates),
        latency_ms=int((time.monotonic() - started) * 1000), as_of=timezone.now(), source="live",
    )


def _gauges_set(read: AccountPortfolio) -> None:
    """The Prometheus balance and P&L gauges follow each portfolio read (a scrape calls no broker)."""
    figures = {"net_liquidation": read.net_liquidation, "cash": read.cash, "buying_power": read.buying_power,
               "market_value": read.market_value}
    for kind, value in figures.items():
        if value is not None:
            BALANCE.labels(account=read.account_number, currency=read.currency, kind=kind).set(float(value))
    for kind, value in (("unrealized", read.unrealized_pnl), ("realized", read.realized_pnl)):
        if value is not None:
            PNL.labels(account=read.account_number, currency=read.currency, kind=kind).set(float(value))


def _failure(account: TigerAccount, exc: BaseException, actor: Actor) -> AccountFailure:
    if isinstance(exc, ApplicationError):
        return AccountFailure(account.account_number, account.label, exc.code, exc.message)
    logger.exception("reading account id %s failed (request %s)", account.pk, actor.request_id, exc_info=exc)
    return AccountFailure(account.account_number, account.label, "internal_error",
                          INTERNAL_ERROR.format(request_id=actor.request_id))


def portfolio_aggregate(
    *, actor: Actor, base_currency: str = "USD",
    progress: Callable[[int, int, str], None] | None = None,
    account_numbers: list[str] | None = None, fresh_only: bool = False,
) -> PortfolioAggregate:
    """Every account the actor may read (or the named subset). An account whose snapshot is at most
    PORTFOLIO_MAX_AGE_SECONDS old (portfolio_snapshots_refresh keeps them so) is served from it, with
    its `as_of`; only the stale ones are read live, in parallel with a bound. A stale account Tiger
    cannot read now (rate limit, outage) is served from its last snapshot with a warning saying how
    old it is, never as a failure. `fresh_only` reads every account live and serves no snapshot.
    One account's failure is reported in `errors` beside the others' results; totals are in
    `base_currency` using the broker's FX rates. `progress(done, total, account_number)` is called
    as each account finishes."""
    started = time.monotonic()
    base = _base_currency(base_currency or "USD")
    if account_numbers:
        accounts = [account_for_actor(actor, n, scope=Scope.READ) for n in account_numbers]
    else:
        accounts = list(accounts_for_actor(actor, scope=Scope.READ))
    results: dict[str, AccountPortfolio] = {}
    errors: list[AccountFailure] = []
    warnings: list[str] = []
    total = len(accounts)
    snapshots = {} if fresh_only else account_snapshots_get(accounts)
    now = timezone.now()
    done = 0
    stale = []
    for account in accounts:
        snap = snapshots.get(account.pk)
        if snap is not None and snap.as_of and (now - snap.as_of).total_seconds() <= _max_age():
            results[account.account_number] = replace(snap, source="snapshot")
            done += 1
            if progress is not None:
                progress(done, total, account.account_number)
        else:
            stale.append(account)
    if stale:
        workers = max(1, min(_aggregate_workers(), len(stale)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aggregate") as pool:
            futures = {pool.submit(_read_account, a): a for a in stale}
            from concurrent.futures import as_completed

            for future in as_completed(futures):
                account = futures[future]
                try:
                    results[account.account_number] = future.result()
                except Exception as exc:  # noqa: BLE001 - every failure is reported, none hides the rest
                    snap = snapshots.get(account.pk)
                    if snap is not None and snap.as_of and isinstance(exc, ApplicationError):
                        results[account.account_number] = replace(snap, source="snapshot")
                        warnings.append(SNAPSHOT_STALE.format(
                            account=account.account_number, reason=exc.code, as_of=snap.as_of.isoformat(),
                            age=int((timezone.now() - snap.as_of).total_seconds())))
                    else:
                        errors.append(_failure(account, exc, actor))
                done += 1
                if progress is not None:
                    progress(done, total, account.account_number)
    ordered = [results[a.account_number] for a in accounts if a.account_number in results]
    for read in ordered:
        _gauges_set(read)
    # Tiger's rates ride on every account's assets reply: take them from the first that answered.
    fx_rates = next((dict(r.fx_rates) for r in ordered if r.fx_rates), {})
    if ordered and not fx_rates:
        warnings.append(f"FX rates unavailable; only {base} amounts are totalled.")
    errors.sort(key=lambda e: e.account_number)
    aggregate = _combine(base, ordered, errors, fx_rates, warnings)
    aggregate.duration_ms = int((time.monotonic() - started) * 1000)
    return aggregate


def _combine(base, accounts, errors, fx_rates, warnings) -> PortfolioAggregate:
    missing_rates: set[str] = set()

    def conv(amount, currency):
        if amount is None:
            return None
        value = fx_convert(amount, currency, base, fx_rates)
        if value is None:
            missing_rates.add(currency)
        return value

    totals = {k: Decimal(0) for k in ("net_liquidation", "cash", "market_value", "unrealized_pnl", "realized_pnl")}
    combined: dict[tuple, dict] = {}
    for acc in accounts:
        acc.net_liquidation_base = conv(acc.net_liquidation, acc.currency)
        acc.cash_base = conv(acc.cash, acc.currency)
        for name in ("net_liquidation", "cash", "unrealized_pnl", "realized_pnl"):
            value = conv(getattr(acc, name), acc.currency)
            if value is not None:
                totals[name] += value
        acc_mv_base = Decimal(0)
        for p in acc.positions:
            mv_base = conv(p.market_value, p.currency)
            key = (p.symbol, p.market or "", p.currency)
            row = combined.setdefault(key, {
                "symbol": p.symbol, "market": p.market or "", "currency": p.currency, "sec_type": p.sec_type,
                "quantity": Decimal(0), "market_value": Decimal(0), "market_value_base": Decimal(0),
                "unrealized_pnl": Decimal(0), "accounts": [],
            })
            row["quantity"] += p.quantity
            row["market_value"] += p.market_value or Decimal(0)
            row["unrealized_pnl"] += p.unrealized_pnl or Decimal(0)
            row["market_value_base"] += mv_base or Decimal(0)
            row["accounts"].append({"account_number": acc.account_number, "quantity": p.quantity})
            acc_mv_base += mv_base or Decimal(0)
        acc.market_value_base = acc_mv_base
        totals["market_value"] += acc_mv_base
    for currency in sorted(missing_rates):
        warnings.append(NO_FX_RATE.format(currency=currency, base=base))
    positions = sorted(combined.values(), key=lambda r: (-abs(r["market_value_base"]), r["symbol"]))
    gross = sum((abs(r["market_value_base"]) for r in positions), Decimal(0))

    def share(value: Decimal) -> Decimal:
        return (abs(value) / gross * 100).quantize(Decimal("0.01")) if gross else Decimal(0)

    by_symbol: dict[str, Decimal] = {}
    by_market: dict[str, Decimal] = {}
    for r in positions:
        by_symbol[r["symbol"]] = by_symbol.get(r["symbol"], Decimal(0)) + r["market_value_base"]
        by_market[r["market"] or "?"] = by_market.get(r["market"] or "?", Decimal(0)) + r["market_value_base"]
    exposure_by_symbol = [
        {"symbol": s, "market_value": v, "currency": base, "percent_of_gross": share(v)}
        for s, v in sorted(by_symbol.items(), key=lambda kv: -abs(kv[1]))
    ]
    exposure_by_market = [
        {"market": m, "market_value": v, "currency": base, "percent_of_gross": share(v)}
        for m, v in sorted(by_market.items(), key=lambda kv: -abs(kv[1]))
    ]
    return PortfolioAggregate(
        base_currency=base, as_of=timezone.now(), accounts=accounts, errors=errors, totals=totals,
        positions=positions, exposure_by_symbol=exposure_by_symbol, exposure_by_market=exposure_by_market,
        fx_rates=dict(fx_rates), warnings=warnings,
    )


def portfolio_from_snapshot(*, actor: Actor, snapshot: PortfolioSnapshot, base_currency: str | None = None) -> PortfolioAggregate:
    """The latest snapshot's portfolio as a PortfolioAggregate for the accounts the actor may read,
    combined again in `base_currency` with the snapshot's own FX rates: what the portfolio page shows
    without a broker call per account (one query for the accounts; the snapshot is already loaded)."""
    from broker.types import Position

    def dec(value):
        return None if value in (None, "") else Decimal(str(value))

    visible = set(accounts_for_actor(actor, scope=Scope.READ).values_list("account_number", flat=True))
    base = _base_currency(base_currency or snapshot.base_currency)
    rates = {c: Decimal(str(r)) for c, r in (snapshot.data.get("fx_rates") or {}).items()}
    if base not in rates and base != snapshot.base_currency:
        raise InvalidInput(NO_BASE_RATE.format(base=base, choices=", ".join(sorted({snapshot.base_currency, *rates}))),
                           code="bad_currency")
    money = ("net_liquidation", "cash", "buying_power", "unrealized_pnl", "realized_pnl", "market_value")
    position_fields = ("quantity", "average_cost", "latest_price", "market_value", "unrealized_pnl", "realized_pnl")
    accounts = []
    for acc in snapshot.data.get("accounts", []):
        if acc.get("account_number") not in visible:
            continue
        positions = [Position(symbol=p["symbol"], sec_type=p.get("sec_type", "STK"), market=p.get("market"),
                              currency=p["currency"], **{k: dec(p.get(k)) for k in position_fields})
                     for p in acc.get("positions") or []]
        accounts.append(AccountPortfolio(
            account_number=acc["account_number"], label=acc.get("label", ""), environment=acc.get("environment", ""),
            currency=acc["currency"], **{k: dec(acc.get(k)) for k in money},
            cash_by_currency={c: Decimal(str(v)) for c, v in (acc.get("cash_by_currency") or {}).items()},
            positions=positions, latency_ms=acc.get("latency_ms") or 0))
    errors = [AccountFailure(e["account_number"], e.get("label", ""), e.get("code", ""), e.get("message", ""))
              for e in snapshot.data.get("errors", []) if e.get("account_number") in visible]
    aggregate = _combine(base, accounts, errors, rates, [])
    aggregate.as_of = snapshot.taken_at
    return aggregate


NO_BASE_RATE = "No FX rate for {base!r} in the latest snapshot; choose one of {choices}."


def as_jsonable(value):
    """Dataclasses, Decimals and datetimes as JSON-safe values: Decimals as strings, never floats."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): as_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return as_jsonable(asdict(value))
    return value


def account_age_seconds(read: AccountPortfolio, now: datetime) -> int | None:
    """How old an account's figures are, in whole seconds."""
    return None if read.as_of is None else max(0, int((now - read.as_of).total_seconds()))


def aggregate_as_data(aggregate: PortfolioAggregate) -> dict:
    """JSON-safe form (Decimals as strings, currencies beside amounts) for snapshots and doors."""
    clean = as_jsonable
    return {
        "base_currency": aggregate.base_currency,
        "as_of": clean(aggregate.as_of),
        "totals": {k: {"amount": clean(v), "currency": aggregate.base_currency} for k, v in aggregate.totals.items()},
        "accounts": [{**clean(a), "age_seconds": account_age_seconds(a, aggregate.as_of)} for a in aggregate.accounts],
        "errors": clean(aggregate.errors),
        "positions": clean(aggregate.positions),
        "exposure_by_symbol": clean(aggregate.exposure_by_symbol),
        "exposure_by_market": clean(aggregate.exposure_by_market),
        "fx_rates": clean(aggregate.fx_rates),
        "warnings": list(aggregate.warnings),
        "duration_ms": aggregate.duration_ms,
    }


def snapshot_account_values(data: dict) -> dict:
    """A snapshot's compact figures for the value-over-time chart (see PortfolioSnapshot.account_values)."""
    accounts = {a["account_number"]: {"net_liquidation": a.get("net_liquidation"), "currency": a["currency"]}
                for a in data.get("accounts", [])}
    totals: dict[str, Decimal] = {}
    for acc in accounts.values():
        if acc["net_liquidation"] not in (None, ""):
            totals[acc["currency"]] = totals.get(acc["currency"], Decimal(0)) + Decimal(str(acc["net_liquidation"]))
    # `numbers` and `totals` (by currency, over all of them) let a reader who may see every account
    # skip the per-account figures.
    return {"accounts": accounts, "numbers": sorted(accounts), "totals": {c: str(v) for c, v in totals.items()},
            "fx_rates": data.get("fx_rates") or {}}


def portfolio_snapshot_create(*, actor: Actor, base_currency: str = "USD") -> PortfolioSnapshot:
    """Aggregate every readable account and store the result for the dashboard."""
    aggregate = portfolio_aggregate(actor=actor, base_currency=base_currency)
    q = Decimal("0.0001")
    snapshot = PortfolioSnapshot(
        taken_at=aggregate.as_of, base_currency=aggregate.base_currency,
        net_liquidation=aggregate.totals["net_liquidation"].quantize(q),
        cash=aggregate.totals["cash"].quantize(q),
        market_value=aggregate.totals["market_value"].quantize(q),
        unrealized_pnl=aggregate.totals["unrealized_pnl"].quantize(q),
        realized_pnl=aggregate.totals["realized_pnl"].quantize(q),
        accounts_ok=len(aggregate.accounts), accounts_failed=len(aggregate.errors),
        duration_ms=aggregate.duration_ms, data=aggregate_as_data(aggregate),
        account_values=snapshot_account_values(aggregate_as_data(aggregate)),
    )
    snapshot.full_clean()
    with transaction.atomic():
        snapshot.save()
    return snapshot


@dataclass
class RefreshReport:
    refreshed: int = 0
    failed: int = 0
    deferred: int = 0  # due, but beyond this tick's share of a developer id's budget


def _refresh_setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def refresh_allowance_per_tick(tick: int | None = None) -> int:
    """Accounts one developer id may refresh in this tick: its assets/positions budget (Tiger counts
    each API per developer id over 60 s) times PORTFOLIO_REFRESH_BUDGET_SHARE, spread over the
    minute's ticks (57 a minute at 5 s ticks: 4 or 5 a tick). The rest of the budget
    stays for live reads and other callers."""
    import math

    from broker.limits import api_limit

    limit = min(api_limit("prime_assets") or 60, api_limit("positions") or 60)
    interval = _refresh_setting("PORTFOLIO_REFRESH_INTERVAL_SECONDS", 5)
    per_minute = limit * _refresh_setting("PORTFOLIO_REFRESH_BUDGET_SHARE", 0.95)
    ticks = max(1, round(60 / interval))
    k = (int(time.time() / interval) if tick is None else tick) % ticks
    return max(1, math.floor(per_minute * (k + 1) / ticks) - math.floor(per_minute * k / ticks))


def portfolio_snapshots_refresh() -> RefreshReport:
    """One tick of the background refresh (Celery beat, every PORTFOLIO_REFRESH_INTERVAL_SECONDS):
    per developer id, re-read the accounts whose snapshot is older than PORTFOLIO_REFRESH_AFTER_SECONDS
    (the oldest first), at most refresh_allowance_per_tick() of them, so the reads spread across the
    minute within the id's rate budget and portfolio reads find every account recent."""
    from accounts.models import AccountStatus
    from broker.limits import tiger_id_hash

    accounts = list(TigerAccount.objects.filter(status=AccountStatus.ACTIVE))
    snapshots = account_snapshots_get(accounts)
    now = timezone.now()
    refresh_after = _refresh_setting("PORTFOLIO_REFRESH_AFTER_SECONDS", 40)
    per_tick = refresh_allowance_per_tick()

    def age(account) -> float:
        snap = snapshots.get(account.pk)
        return float("inf") if snap is None or snap.as_of is None else (now - snap.as_of).total_seconds()

    by_developer: dict[str, list] = {}
    for account in accounts:
        if age(account) >= refresh_after:
            by_developer.setdefault(tiger_id_hash(account.tiger_id), []).append(account)
    report = RefreshReport()
    chosen = []
    for due in by_developer.values():
        due.sort(key=age, reverse=True)
        chosen += due[:per_tick]
        report.deferred += max(0, len(due) - per_tick)
    if not chosen:
        return report
    with ThreadPoolExecutor(max_workers=max(1, min(_aggregate_workers(), len(chosen))),
                            thread_name_prefix="refresh") as pool:
        for account, outcome in zip(chosen, pool.map(_refresh_one, chosen)):
            if outcome:
                report.refreshed += 1
            else:
                report.failed += 1
    return report


def _refresh_one(account: TigerAccount) -> bool:
    try:
        _gauges_set(_read_account(account))
        return True
    except ApplicationError as exc:  # the next tick tries again; live reads still serve the old snapshot
        logger.info("snapshot refresh of account id %s: %s", account.pk, exc.code)
        return False
