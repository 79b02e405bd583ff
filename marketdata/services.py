"""Market data, portfolio aggregation across accounts, snapshots and health checks.

Every function here is the one path for its job: MCP tools, the REST API, the admin and Celery tasks
call these and hold no logic of their own. Broker calls go through broker.client (whose calls pass
the rate limiter and circuit breaker in broker.limits); market data passes the cache in
broker.cache first.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone as dt_timezone
from decimal import Decimal
from typing import Callable

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Scope, TigerAccount
from accounts.selectors import account_for_actor, account_route, accounts_for_actor
from broker.cache import cache_key, cached_fetch, ttl_for
from broker.client import broker_for
from broker.quotes import account_quotes, clean_symbols, gateway_tag
from marketdata.models import AccountHealth, HealthStatus, PortfolioSnapshot
from core.errors import ApplicationError, CircuitOpen, InvalidInput

logger = logging.getLogger(__name__)

BAR_PERIODS = ("1min", "3min", "5min", "10min", "15min", "30min", "45min", "60min",
               "2hour", "3hour", "4hour", "6hour", "day", "week", "month", "year")
MAX_BARS = 1200
MARKETS = ("US", "HK", "CN", "SG", "ALL")

BAD_PERIOD = "Unknown bar period '{period}'. Use one of: {periods}."
BAD_LIMIT = "limit must be between 1 and {max} (got {limit})."
BAD_PAGE_TOKEN = "page_token '{token}' is not one this service returned; pass next_page_token from the previous page."
BAD_MARKET = "Unknown market '{market}'. Use one of: {markets}."
NO_FX_RATE = "No FX rate from the broker for {currency}; amounts in {currency} are left out of the {base} totals."
INTERNAL_ERROR = "Unexpected error while reading this account; the details are in the server log (request id {request_id})."


# --- market data -----------------------------------------------------------------------------------


def quotes_get(*, actor: Actor, symbols, account_number: str | None = None, context_default: str | None = None) -> list:
    """Real-time quotes in the order asked, for the routed account (broker.quotes.account_quotes)."""
    account = account_route(actor, account_number, context_default)
    return account_quotes(account=account, symbols=symbols)


@dataclass(frozen=True)
class BarsResult:
    period: str
    bars: dict  # symbol -> list[broker.types.Bar], oldest first
    next_page_token: str | None


def bars_get(
    *, actor: Actor, symbols, period: str = "day", limit: int = 100, begin_time: datetime | None = None,
    end_time: datetime | None = None, page_token: str | None = None, account_number: str | None = None,
    context_default: str | None = None,
) -> BarsResult:
    """OHLC bars from 1 minute to a month. Pages go back in time: pass the result's
    next_page_token to get the `limit` bars before these."""
    wanted = clean_symbols(symbols)
    period = (period or "").strip().lower()
    if period not in BAR_PERIODS:
        raise InvalidInput(BAD_PERIOD.format(period=period, periods=", ".join(BAR_PERIODS)), code="bad_period")
    if not 1 <= int(limit) <= MAX_BARS:
        raise InvalidInput(BAD_LIMIT.format(max=MAX_BARS, limit=limit), code="bad_limit")
    begin_ms = _epoch_ms(begin_time) if begin_time else -1
    end_ms = _epoch_ms(end_time) if end_time else -1
    broker_token = None
    if page_token:
        # Our own cursor ("t:<end ms>") when the broker gave none; the broker's token otherwise.
        if page_token.startswith("t:"):
            try:
                end_ms = int(page_token[2:])
            except ValueError:
                raise InvalidInput(BAD_PAGE_TOKEN.format(token=page_token[:40]), code="bad_page_token") from None
        else:
            broker_token = page_token
    account = account_route(actor, account_number, context_default)
    key = cache_key("bars", gateway_tag(account), period, limit, begin_ms, end_ms, broker_token, *wanted)
    page = cached_fetch(key, ttl_for("bars"), lambda: broker_for(account).bars(
        wanted, period=period, limit=int(limit), begin_time=begin_ms, end_time=end_ms, page_token=broker_token))
    next_token = page.next_page_token
    if not next_token:
        full = [rows for rows in page.bars.values() if len(rows) >= int(limit)]
        if full:
            # Continue before the LATEST first bar among full symbols: a symbol with an earlier first
            # bar may see a few bars again on the next page, but none is ever skipped.
            earliest = max(rows[0].time for rows in full)
            next_token = f"t:{int(earliest.timestamp() * 1000) - 1}"
    return BarsResult(period=period, bars=page.bars, next_page_token=next_token)


def _epoch_ms(value: datetime) -> int:
    # A naive time is taken as UTC (the project's only time zone), never the server's local time.
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt_timezone.utc)
    return int(value.timestamp() * 1000)


def trade_ticks_get(*, actor: Actor, symbols, limit: int = 100, account_number: str | None = None,
                    context_default: str | None = None) -> dict:
    wanted = clean_symbols(symbols)
    if not 1 <= int(limit) <= 1000:
        raise InvalidInput(BAD_LIMIT.format(max=1000, limit=limit), code="bad_limit")
    account = account_route(actor, account_number, context_default)
    key = cache_key("ticks", gateway_tag(account), limit, *wanted)
    return cached_fetch(key, ttl_for("ticks"), lambda: broker_for(account).trade_ticks(wanted, limit=int(limit)))


def contract_get(*, actor: Actor, symbol: str, sec_type: str = "STK", account_number: str | None = None,
                 context_default: str | None = None):
    (symbol,) = clean_symbols([symbol])
    account = account_route(actor, account_number, context_default)
    key = cache_key("contract", gateway_tag(account), sec_type, symbol)
    return cached_fetch(key, ttl_for("contract"), lambda: broker_for(account).contract(symbol, sec_type=sec_type))


def option_expirations_get(*, actor: Actor, symbol: str, account_number: str | None = None,
                           context_default: str | None = None) -> list[date]:
    (symbol,) = clean_symbols([symbol])
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_expirations", gateway_tag(account), symbol)
    return cached_fetch(key, ttl_for("option_expirations"), lambda: broker_for(account).option_expirations(symbol))


def option_chain_get(*, actor: Actor, symbol: str, expiry: date, account_number: str | None = None,
                     context_default: str | None = None) -> list:
    (symbol,) = clean_symbols([symbol])
    if isinstance(expiry, str):
        try:
            expiry = date.fromisoformat(expiry)
        except ValueError:
            raise InvalidInput(f"expiry must be a date like 2026-12-18 (got {expiry[:20]!r}); call option_expirations for valid dates.",
                               code="bad_expiry") from None
    account = account_route(actor, account_number, context_default)
    key = cache_key("option_chain", gateway_tag(account), symbol, expiry.isoformat())
    return cached_fetch(key, ttl_for("option_chain"), lambda: broker_for(account).option_chain(symbol, expiry))


def market_status_get(*, actor: Actor, market: str = "US", account_number: str | None = None,
                      context_default: str | None = None) -> list:
    market = (market or "US").strip().upper()
    if market not in MARKETS:
        raise InvalidInput(BAD_MARKET.format(market=market, markets=", ".join(MARKETS)), code="bad_market")
    account = account_route(actor, account_number, context_default)
    key = cache_key("market_status", gateway_tag(account), market)
    return cached_fetch(key, ttl_for("market_status"), lambda: broker_for(account).market_status(market))


# --- FX ---------------------------------------------------------------------------------------------


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


# --- portfolio aggregation ---------------------------------------------------------------------------


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


def _aggregate_workers() -> int:
    return int(getattr(settings, "MARKETDATA_AGGREGATE_WORKERS", 25))


def _read_account(account: TigerAccount) -> AccountPortfolio:
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
        latency_ms=int((time.monotonic() - started) * 1000),
    )


def _failure(account: TigerAccount, exc: BaseException, actor: Actor) -> AccountFailure:
    if isinstance(exc, ApplicationError):
        return AccountFailure(account.account_number, account.label, exc.code, exc.message)
    logger.exception("reading account id %s failed (request %s)", account.pk, actor.request_id, exc_info=exc)
    return AccountFailure(account.account_number, account.label, "internal_error",
                          INTERNAL_ERROR.format(request_id=actor.request_id))


def portfolio_aggregate(
    *, actor: Actor, base_currency: str = "USD",
    progress: Callable[[int, int, str], None] | None = None,
    account_numbers: list[str] | None = None,
) -> PortfolioAggregate:
    """Every account the actor may read (or the named subset), read in parallel with a bound.
    One account's failure is reported in `errors` beside the others' results; totals are in
    `base_currency` using the broker's FX rates. `progress(done, total, account_number)` is called
    as each account finishes."""
    started = time.monotonic()
    base = (base_currency or "USD").strip().upper()
    if len(base) != 3 or not base.isalpha():
        raise InvalidInput(f"base_currency must be a 3-letter code like USD or HKD (got {base_currency!r}).", code="bad_currency")
    if account_numbers:
        accounts = [account_for_actor(actor, n, scope=Scope.READ) for n in account_numbers]
    else:
        accounts = list(accounts_for_actor(actor, scope=Scope.READ))
    results: dict[str, AccountPortfolio] = {}
    errors: list[AccountFailure] = []
    warnings: list[str] = []
    total = len(accounts)
    if accounts:
        workers = max(1, min(_aggregate_workers(), total))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aggregate") as pool:
            futures = {pool.submit(_read_account, a): a for a in accounts}
            done = 0
            from concurrent.futures import as_completed

            for future in as_completed(futures):
                account = futures[future]
                try:
                    results[account.account_number] = future.result()
                except Exception as exc:  # noqa: BLE001 - every failure is reported, none hides the rest
                    errors.append(_failure(account, exc, actor))
                done += 1
                if progress is not None:
                    progress(done, total, account.account_number)
    ordered = [results[a.account_number] for a in accounts if a.account_number in results]
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


def aggregate_as_data(aggregate: PortfolioAggregate) -> dict:
    """JSON-safe form (Decimals as strings, currencies beside amounts) for snapshots and doors."""
    clean = as_jsonable
    return {
        "base_currency": aggregate.base_currency,
        "as_of": clean(aggregate.as_of),
        "totals": {k: {"amount": clean(v), "currency": aggregate.base_currency} for k, v in aggregate.totals.items()},
        "accounts": clean(aggregate.accounts),
        "errors": clean(aggregate.errors),
        "positions": clean(aggregate.positions),
        "exposure_by_symbol": clean(aggregate.exposure_by_symbol),
        "exposure_by_market": clean(aggregate.exposure_by_market),
        "fx_rates": clean(aggregate.fx_rates),
        "warnings": list(aggregate.warnings),
        "duration_ms": aggregate.duration_ms,
    }


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
    )
    snapshot.full_clean()
    with transaction.atomic():
        snapshot.save()
    return snapshot


# --- health ------------------------------------------------------------------------------------------


def account_health_check(*, account: TigerAccount) -> AccountHealth:
    """One cheap read (assets) against the account's gateway; records status, latency, last error
    and consecutive failures on the account's AccountHealth row."""
    started = time.monotonic()
    error: ApplicationError | None = None
    try:
        broker_for(account).assets()
    except ApplicationError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not crash the task
        logger.exception("health check of account id %s failed", account.pk)
        error = ApplicationError(f"unexpected {type(exc).__name__}; see the server log", code="internal_error")
    latency_ms = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    with transaction.atomic():
        health, _ = AccountHealth.objects.select_for_update().get_or_create(account=account)
        health.checked_at = now
        health.latency_ms = latency_ms
        if error is None:
            health.status = HealthStatus.OK
            health.consecutive_failures = 0
            health.last_ok_at = now
        else:
            health.status = HealthStatus.CIRCUIT_OPEN if isinstance(error, CircuitOpen) else HealthStatus.FAILING
            health.consecutive_failures += 1
            health.last_error = error.message[:500]
            health.last_error_code = error.code[:50]
        health.full_clean()
        health.save()
    return health


def celery_heartbeat_record() -> datetime:
    """Written by a beat-scheduled task; /health reads it to tell whether workers and beat run."""
    from django.core.cache import cache

    now = timezone.now()
    cache.set(HEARTBEAT_KEY, now.isoformat(), timeout=24 * 3600)
    return now


HEARTBEAT_KEY = "tm:celery:heartbeat"
