"""Orders, their fills, risk policies, confirmation tokens, the kill switch and the per-account
trading state row that serialises order entry.

An Order's status only changes through Order.set_status, which refuses illegal moves and writes one
audit event in the caller's transaction.
"""

from datetime import datetime
from decimal import Decimal

from django.db import models, transaction
from django.db.models import Q
from django.dispatch import Signal

from broker.types import option_identifier
from core.errors import Conflict


class OrderStatus(models.TextChoices):
    # Ours: the row is committed before the network call, so a crash mid-send leaves a trace.
    PENDING_SUBMIT = "PENDING_SUBMIT", "Pending submit"
    SUBMITTED = "SUBMITTED", "Submitted"
    PARTIALLY_FILLED = "PARTIALLY_FILLED", "Partially filled"
    FILLED = "FILLED", "Filled"
    CANCEL_PENDING = "CANCEL_PENDING", "Cancel pending"
    CANCELLED = "CANCELLED", "Cancelled"
    REJECTED = "REJECTED", "Rejected"
    EXPIRED = "EXPIRED", "Expired"
    # Ours: a submit was sent and no answer came back. Never resubmitted; reconciliation resolves it.
    UNKNOWN = "UNKNOWN", "Unknown (being reconciled)"


S = OrderStatus
TERMINAL = frozenset({S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED})
# Acknowledged by Tiger and not being cancelled: the orders that may be modified or cancelled.
ACTIVE = frozenset({S.SUBMITTED, S.PARTIALLY_FILLED})
WORKING = ACTIVE | {S.CANCEL_PENDING}
# Not (yet) acknowledged by Tiger: being sent, or sent with the answer lost (reconciliation resolves them).
UNACKED = frozenset({S.PENDING_SUBMIT, S.UNKNOWN})
# Orders that may still add to the account's exposure (SEC 15c3-5 counts orders entered, not fills).
OPEN = UNACKED | WORKING

# Reconciliation may learn of any later state at once (a market order can be Filled before we look),
# so forward jumps are legal; going back from a terminal state never is.
TRANSITIONS: dict[str, frozenset] = {
    S.PENDING_SUBMIT: frozenset({S.SUBMITTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCEL_PENDING, S.CANCELLED,
                                 S.REJECTED, S.EXPIRED, S.UNKNOWN}),
    S.UNKNOWN: frozenset({S.SUBMITTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCEL_PENDING, S.CANCELLED,
                          S.REJECTED, S.EXPIRED}),
    # A working order goes back to UNKNOWN when the broker can no longer positively identify it (its
    # broker id now names an order without our reference): nothing acts on it until that is resolved.
    S.SUBMITTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCEL_PENDING, S.CANCELLED, S.REJECTED, S.EXPIRED,
                            S.UNKNOWN}),
    S.PARTIALLY_FILLED: frozenset({S.FILLED, S.CANCEL_PENDING, S.CANCELLED, S.EXPIRED, S.UNKNOWN}),
    # A refused cancel (already filled, or the broker said no) returns the order to working.
    S.CANCEL_PENDING: frozenset({S.SUBMITTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED, S.UNKNOWN}),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}

# Sent (with order_id) once the transaction that changed an order's status has committed; trading.live
# pushes it to websocket subscribers. A signal, so the model knows nothing of who listens.
order_status_committed = Signal()

ILLEGAL_TRANSITION = "Order {order} cannot go from {current} to {new}: allowed next states are {allowed}."


class InvalidOrderTransition(Conflict):
    code = "invalid_order_transition"


class Side(models.TextChoices):
    BUY = "BUY", "Buy"
    SELL = "SELL", "Sell"


class OrderType(models.TextChoices):
    MKT = "MKT", "Market"
    LMT = "LMT", "Limit"
    STP = "STP", "Stop"
    STP_LMT = "STP_LMT", "Stop limit"
    TRAIL = "TRAIL", "Trailing stop"


class SecType(models.TextChoices):
    STK = "STK", "Stock"
    OPT = "OPT", "Option"
    FUT = "FUT", "Future"
    MLEG = "MLEG", "Combo (multi-leg)"


class OptionRight(models.TextChoices):
    CALL = "CALL", "Call"
    PUT = "PUT", "Put"


class Leg(models.TextChoices):
    PROFIT = "PROFIT", "Take-profit"
    LOSS = "LOSS", "Stop-loss"
    OCA = "OCA", "OCA sibling"  # another order of the first order's OCA group (one filling cancels the rest)


class TimeInForce(models.TextChoices):
    DAY = "DAY", "Day"
    GTC = "GTC", "Good till cancelled"
    GTD = "GTD", "Good till date"


QTY = {"max_digits": 20, "decimal_places": 6}
PRICE = {"max_digits": 20, "decimal_places": 6}
MONEY = {"max_digits": 24, "decimal_places": 6}


class Order(models.Model):
    # Set by trading.services.order_place when it returns the order an earlier call placed.
    replayed = False

    # Ours, also sent to Tiger in the order's remark ("tm:<client_ref>") so reconciliation can
    # match an order whose acknowledgement was lost.
    client_ref = models.CharField(max_length=32, unique=True, editable=False)
    account = models.ForeignKey("accounts.TigerAccount", on_delete=models.PROTECT, related_name="orders")
    idempotency_key = models.CharField(max_length=128)
    payload_hash = models.CharField(max_length=64)

    symbol = models.CharField(max_length=32)  # an option's underlying
    sec_type = models.CharField(max_length=8, choices=SecType.choices, default=SecType.STK)
    # An option (sec_type OPT): the contract, and its multiplier (shares per contract, 1 for a stock).
    expiry = models.DateField(null=True, blank=True)
    strike = models.DecimalField(null=True, blank=True, **PRICE)
    right = models.CharField(max_length=4, choices=OptionRight.choices, blank=True)
    multiplier = models.DecimalField(default=Decimal("1"), **QTY)
    market = models.CharField(max_length=8, default="US")
    currency = models.CharField(max_length=3, default="USD")
    side = models.CharField(max_length=4, choices=Side.choices)
    order_type = models.CharField(max_length=8, choices=OrderType.choices)
    quantity = models.DecimalField(**QTY)
    limit_price = models.DecimalField(null=True, blank=True, **PRICE)
    stop_price = models.DecimalField(null=True, blank=True, **PRICE)
    # A trailing stop's distance from the price: an amount in the currency, or a percent.
    trailing_amount = models.DecimalField(null=True, blank=True, **PRICE)
    trailing_percent = models.DecimalField(null=True, blank=True, **PRICE)
    time_in_force = models.CharField(max_length=4, choices=TimeInForce.choices, default=TimeInForce.DAY)
    expire_time = models.DateTimeField(null=True, blank=True)  # GTD: when Tiger cancels what is left
    outside_rth = models.BooleanField(default=False)
    # Tiger's trading_session_type: OVERNIGHT for the US overnight session; blank for the regular one.
    trading_session_type = models.CharField(max_length=16, blank=True, default="")
    # A bracket's entry: the attached orders it asked for (each becomes an Order row of its own,
    # `parent` = the entry, once Tiger acknowledges it). A leg is held by Tiger until its entry
    # fills, then works; one filling cancels the other. Legs add no exposure: they close the entry's.
    take_profit_price = models.DecimalField(null=True, blank=True, **PRICE)
    stop_loss_price = models.DecimalField(null=True, blank=True, **PRICE)
    # An order by amount (Tiger's cash_amount), in `currency`: `quantity` is then the shares it was
    # estimated to buy at the reference price, until Tiger reports the shares it bought.
    amount = models.DecimalField(null=True, blank=True, **MONEY)
    # A combo (sec_type MLEG): `symbol` is the underlying, `multiplier` the option legs', `limit_price`
    # the net price per share (negative: a credit), and the legs (trading.combos) are kept here in
    # their canonical form; `reference_price` is then the most one combo can lose, per share.
    combo_type = models.CharField(max_length=12, blank=True)
    combo_legs = models.JSONField(default=list, blank=True)
    # The first order of an OCA group: the group's other orders (broker.types.OcaOrder, canonical),
    # each an Order row of its own (`parent` = this one, leg OCA) once Tiger acknowledges the group.
    oca_orders = models.JSONField(default=list, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="legs")
    leg = models.CharField(max_length=8, choices=Leg.choices, blank=True)
    # The price the risk check valued the order at (limit price, or the last quote for market
    # orders): exposure sums remaining quantity × this.
    reference_price = models.DecimalField(**PRICE)

    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_SUBMIT,
                              db_index=True)
    status_reason = models.TextField(blank=True)
    broker_id = models.CharField(max_length=40, blank=True, db_index=True)  # Tiger's global id
    broker_order_id = models.BigIntegerField(null=True, blank=True)  # Tiger's per-account sequence
    broker_status = models.CharField(max_length=20, blank=True)
    filled_quantity = models.DecimalField(default=Decimal("0"), **QTY)
    avg_fill_price = models.DecimalField(null=True, blank=True, **PRICE)
    commission = models.DecimalField(null=True, blank=True, **MONEY)

    actor_type = models.CharField(max_length=20)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200)
    door = models.CharField(max_length=10)
    request_id = models.CharField(max_length=64, blank=True)
    risk_decision = models.JSONField(default=dict, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the status last changed (reconciliation saves the row on every pass, so updated_at cannot
    # tell how long an order has been CANCEL_PENDING).
    status_changed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    terminal_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "idempotency_key"], name="order_idempotency_key_per_account"),
            models.UniqueConstraint(fields=["account", "broker_id"], condition=~Q(broker_id=""),
                                    name="order_one_row_per_broker_order"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
        ]
        indexes = [models.Index(fields=["account", "status"]), models.Index(fields=["account", "created_at"])]

    def __str__(self):
        return f"#{self.pk} {self.side} {self.quantity.normalize():f} {self.symbol} {self.order_type} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def remaining_quantity(self) -> Decimal:
        return max(self.quantity - self.filled_quantity, Decimal("0"))

    @property
    def identifier(self) -> str | None:
        """An option's (OCC) identifier, e.g. "AAPL  260116C00150000"; None for a stock."""
        if self.sec_type != SecType.OPT:
            return None
        return option_identifier(self.symbol, self.expiry, self.strike, self.right)

    @property
    def remark(self) -> str:
        # Tiger's attached orders carry their entry's user mark: a leg is identified by it together
        # with its own broker id and its entry's (parentId).
        return f"tm:{self.parent.client_ref}" if self.parent_id else f"tm:{self.client_ref}"

    def audit_payload(self) -> dict:
        return {
            "order_id": self.pk,
            "client_ref": self.client_ref,
            "broker_id": self.broker_id,
            "broker_order_id": self.broker_order_id,
            "symbol": self.symbol,
            **({"sec_type": self.sec_type, "identifier": self.identifier or self.symbol,
                "multiplier": str(self.multiplier)} if self.sec_type != SecType.STK else {}),
            "side": self.side,
            "quantity": str(self.quantity),
            **({"amount": str(self.amount)} if self.amount is not None else {}),
            **({"combo_type": self.combo_type, "legs": self.combo_legs} if self.combo_type else {}),
            "order_type": self.order_type,
            "limit_price": None if self.limit_price is None else str(self.limit_price),
            "stop_price": None if self.stop_price is None else str(self.stop_price),
            "time_in_force": self.time_in_force,
            "currency": self.currency,
            "filled_quantity": str(self.filled_quantity),
            "idempotency_key": self.idempotency_key,
            "policy_version": self.policy_version,
        }

    def set_status(self, new_status: str, *, actor, reason: str = "", extra: dict | None = None,
                   changed: tuple[str, ...] | None = None) -> None:
        """The one way a status changes: refuses illegal moves, saves, and writes one audit event in
        the same transaction. Callers hold the row lock (select_for_update) when racing is possible.
        `changed`: the other fields the caller set on this instance; given, only they and the status's
        own fields are validated and saved, otherwise every column is."""
        from django.utils import timezone

        from audit.services import audit_record
        from broker.account_reads import account_reads_forget

        current = self.status
        if new_status not in TRANSITIONS.get(current, ()):
            allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none (terminal)"
            raise InvalidOrderTransition(
                ILLEGAL_TRANSITION.format(order=self.pk, current=current, new=new_status, allowed=allowed),
                extra={"from": current, "to": new_status},
            )
        now = timezone.now()
        self.status = new_status
        self.status_changed_at = now
        if reason:
            self.status_reason = reason[:2000]
        if new_status in TERMINAL:
            self.terminal_at = now
        if new_status == S.SUBMITTED and self.submitted_at is None:
            self.submitted_at = now
        # The account is not validated: it does not change here, and checking that it exists would cost
        # a query on every transition (the foreign key constraint holds it anyway).
        saved = None if changed is None else {*_STATUS_FIELDS, *changed}
        self.full_clean(exclude=["account"] if saved is None else [f.name for f in self._meta.fields if f.name not in saved],
                        validate_unique=False, validate_constraints=False)
        with transaction.atomic(savepoint=False):  # the save and its event together, without a savepoint
            if saved is None:
                self.save()
            else:
                _save_fields(self, sorted(saved))
            audit_record(
                actor=actor,
                event_type="order.transition",
                account=self.account,
                payload={**self.audit_payload(), "from": current, "to": new_status, "reason": reason,
                         **(extra or {})},
            )
            order_id, account = self.pk, self.account
            # Its account's cached balances and positions end with the transition (a fill moves
            # them, any order moves buying power), once it is committed for every reader to see.
            transaction.on_commit(lambda: account_reads_forget(account))
            transaction.on_commit(lambda: order_status_committed.send(sender=Order, order_id=order_id,
                                                                      account_id=account.pk))


# What Order.set_status itself changes.
_STATUS_FIELDS = ("status", "status_changed_at", "status_reason", "terminal_at", "submitted_at", "updated_at")


def _save_fields(order: Order, names: list[str]) -> None:
    """order.save(update_fields=names), its UPDATE compiled once per set of fields (core.hot_queries): each
    acknowledgement saves the same few. Values other than text, integers and times go through save()."""
    from django.db import DatabaseError

    from core.hot_queries import hot_update

    fields = [order._meta.get_field(name) for name in names]
    values = [field.pre_save(order, False) for field in fields]  # auto_now's time, as save() sets it
    if any(isinstance(v, bool) or not isinstance(v, (str, int, datetime, type(None))) for v in values):
        order.save(update_fields=names)
        return
    given = tuple(v is not None for v in values)  # an empty field is written as NULL, not a parameter

    def build(pk, *new):
        it = iter(new)
        return Order.objects.filter(pk=pk), {f.name: next(it) if g else None for f, g in zip(fields, given)}

    if not hot_update(("order_fields", tuple(names), given), build, order.pk, *(v for v in values if v is not None)):
        raise DatabaseError("Save with update_fields did not affect any rows.")


class Fill(models.Model):
    """One execution. Tiger's order object carries cumulative filled quantity and average price, so
    an execution is derived from each observed increase (execution_id = broker id : cumulative)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="fills")
    execution_id = models.CharField(max_length=80)
    quantity = models.DecimalField(**QTY)
    price = models.DecimalField(**PRICE)
    currency = models.CharField(max_length=3)
    executed_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["executed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "execution_id"], name="fill_once_per_execution")]

    def __str__(self):
        return f"{self.quantity.normalize():f} @ {self.price.normalize():f} {self.currency}"


class LimitsMode(models.TextChoices):
    BASE = "base", "One base currency (other currencies converted at Tiger's FX rates)"
    PER_CURRENCY = "per_currency", "Limits per currency (orders in a currency without limits are refused)"


# The money limits a currency can have in RiskPolicy.currency_limits (per-currency mode).
CURRENCY_LIMIT_KEYS = ("max_order_notional", "max_open_exposure")
CURRENCY_LIMITS_EXAMPLE = '{"HKD": {"max_order_notional": "780000", "max_open_exposure": "1950000"}}'


def _money_text(value) -> str | None:
    """A positive amount as canonical text, or None when it is not one (floats go through their text)."""
    from decimal import InvalidOperation

    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal(10) ** 18:
        return None
    return format(amount.normalize(), "f")


def currency_limits_clean(raw, *, mode: str, currency: str) -> dict:
    """The per-currency limits table validated: {CCY: {max_order_notional, max_open_exposure}} with
    positive Decimal amounts kept as text. Raises ValidationError saying how to fix it."""
    from django.core.exceptions import ValidationError

    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValidationError(f"Write the limits as an object keyed by currency, e.g. {CURRENCY_LIMITS_EXAMPLE}.")
    if raw and mode != LimitsMode.PER_CURRENCY:
        raise ValidationError("Limits per currency apply only when the limits mode is 'Limits per currency': "
                              "choose that mode, or empty this field ({}) to convert every order into "
                              f"{currency} at Tiger's rates.")
    clean = {}
    for code, limits in raw.items():
        ccy = str(code).strip().upper()
        if len(ccy) != 3 or not ccy.isalpha():
            raise ValidationError(f"{code!r} is not a currency code: use three letters such as USD, HKD or CNH.")
        if ccy == currency.upper():
            raise ValidationError(f"{ccy} is this policy's currency: its limits are the Max order notional and Max "
                                  f"open exposure fields. Remove {ccy} from this table.")
        if ccy in clean:
            raise ValidationError(f"{ccy} is listed twice; keep one entry.")
        if not isinstance(limits, dict) or set(limits) != set(CURRENCY_LIMIT_KEYS):
            raise ValidationError(f"{ccy} needs exactly max_order_notional and max_open_exposure, e.g. "
                                  f"{CURRENCY_LIMITS_EXAMPLE}.")
        amounts = {}
        for key in CURRENCY_LIMIT_KEYS:
            text = _money_text(limits[key])
            if text is None:
                raise ValidationError(f"{ccy} {key} must be a positive amount, like \"780000\" "
                                      f"(got {limits[key]!r}).")
            amounts[key] = text
        clean[ccy] = amounts
    return dict(sorted(clean.items()))


def _symbols(text: str) -> list[str]:
    return sorted({s.strip().upper() for s in text.replace(",", " ").split() if s.strip()})


class RiskPolicy(models.Model):
    """Per-account limits, edited in admin. Each save (risk_policy_save) bumps `version`, keeps a
    snapshot in RiskPolicyVersion and writes an audit event; orders record the version they passed."""

    account = models.OneToOneField("accounts.TigerAccount", on_delete=models.CASCADE, related_name="risk_policy")
    version = models.PositiveIntegerField(default=0, editable=False)
    currency = models.CharField(
        max_length=3, default="USD",
        help_text="Base mode: the one currency of the money limits; an order in another currency is converted at "
                  "Tiger's FX rates. Per-currency mode: the currency of the limits below and of the daily loss limit.")
    limits_mode = models.CharField(
        max_length=12, choices=LimitsMode.choices, default=LimitsMode.BASE,
        help_text="How orders in other currencies meet the money limits: converted into the currency above, or "
                  "against their own currency's limits (orders in a currency without limits are refused).")
    currency_limits = models.JSONField(
        default=dict, blank=True,
        help_text='Per-currency mode only: money limits of the other currencies, e.g. {"HKD": {"max_order_notional": '
                  '"780000", "max_open_exposure": "1950000"}, "CNH": {"max_order_notional": "720000", '
                  '"max_open_exposure": "1800000"}}. The limits in the currency above are the fields below.')
    max_order_quantity = models.DecimalField(default=Decimal("1000"), **QTY)
    max_order_notional = models.DecimalField(default=Decimal("100000"), **MONEY)
    price_collar_pct = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("10"),
        help_text="Refuse limit prices more than this % through the last quote (IBKR uses 10 for stocks).")
    allowed_symbols = models.TextField(blank=True, help_text="Blank: every symbol. Otherwise a comma/space list.")
    denied_symbols = models.TextField(blank=True, help_text="Comma/space list; wins over the allow list.")
    allowed_order_types = models.CharField(max_length=60, default="MKT,LMT,STP,STP_LMT,TRAIL")
    allowed_markets = models.CharField(max_length=60, default="US")
    max_orders_per_minute = models.PositiveIntegerField(default=30)
    duplicate_window_seconds = models.PositiveIntegerField(
        default=10, help_text="Refuse an order with the same symbol, side and quantity within this many seconds.")
    daily_loss_limit = models.DecimalField(
        null=True, blank=True, default=Decimal("10000"), **MONEY,
        help_text="Loss since the day's starting net liquidation; once reached, closing orders only. Blank: off.")
    max_open_exposure = models.DecimalField(
        default=Decimal("250000"), **MONEY,
        help_text="Notional of all open and pending orders (remaining quantity × entry price) plus the new one.")
    max_option_contracts = models.PositiveIntegerField(
        default=10, help_text="Most option contracts in one order (the share limit above is for stocks).")
    allow_naked_short_calls = models.BooleanField(
        default=False, help_text="Allow selling calls not covered by shares (a multiplier's worth per contract) "
                                 "or by long calls of the same contract. Unlimited risk: leave off unless intended.")
    max_future_contracts = models.PositiveIntegerField(
        default=5, help_text="Most futures contracts in one order (the share limit above is for stocks).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "risk policies"

    def __str__(self):
        return f"Risk policy v{self.version} for {self.account.account_number}"

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        self.currency = (self.currency or "").strip().upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValidationError({"currency": "Use a three-letter currency code such as USD, HKD or CNH."})
        try:
            self.currency_limits = currency_limits_clean(self.currency_limits, mode=self.limits_mode,
                                                         currency=self.currency)
        except ValidationError as exc:
            raise ValidationError({"currency_limits": exc.messages}) from None

    def snapshot(self) -> dict:
        return {
            "version": self.version,
            "currency": self.currency,
            "limits_mode": self.limits_mode,
            "currency_limits": {c: dict(v) for c, v in sorted((self.currency_limits or {}).items())},
            "max_order_quantity": str(self.max_order_quantity),
            "max_order_notional": str(self.max_order_notional),
            "price_collar_pct": str(self.price_collar_pct),
            "allowed_symbols": _symbols(self.allowed_symbols),
            "denied_symbols": _symbols(self.denied_symbols),
            "allowed_order_types": _symbols(self.allowed_order_types),
            "allowed_markets": _symbols(self.allowed_markets),
            "max_orders_per_minute": self.max_orders_per_minute,
            "duplicate_window_seconds": self.duplicate_window_seconds,
            "daily_loss_limit": None if self.daily_loss_limit is None else str(self.daily_loss_limit),
            "max_open_exposure": str(self.max_open_exposure),
            "max_option_contracts": self.max_option_contracts,
            "allow_naked_short_calls": self.allow_naked_short_calls,
            "max_future_contracts": self.max_future_contracts,
        }


class RiskPolicyVersion(models.Model):
    policy = models.ForeignKey(RiskPolicy, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_at = models.DateTimeField()
    actor_label = models.CharField(max_length=200)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["policy", "version"], name="one_snapshot_per_policy_version")]

    def __str__(self):
        return f"Policy v{self.version} of {self.policy.account}"


class AccountTradingState(models.Model):
    """One row per account, locked (select_for_update) while an order is checked against the
    account's limits and its PENDING_SUBMIT row inserted: order entry on one account is serial."""

    account = models.OneToOneField("accounts.TigerAccount", on_delete=models.CASCADE, related_name="trading_state")
    trading_day = models.DateField(null=True, blank=True)
    day_start_equity = models.DecimalField(null=True, blank=True, **MONEY)
    equity_currency = models.CharField(max_length=3, blank=True)
    closing_only_day = models.DateField(null=True, blank=True,
                                        help_text="The daily loss limit was reached on this day: closing orders only.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Trading state of {self.account_id}"


class ConfirmAction(models.TextChoices):
    PLACE = "place", "Place"
    MODIFY = "modify", "Modify"
    CANCEL = "cancel", "Cancel"


class ConfirmationToken(models.Model):
    """A single-use token from a preview, bound to the account, the previewer and the hash of the exact order.
    Only the token's SHA-256 is stored; used_at is set by one conditional UPDATE (single use)."""

    token_hash = models.CharField(max_length=64, unique=True)
    action = models.CharField(max_length=8, choices=ConfirmAction.choices)
    account = models.ForeignKey("accounts.TigerAccount", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField()
    payload_hash = models.CharField(max_length=64)
    risk_decision = models.JSONField(default=dict, blank=True)
    actor_label = models.CharField(max_length=200)
    # Actor.identity of the previewer: only they may confirm (another caller with trade on the
    # account cannot place an order someone else previewed).
    actor_identity = models.CharField(max_length=220, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.action} token for {self.account_id} ({'used' if self.used_at else 'unused'})"


class KillSwitch(models.Model):
    """A row with no account is the global switch. Every process reads it from the database."""

    # "global" or "account:<pk>": one row per scope, enforced by the database.
    scope = models.CharField(max_length=40, unique=True, editable=False)
    account = models.OneToOneField("accounts.TigerAccount", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="kill_switch")
    active = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True)
    changed_by = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "kill switches"

    def __str__(self):
        scope = self.account.account_number if self.account_id else "GLOBAL"
        return f"Kill switch {scope}: {'ON' if self.active else 'off'}"


class AlertKind(models.TextChoices):
    BROKER_ID_CONFLICT = "broker_id_conflict", "Broker id already bound to another order"
    REFERENCE_MISMATCH = "reference_mismatch", "Broker order does not carry our reference"
    UNIDENTIFIED_MATCH = "unidentified_match", "Broker order without our reference may be this order"


class OrderAlert(models.Model):
    """Something about an order that the product refused to act on and a person must look at: it
    shows on the admin home page and in /health until an operator resolves it."""

    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    account = models.ForeignKey("accounts.TigerAccount", on_delete=models.CASCADE, related_name="order_alerts")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    broker_id = models.CharField(max_length=40, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open alert per order, kind and broker id: reconciliation passes do not pile them up.
            models.UniqueConstraint(fields=["order", "kind", "broker_id"], condition=Q(resolved_at__isnull=True),
                                    name="one_open_alert_per_order_kind_broker_id"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: order {self.order_id} ({self.broker_id or 'no broker id'})"
