"""Reads on orders, exposure and switches. Services call the account-level helpers under the
account's row lock; doors call orders_list / order_get, which check the actor's grants."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Case, F, FilteredRelation, Func, Q, QuerySet, Subquery, When
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Scope, TigerAccount
from accounts.selectors import account_for_actor, account_route, accounts_for_actor
from broker.client import broker_for
from core.errors import InvalidInput, NotFound
from core.formatting import format_price, format_quantity
from core.hot_queries import hot_instances, hot_rows, hot_values
from trading.models import OPEN, AccountTradingState, KillSwitch, Leg, Order, OrderAlert, OrderStatus, RiskPolicy

NO_SUCH_ORDER = "No order {order_id} on account {account}. Call get_orders (REST: GET /api/orders/) to see the account's orders."
NO_READABLE_ORDER = ("No order {order_id} in the accounts you may read. Call get_orders (or read "
                     "tigermcp://accounts/{{account}}/orders) to see your orders.")
BAD_STATUS_FILTER = "status must be one of {allowed} (got {value!r})."


def open_exposure(*, account, exclude_order_id: int | None = None) -> Decimal:
    """Remaining notional of every order that may still execute: open and pending, valued at the
    price the risk check used (an option's times its multiplier). Summed in Python so Decimal stays
    exact on every database. Amounts in different currencies are simply added: the risk check uses
    open_exposure_by_currency."""
    return sum(open_exposure_by_currency(account=account, exclude_order_id=exclude_order_id).values(), Decimal("0"))


def _in_exposure(path: str = "") -> Q:
    """The orders open_exposure counts (`path`: the relation leading to them): those that may still
    execute, a bracket's entry without its legs, and every order of an OCA group."""
    return Q(**{f"{path}status__in": OPEN}) & (Q(**{f"{path}parent__isnull": True}) | Q(**{f"{path}leg": Leg.OCA}))


_EXPOSURE_COLUMNS = ("pk", "parent_id", "currency", "quantity", "filled_quantity", "reference_price", "multiplier")


def _exposure_totals(rows) -> dict[str, Decimal]:
    """open_exposure_by_currency's sums, from rows of _EXPOSURE_COLUMNS: value rows, not a model per
    order (Order.remaining_quantity), summed in Python so Decimal stays exact on every database."""
    totals: dict[str, Decimal] = {}
    groups: dict[int, tuple[str, Decimal]] = {}  # an OCA group counts once: its largest working order
    for pk, parent_id, currency, quantity, filled, price, multiplier in rows:
        value = max(quantity - filled, Decimal("0")) * price * multiplier
        group = parent_id or pk
        if group not in groups or value > groups[group][1]:
            groups[group] = (currency, value)
    for currency, value in groups.values():
        totals[currency] = totals.get(currency, Decimal("0")) + value
    return totals


def open_exposure_by_currency(*, account, exclude_order_id: int | None = None) -> dict[str, Decimal]:
    """open_exposure split by the orders' currencies (each amount in its own currency).
    A bracket counts once, as its entry: its legs only close what the entry opens. An OCA group
    counts once, as its largest working order: the first to fill cancels the others."""
    # The risk check reads the same under its lock, with its other reads (order_entry_reads).
    rows = Order.objects.filter(_in_exposure(), account_id=account.pk)
    if exclude_order_id is not None:
        rows = rows.exclude(pk=exclude_order_id)
    return _exposure_totals(rows.order_by().values_list(*_EXPOSURE_COLUMNS))


def open_order_currencies(*, account) -> set[str]:
    return set(Order.objects.filter(account=account, status__in=OPEN, parent__isnull=True).order_by().values_list("currency", flat=True).distinct())


def _same_contract(intent) -> dict:
    """Filters for orders in the same instrument as `intent`: the stock, this one option, or this combo."""
    if getattr(intent, "is_combo", False):
        return {"symbol": intent.symbol, "sec_type": intent.sec_type, "combo_legs": [l.canonical() for l in intent.legs]}
    return {"symbol": intent.symbol, "sec_type": intent.sec_type, "expiry": intent.expiry, "strike": intent.strike,
            "right": intent.right or ""}


def _same_size(intent) -> dict:
    """The same quantity, or (an order by amount) the same amount."""
    return {"quantity": intent.quantity, "amount__isnull": True} if intent.amount is None else {"amount": intent.amount}


def duplicate_age_seconds(*, account, intent, window_seconds: int, now, exclude_order_id=None) -> int | None:
    if not window_seconds:
        return None
    rows = Order.objects.filter(
        account=account, side=intent.side, **_same_size(intent), **_same_contract(intent),
        created_at__gte=now - timedelta(seconds=window_seconds), parent__isnull=True,
    ).exclude(status=OrderStatus.REJECTED)
    if exclude_order_id is not None:
        rows = rows.exclude(pk=exclude_order_id)
    latest = rows.order_by("-created_at").values_list("created_at", flat=True).first()
    if latest is None:
        return None
    return max(int((now - latest).total_seconds()), 0)


# Read on every preview and place: compiled once per account (core.hot_queries), run every time.

def risk_policy_of(*, account) -> RiskPolicy | None:
    """The account's risk policy; None before its first use (trading.services.risk_policy_for creates it)."""
    rows = hot_instances(("risk_policy", account.pk), lambda: RiskPolicy.objects.filter(account_id=account.pk))
    return rows[0] if rows else None


def _first_kill_switch(account) -> QuerySet[KillSwitch]:
    """The scope of the first active switch that covers the account, the global one first."""
    return KillSwitch.objects.filter(Q(scope="global") | Q(account_id=account.pk), active=True).order_by(
        Case(When(scope="global", then=0), default=1)).values_list("scope")[:1]


def _kill_switch_scope_of(first: str | None) -> str | None:
    return None if first is None else ("global" if first == "global" else "account")


def trading_state_and_kill_switch(*, account) -> tuple[AccountTradingState | None, str | None]:
    """The account's trading state, unlocked (None before its first order), and its kill_switch_scope:
    read in one statement, as the risk check's facts need both."""
    rows = hot_instances(("trading_state_kill_switch", account.pk), lambda: AccountTradingState.objects.filter(
        account_id=account.pk).annotate(kill_switch_now=Subquery(_first_kill_switch(account))))
    if not rows:
        return None, kill_switch_scope(account=account)
    return rows[0], _kill_switch_scope_of(rows[0].kill_switch_now)


_STATE_FIELDS = tuple(f.attname for f in AccountTradingState._meta.concrete_fields)


def risk_policy_and_state(*, account) -> tuple[RiskPolicy | None, AccountTradingState | None, str | None]:
    """risk_policy_of and trading_state_and_kill_switch in one statement (the state joined to the
    policy through their account): every preview and place reads all three before the lock. The
    policy None before its first use, the state None before the account's first order."""
    rows = hot_instances(("risk_policy_and_state", account.pk), lambda: RiskPolicy.objects.filter(
        account_id=account.pk).annotate(kill_switch_now=Subquery(_first_kill_switch(account)), **{
            f"trading_state_{name}": F(f"account__trading_state__{name}") for name in _STATE_FIELDS}))
    if not rows:
        return None, *trading_state_and_kill_switch(account=account)
    policy = rows[0]
    state = None
    if policy.trading_state_id is not None:
        state = AccountTradingState.from_db(policy._state.db, _STATE_FIELDS,
                                            [getattr(policy, f"trading_state_{name}") for name in _STATE_FIELDS])
    return policy, state, _kill_switch_scope_of(policy.kill_switch_now)


def trading_state_locked(*, account) -> AccountTradingState | None:
    """The account's trading state row, locked until the transaction ends (call inside one): the order
    entry lock, taken on every preview and place."""
    rows = hot_instances(("trading_state_locked", account.pk),
                         lambda: AccountTradingState.objects.select_for_update().filter(account_id=account.pk))
    return rows[0] if rows else None


class OrderEntryReads(NamedTuple):
    orders_entered: int  # since the time asked for
    kill_switch: str | None  # kill_switch_scope
    key_order_id: int | None  # the account's order under the idempotency key asked for
    open_exposure: dict[str, Decimal]  # open_exposure_by_currency


def order_entry_reads(*, account, since: datetime, idempotency_key: str | None = None,
                      exclude_order_id: int | None = None) -> OrderEntryReads:
    """What the risk check reads with the account's order-entry lock held (call inside its transaction,
    after trading_state_locked), in one statement: the orders entered since `since` (a bracket is one
    order entered: Tiger creates its legs), the kill_switch_scope, the id of the account's order under
    `idempotency_key` (None: there is none, or no key was given), and open_exposure_by_currency (without
    the order `exclude_order_id`). Read in a statement of its own after the lock is taken, so that it
    sees what the lock's previous holder committed. One row per order in the exposure (the account
    joined to them), each carrying the single values; one row with no order when there is none.
    Compiled once per account (core.hot_queries)."""
    def build(since, *values):
        key, excluded = (values[0], values[1:]) if idempotency_key is not None else (None, values)
        entered = Order.objects.filter(account_id=account.pk, created_at__gte=since, parent__isnull=True).order_by()
        singles = {"entered": Subquery(entered.values(n=Func("pk", function="COUNT"))),
                   "kill_switch_now": Subquery(_first_kill_switch(account))}
        if key is not None:
            singles["key_order"] = Subquery(Order.objects.filter(account_id=account.pk, idempotency_key=key)
                                            .order_by().values("pk")[:1])
        counted = _in_exposure("orders__") & ~Q(orders__pk=excluded[0]) if excluded else _in_exposure("orders__")
        return TigerAccount.objects.filter(pk=account.pk).annotate(
            **singles, counted=FilteredRelation("orders", condition=counted)).order_by().values_list(
            *singles, *(f"counted__{column}" for column in _EXPOSURE_COLUMNS))

    values = () if idempotency_key is None else (idempotency_key,)
    if exclude_order_id is not None:
        values += (int(exclude_order_id),)
    rows = hot_values(("order_entry_reads", account.pk, idempotency_key is not None, exclude_order_id is not None),
                      build, since, *values)
    singles = 3 if idempotency_key is not None else 2
    first = rows[0]
    return OrderEntryReads(orders_entered=first[0], kill_switch=_kill_switch_scope_of(first[1]),
                           key_order_id=first[2] if idempotency_key is not None else None,
                           open_exposure=_exposure_totals(row[singles:] for row in rows if row[singles] is not None))


def _combo_leg_trades(leg: dict, intent) -> bool:
    """Whether a combo's leg (ComboLeg.canonical, as stored) trades what `intent` names: this option, or the stock."""
    if getattr(intent, "is_option", False):
        return (leg.get("sec_type") == "OPT" and leg.get("right") == intent.right and leg.get("strike") is not None
                and Decimal(leg["strike"]) == intent.strike and leg.get("expiry") == intent.expiry.isoformat())
    return leg.get("sec_type") == "STK" and intent.sec_type in ("STK", "")


def open_same_side_remaining(*, account, intent, side: str | None = None, exclude_order_id=None) -> Decimal:
    """Remaining quantity of the open orders on `side` (default: the intent's) in the intent's instrument.
    A bracket's two legs sell (or buy back) the same shares: they count once, by the larger. For a stock
    or an option, an open combo whose leg trades it on that side counts too (remaining combos x ratio)."""
    side = side or intent.side
    wanted = Q(side=side, **_same_contract(intent))
    combos = not getattr(intent, "is_combo", False) and intent.sec_type in ("STK", "", "OPT")
    if combos:
        wanted |= Q(symbol=intent.symbol, sec_type="MLEG")
    rows = Order.objects.filter(wanted, account=account, status__in=OPEN)
    if exclude_order_id is not None:
        rows = rows.exclude(pk=exclude_order_id)
    total, legs = Decimal("0"), {}
    for o in rows.only("quantity", "filled_quantity", "parent_id", "side", "sec_type", "combo_legs"):
        if o.sec_type == "MLEG" and combos:
            for leg in o.combo_legs or ():
                leg_side = leg.get("side") if o.side == "BUY" else ("SELL" if leg.get("side") == "BUY" else "BUY")
                if leg_side == side and _combo_leg_trades(leg, intent):
                    total += o.remaining_quantity * int(leg.get("ratio") or 1)
        elif o.parent_id is None:
            total += o.remaining_quantity
        else:
            legs[o.parent_id] = max(legs.get(o.parent_id, Decimal("0")), o.remaining_quantity)
    return total + sum(legs.values(), Decimal("0"))


def open_call_sales(*, account, underlying: str, exclude_order_id=None) -> Decimal:
    """Contracts still to be sold by open orders in calls on `underlying` (any expiry and strike)."""
    rows = Order.objects.filter(account=account, symbol=underlying, sec_type="OPT", right="CALL", side="SELL",
                                status__in=OPEN)
    if exclude_order_id is not None:
        rows = rows.exclude(pk=exclude_order_id)
    return sum((o.remaining_quantity for o in rows.only("quantity", "filled_quantity")), Decimal("0"))


def kill_switch_scope(*, account) -> str | None:
    """"global", "account" or None. Read from the database on every check, so every process agrees."""
    # Checked before and after sending each order (its other reads ride on the risk check's statements):
    # compiled once per account (core.hot_queries), run every time.
    _alias, rows = hot_rows(("kill_switch_scope", account.pk), lambda: _first_kill_switch(account))
    return _kill_switch_scope_of(rows[0][0] if rows else None)


def orders_list(*, actor: Actor, account_number: str | None = None, status: str | None = None,
                open_only: bool = False, limit: int = 50) -> QuerySet[Order]:
    """The actor's orders, newest first: one account, or every account they may read."""
    rows = orders_query(actor=actor, account_number=account_number, status=status, open_only=open_only)
    return rows[: max(1, min(int(limit), 500))]


def orders_query(*, actor: Actor, account_number: str | None = None, status: str | None = None,
                 symbol: str | None = None, open_only: bool = False) -> QuerySet[Order]:
    """The actor's orders, filtered, newest first, unsliced (a door pages it): one query for the rows
    with their accounts, whatever the page size."""
    if account_number:
        accounts = [account_for_actor(actor, account_number, scope=Scope.READ)]
        rows = Order.objects.filter(account__in=accounts)
    else:
        rows = Order.objects.filter(account__in=accounts_for_actor(actor, scope=Scope.READ))
    if status:
        if status not in OrderStatus.values:
            raise_status = BAD_STATUS_FILTER.format(allowed=", ".join(OrderStatus.values), value=status)
            from core.errors import InvalidInput

            raise InvalidInput(raise_status)
        rows = rows.filter(status=status)
    if symbol:
        rows = rows.filter(symbol=symbol.strip().upper())
    if open_only:
        rows = rows.filter(status__in=OPEN)
    # The account for its number only: its encrypted credentials are neither loaded nor decrypted.
    return (rows.select_related("account").defer(*(f"account__{f}" for f in TigerAccount.SECRET_FIELDS))
            .order_by("-created_at", "-id"))


def order_get(*, actor: Actor, account_number: str | None, order_id: int) -> Order:
    account = account_route(actor, account_number, scope=Scope.READ)
    order = Order.objects.select_related("account").filter(account=account, pk=order_id).first()
    if order is None:
        raise NotFound(NO_SUCH_ORDER.format(order_id=order_id, account=account.account_number), code="unknown_order")
    return order


def order_readable_get(*, actor: Actor, order_id: int) -> Order:
    """Our order `order_id` in any account the actor may read (no account to name: the id is enough)."""
    order = (Order.objects.select_related("account")
             .filter(pk=order_id, account__in=accounts_for_actor(actor, scope=Scope.READ)).first())
    if order is None:
        raise NotFound(NO_READABLE_ORDER.format(order_id=order_id), code="unknown_order")
    return order


def _s(value) -> str | None:
    return None if value is None else format(value, "f")


def order_as_dict(order: Order) -> dict:
    """The shape every door shows (API, MCP): money and quantities as strings, currency beside them."""
    return {
        "order_id": order.pk,
        "account_number": order.account.account_number,
        "broker_id": order.broker_id or None,
        "broker_order_id": order.broker_order_id,
        "status": order.status,
        "status_reason": order.status_reason,
        "symbol": order.symbol,
        "sec_type": order.sec_type,
        "identifier": order.identifier,
        "expiry": order.expiry.isoformat() if order.expiry else None,
        "strike": _s(order.strike.normalize()) if order.strike is not None else None,
        "right": order.right or None,
        "multiplier": _s(order.multiplier.normalize()),
        "side": order.side,
        "order_type": order.order_type,
        "quantity": _s(order.quantity),
        "filled_quantity": _s(order.filled_quantity),
        "limit_price": _s(order.limit_price),
        "stop_price": _s(order.stop_price),
        "trailing_amount": _s(order.trailing_amount),
        "trailing_percent": _s(order.trailing_percent),
        "take_profit_price": _s(order.take_profit_price),
        "amount": _s(order.amount),
        "stop_loss_price": _s(order.stop_loss_price),
        "parent_order_id": order.parent_id,
        "leg": order.leg or None,
        "trading_session_type": order.trading_session_type or None,
        "combo_type": order.combo_type or None,
        "legs": list(order.combo_legs) or None,
        "avg_fill_price": _s(order.avg_fill_price),
        "currency": order.currency,
        "time_in_force": order.time_in_force,
        "expire_time": order.expire_time.isoformat() if order.expire_time else None,
        "outside_rth": order.outside_rth,
        "idempotency_key": order.idempotency_key,
        "policy_version": order.policy_version,
        "created_at": order.created_at.isoformat(),
        "submitted_at": order.submitted_at.isoformat() if order.submitted_at else None,
        "terminal_at": order.terminal_at.isoformat() if order.terminal_at else None,
    }


def order_alerts_open() -> QuerySet:
    """Alerts no operator has resolved yet (orders the product refused to act on), newest first."""
    return OrderAlert.objects.filter(resolved_at__isnull=True).select_related("account", "order")


def order_alerts_health() -> dict:
    """The "orders" health component: degraded while an order alert waits for an operator."""
    count = order_alerts_open().count()
    if not count:
        return {"status": "ok", "open_alerts": 0}
    return {"status": "degraded", "open_alerts": count,
            "detail": "orders the product could not identify at Tiger: review them in the admin (Order alerts)"}


# --- the broker's own view of orders (it also shows orders placed outside TigerMCP) -----------------


def broker_orders_get(*, actor: Actor, account_number: str | None = None, open_only: bool = False, limit: int = 50):
    """(account, [BrokerOrder], {broker_id: TigerMCP order id}): the broker's own list, which also
    shows orders placed outside TigerMCP, tagged with ours where they match."""

    if not 1 <= int(limit) <= 300:
        raise InvalidInput(f"limit must be between 1 and 300 (got {limit}).", code="bad_limit")
    account = account_route(actor, account_number)
    broker = broker_for(account)
    rows = broker.open_orders() if open_only else broker.orders(limit=int(limit))
    rows = sorted(rows, key=lambda o: o.open_time.timestamp() if o.open_time else 0, reverse=True)[: int(limit)]
    refs = dict(Order.objects.filter(account=account, broker_id__in=[o.broker_id for o in rows if o.broker_id])
                .values_list("broker_id", "pk"))
    return account, rows, refs


MAX_FILLS = 100  # Tiger returns at most 100 transactions per call
BAD_FILLS_LIMIT = "limit must be between 1 and {max} (got {limit})."
BAD_FILLS_RANGE = "since ({since}) must be before until ({until})."
NAIVE_TIME = "{name} must include a time zone, e.g. 2026-03-10T14:30:00Z (got {value})."


def fills_list(*, actor: Actor, account_number: str | None = None, symbol: str | None = None,
               since: datetime | None = None, until: datetime | None = None, limit: int = 50):
    """(account, [broker.types.Fill], {broker order id: TigerMCP order id}): one account's executions
    as Tiger reports them, newest first, tagged with our order where it went through TigerMCP."""
    from broker.types import clean_symbol

    if not 1 <= int(limit) <= MAX_FILLS:
        raise InvalidInput(BAD_FILLS_LIMIT.format(max=MAX_FILLS, limit=limit), code="bad_limit")
    for name, value in (("since", since), ("until", until)):
        if value is not None and timezone.is_naive(value):
            raise InvalidInput(NAIVE_TIME.format(name=name, value=value.isoformat()), code="bad_time")
    if since is not None and until is not None and since >= until:
        raise InvalidInput(BAD_FILLS_RANGE.format(since=since.isoformat(), until=until.isoformat()), code="bad_time_range")
    symbol = clean_symbol(symbol) if symbol else None
    account = account_route(actor, account_number)
    rows = broker_for(account).fills(symbol=symbol, start=since, end=until, limit=int(limit))
    refs = dict(Order.objects.filter(account=account, broker_id__in={f.broker_order_id for f in rows})
                .values_list("broker_id", "pk"))
    return account, rows, refs


def tradable_quantity_get(*, actor: Actor, account_number: str | None = None, symbol: str, side: str,
                          order_type: str = "LMT", limit_price=None, stop_price=None):
    """(account, broker.types.TradableQuantity): how much of a symbol the account could buy or sell
    now at that price, as Tiger estimates it (cash only, and with margin)."""
    from trading.intents import normalise_intent

    account = account_route(actor, account_number)
    intent = normalise_intent(account_number=account.account_number, symbol=symbol, side=side, quantity=1,
                              order_type=order_type, limit_price=limit_price, stop_price=stop_price)
    return account, broker_for(account).tradable_quantity(intent)


ORDER_ID_REQUIRED = "Give order_id (TigerMCP's, from place_order or get_orders) or broker_id (Tiger's)."


def broker_order_get(*, actor: Actor, account_number: str | None = None, order_id: int | None = None,
                     broker_id: str | None = None):
    """(account, BrokerOrder, TigerMCP order or None) for one order, fresh from the broker."""

    account = account_route(actor, account_number)
    ours = None
    if order_id is not None:
        ours = order_get(actor=actor, account_number=account.account_number, order_id=order_id)
        broker_id = ours.broker_id or None
        if broker_id is None:
            return account, None, ours
    elif not broker_id:
        raise InvalidInput(ORDER_ID_REQUIRED, code="order_id_required")
    else:
        ours = Order.objects.filter(account=account, broker_id=broker_id).first()
    return account, broker_for(account).order(str(broker_id)), ours


# --- what one caller may see of the above (the admin's dashboard) ---------------------------------


def kill_switches_active_for(*, actor: Actor) -> QuerySet[KillSwitch]:
    """Active switches: the global one, and those of accounts the actor may read."""
    readable = accounts_for_actor(actor, scope=Scope.READ)
    return (KillSwitch.objects.filter(active=True).filter(Q(scope="global") | Q(account__in=readable))
            .select_related("account").order_by("scope"))


def orders_unknown_count_for(*, actor: Actor) -> int:
    return Order.objects.filter(status=OrderStatus.UNKNOWN, account__in=accounts_for_actor(actor, scope=Scope.READ)).count()


def order_alerts_open_for(*, actor: Actor) -> QuerySet:
    return order_alerts_open().filter(account__in=accounts_for_actor(actor, scope=Scope.READ))


def dashboard_for(user, *, base_currency: str | None = None) -> dict:
    """The admin home's panels for one staff user: rows only for accounts their grants let them read
    (a superuser reads all), order panels only with the permission to view orders (they link to the
    order admin), portfolio totals, cards and charts from the latest snapshot over those same
    accounts, in `base_currency` (default: the snapshot's)."""
    from marketdata.selectors import dashboard_portfolio_for, health_report_for

    actor = Actor.for_user(user)
    facts = {"health": health_report_for(actor), "kill_switches": list(kill_switches_active_for(actor=actor)),
             "show_orders": user.has_perm("trading.view_order"),
             "show_alerts": user.has_perm("trading.view_orderalert"),
             "can_kill_switch": user.has_perm("trading.change_killswitch")}
    try:
        facts["portfolio"] = dashboard_portfolio_for(actor, base_currency)
    except InvalidInput as exc:
        facts["portfolio_error"] = exc.message
        facts["portfolio"] = dashboard_portfolio_for(actor, None)
    portfolio = facts["portfolio"] or {}
    by_number = {a["account_number"]: a for a in portfolio.get("accounts", [])}
    errors = {e["account_number"]: e for e in portfolio.get("errors", [])}
    # One card per readable account: its health row beside its balances and error in the snapshot.
    facts["account_cards"] = [{**row, "balances": by_number.get(row["account"]), "snapshot_error": errors.get(row["account"])}
                              for row in facts["health"]["accounts"]]
    if facts["show_orders"]:
        facts["unknown_orders"] = orders_unknown_count_for(actor=actor)
        facts["recent_orders"] = list(orders_list(actor=actor, limit=8))
    if facts["show_alerts"]:
        facts["order_alerts"] = list(order_alerts_open_for(actor=actor)[:20])
    return facts


def order_audit_trail(order_id: int) -> QuerySet:
    """The audit events about one order (every event that names it in its payload), oldest first."""
    from audit.models import AuditEvent

    return AuditEvent.objects.filter(payload__order_id=int(order_id)).order_by("seq")


def orders_visible_to(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """Orders of the accounts the actor may read (the admin's order list and pages)."""
    queryset = Order.objects.all() if queryset is None else queryset
    return queryset.filter(account__in=accounts_for_actor(actor, scope=Scope.READ))


# --- the admin's live order list ---------------------------------------------------------------------

# The audit events that change what an order row shows. Their `seq` is the change feed's cursor: the
# audit chain's head row is locked until each writer commits, so events become visible in seq order
# and a reader that has seen seq N never later finds a smaller one.
ORDER_CHANGE_EVENTS = ("order.transition", "order.fill", "order.modified")
MAX_CHANGES = 200


def order_summary_text(order: Order) -> str:
    """'BUY 3 AAPL LMT @ 150.00 USD': the order list's summary column, here and in live updates."""
    price = f" @ {format_price(order.limit_price, order.currency)}" if order.limit_price is not None else ""
    if order.trailing_percent is not None:
        price = f" trailing {format_quantity(order.trailing_percent)} %"
    elif order.trailing_amount is not None:
        price = f" trailing {format_price(order.trailing_amount, order.currency)}"
    if order.amount is not None:  # an order by amount: 'BUY 500.00 USD of AAPL MKT'
        return f"{order.side} {format_price(order.amount, order.currency)} of {order.symbol} {order.order_type}"
    combo = f" {order.combo_type}" if order.combo_type else ""  # 'BUY 2 AAPL VERTICAL LMT @ -1.20 USD'
    return f"{order.side} {format_quantity(order.quantity)} {order.symbol}{combo} {order.order_type}{price}"


def order_filled_text(order: Order) -> str:
    if not order.filled_quantity:
        return "0"
    return f"{format_quantity(order.filled_quantity)} @ {format_price(order.avg_fill_price, order.currency)}"


def order_live_row(order: Order) -> dict:
    """One order as the admin's live list shows it: order_as_dict plus the list's own column texts, so
    that the live panel and the table agree with a reloaded page."""
    from django.utils import formats

    return {**order_as_dict(order), "summary": order_summary_text(order), "filled": order_filled_text(order),
            "status_display": order.get_status_display(), "account": str(order.account), "door": order.door,
            "created_at_display": formats.localize(timezone.template_localtime(order.created_at))}


def order_changes_cursor() -> int:
    """Where a page's change feed starts: read before the page reads its orders, so no change falls between."""
    from audit.models import AuditHead

    head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first()
    return head or 0


def order_changes_since(*, actor: Actor, cursor: int) -> dict:
    """The orders the actor may read that changed after `cursor` (an audit seq), each once as it stands
    now, oldest change first, and the next cursor. Three queries whatever the number of changes: the
    database is the feed, so it works across processes without a channel layer (the embedded default)."""
    from audit.models import AuditEvent

    events = list(AuditEvent.objects.filter(
        seq__gt=cursor, event_type__in=ORDER_CHANGE_EVENTS,
        account_id__in=accounts_for_actor(actor, scope=Scope.READ).values("pk"),
    ).order_by("seq").values_list("seq", "payload__order_id")[:MAX_CHANGES])
    if not events:
        return {"cursor": cursor, "orders": []}
    order_ids = list(dict.fromkeys(order_id for _seq, order_id in events if order_id is not None))
    orders = Order.objects.select_related("account").in_bulk(order_ids)
    return {"cursor": events[-1][0], "orders": [order_live_row(orders[pk]) for pk in order_ids if pk in orders]}
