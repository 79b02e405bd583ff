"""Admin: a door onto trading.services. Orders are read-only (money, state, timestamps); one-way
moves go through actions that call the services. Risk policy saves go through risk_policy_save
(new version + audit); the kill switch through kill_switch_set (which also cancels working orders)."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.admin import TigerAccountAdmin, TigerAccountForm, admin_actor
from accounts.models import TigerAccount
from core.errors import ApplicationError
from core.formatting import format_money, format_price, format_quantity
from marketdata.models import AccountHealth
from marketdata.selectors import account_balances_latest
from marketdata.services import account_connection_test, account_credentials_check
from trading import selectors, services
from accounts.models import Scope
from accounts.selectors import accounts_for_actor
from trading.models import (ACTIVE, Fill, KillSwitch, OptionRight, Order, OrderAlert, OrderType, RiskPolicy,
                            RiskPolicyVersion, SecType, Side,
                            TimeInForce)
from trading.live import live_transport
from trading.risk import RiskRefused, money_notes


RISK_ROWS = [("accepted", "Accepted"), ("policy_version", "Policy version"), ("rule", "Rule"), ("limit", "Limit"),
             ("value", "Value"), ("message", "Message"), ("notional", "Notional"), ("reference_price", "Reference price"),
             ("limit_currency", "Money limits in"), ("fx_rate", "FX rate (Tiger's)"),
             ("converted_notional", "Converted notional"), ("exposure", "Open exposure with this order"),
             ("limits", "Money limits"), ("combo", "Combo (legs, net, maximum loss)"),
             ("risk_increasing", "Risk increasing"), ("closing_only_triggered", "Closing-only triggered"),
             ("checked", "Rules checked")]


LIMIT_TITLES = {"max_notional": "Max order notional", "max_open_exposure": "Max open exposure",
                "closing_only": "Daily loss limit"}


# An order page shows only its kind's contract fields: a stock none (its multiplier of 1 would read as a
# quantity), a future its last trading day and multiplier, an option all four.
# A combo its legs (and multiplier) instead of one contract; every other kind no combo fields.
COMBO_FIELDS = {"combo_type", "combo_legs"}
HIDDEN_CONTRACT_FIELDS = {SecType.STK: {"expiry", "strike", "right", "multiplier", *COMBO_FIELDS},
                          SecType.FUT: {"strike", "right", *COMBO_FIELDS}, SecType.OPT: COMBO_FIELDS,
                          SecType.MLEG: {"expiry", "strike", "right"}}
COMBO_TYPES = ("VERTICAL", "STRADDLE", "STRANGLE", "CALENDAR", "DIAGONAL", "COVERED", "PROTECTIVE")
LEG_FIELDS = ("side", "sec_type", "expiry", "strike", "right", "ratio")


def _risk_cell(key: str, value, decision: dict) -> str:
    """One value of the risk table in words: money with its currency, a rate as "1 HKD = … USD", each
    money limit with the order's amount against it."""
    currency, limit_currency = decision.get("currency") or "", decision.get("limit_currency") or ""
    if key == "notional" and currency:
        return format_money(value, currency)
    if key == "fx_rate":
        return f"1 {currency} = {value} {limit_currency}"
    if key in ("converted_notional", "exposure"):
        return format_money(value, limit_currency)
    if key == "limits":
        notes = money_notes(decision, money=format_money)
        return format_html_join(mark_safe("<br>"), "{}: {}", (
            (LIMIT_TITLES.get(rule, rule), notes.get(rule, text)) for rule, text in value.items()))
    return value


def risk_decision_table(decision: dict):
    """A risk decision (trading.risk.RiskDecision.as_dict) as a two-column table, not raw JSON."""
    if not decision:
        return "no risk decision recorded"
    rows = []
    for key, title in RISK_ROWS:
        value = decision.get(key)
        if value in (None, "", [], {}):
            continue
        if key == "combo":
            value = format_html_join(mark_safe("<br>"), "{}", ((line,) for line in (
                *value.get("legs", []), value.get("net", ""), f"maximum loss {value.get('max_loss') or 'unbounded'}")))
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        else:
            value = _risk_cell(key, value, decision)
        rows.append((title, value))
    rows += [(key, value) for key, value in decision.items() if key not in dict(RISK_ROWS) and key != "currency"]
    return format_html('<table class="risk-decision">{}</table>',
                       format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows))


# Order fields shown formatted on the order page: quantities without trailing zeros, prices with
# their currency.
FORMATTED = {"quantity": "quantity", "filled_quantity": "quantity", "limit_price": "price", "stop_price": "price",
             "reference_price": "price", "avg_fill_price": "price", "commission": "price", "strike": "price",
             "multiplier": "quantity", "amount": "price"}


class FillInline(admin.TabularInline):
    model = Fill
    extra = 0
    can_delete = False
    fields = ["execution_id", "fill_quantity", "fill_price", "executed_at", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Quantity")
    def fill_quantity(self, obj):
        return format_quantity(obj.quantity)

    @admin.display(description="Price")
    def fill_price(self, obj):
        return format_price(obj.price, obj.currency)


class ModifyForm(forms.Form):
    quantity = forms.DecimalField(required=False, min_value=0, help_text="Leave empty to keep it.")
    limit_price = forms.DecimalField(required=False, min_value=0, help_text="Leave empty to keep it.")
    stop_price = forms.DecimalField(required=False, min_value=0, help_text="Leave empty to keep it.")
    trailing_amount = forms.DecimalField(required=False, min_value=0, help_text="TRAIL orders: a new trailing amount.")
    trailing_percent = forms.DecimalField(required=False, min_value=0, help_text="TRAIL orders: a new trailing percent.")

    def clean(self):
        data = super().clean()
        if all(data.get(k) is None for k in ("quantity", "limit_price", "stop_price", "trailing_amount",
                                             "trailing_percent")):
            raise forms.ValidationError("Give a new quantity, limit price, stop price or trailing distance.")
        return data


class NewOrderForm(forms.Form):
    """What an operator types; trading.services.order_preview checks and normalises it, as for MCP and REST."""

    account = forms.ChoiceField(help_text="The accounts you may trade.")
    sec_type = forms.ChoiceField(choices=SecType.choices, initial=SecType.STK, required=False, label="Security type",
                                 help_text="An option is named by its identifier, or by symbol, expiry, strike and right; "
                                           "a future by its product (ES: the front contract) or code (ES2612) as symbol.")
    symbol = forms.CharField(max_length=20, required=False,
                             help_text="AAPL, or five digits for Hong Kong (00700); for an option, its underlying; for a "
                                       "future, ES or ES2612.")
    identifier = forms.CharField(max_length=30, required=False, label="Option identifier",
                                 help_text="Option only, from the chain: AAPL  260116C00150000 (instead of the three below).")
    expiry = forms.DateField(required=False, label="Option expiry", help_text="Option only: 2026-01-16.")
    strike = forms.DecimalField(required=False, min_value=0, label="Option strike", help_text="Option only: 150.")
    right = forms.ChoiceField(choices=[("", "—"), *OptionRight.choices], required=False, label="Option right")
    side = forms.ChoiceField(choices=Side.choices)
    quantity = forms.DecimalField(required=False, min_value=0,
                                  help_text="Shares (Hong Kong: board lots, 00700: 100), or option or futures "
                                            "contracts (each covers the contract's multiplier, 100 shares in the US).")
    amount = forms.DecimalField(required=False, min_value=0, label="Amount (instead of quantity)",
                                help_text="US stocks that trade in fractional shares: buy (or sell) this much money's "
                                          "worth, e.g. 500 USD; a MKT DAY order.")
    combo_type = forms.ChoiceField(
        choices=[("", "—"), *((c, c.title()) for c in COMBO_TYPES)], required=False, label="Combo type",
        help_text="Security type Combo: two legs on the symbol, bought or sold together at one net limit price.")
    order_type = forms.ChoiceField(choices=OrderType.choices, initial=OrderType.LMT)
    limit_price = forms.DecimalField(required=False, help_text="For LMT and STP_LMT orders; a combo's net price per "
                                                              "share: positive a debit, negative a credit (-0.80).")
    stop_price = forms.DecimalField(required=False, min_value=0, help_text="For STP and STP_LMT orders.")
    trailing_amount = forms.DecimalField(required=False, min_value=0,
                                         help_text="For TRAIL orders: trail the price by this amount …")
    trailing_percent = forms.DecimalField(required=False, min_value=0, help_text="… or by this percent (e.g. 5).")
    take_profit_price = forms.DecimalField(
        required=False, min_value=0, label="Take-profit (bracket)",
        help_text="LMT stock entries: attach a limit order on the other side at this price, above the limit price "
                  "for a BUY (below for a SELL). Tiger holds it until the entry fills.")
    stop_loss_price = forms.DecimalField(
        required=False, min_value=0, label="Stop-loss (bracket)",
        help_text="… and/or a stop order on the other side at this price, below the limit price for a BUY (above "
                  "for a SELL). One leg filling cancels the other.")
    time_in_force = forms.ChoiceField(choices=TimeInForce.choices, initial=TimeInForce.DAY)
    expire_time = forms.DateTimeField(required=False, label="Expires (GTD)",
                                      help_text="For GTD orders, in UTC: 2026-12-31 21:00.")
    outside_rth = forms.BooleanField(required=False, label="Outside regular trading hours")
    oca_order_type = forms.ChoiceField(
        choices=[("", "—"), ("LMT", "LMT"), ("STP", "STP"), ("STP_LMT", "STP_LMT")], required=False,
        label="OCA: other order type", help_text="An OCA group: another order on this stock and side, working with "
                                                 "this one; the first to fill cancels the other.")
    oca_limit_price = forms.DecimalField(required=False, min_value=0, label="OCA: its limit price")
    oca_stop_price = forms.DecimalField(required=False, min_value=0, label="OCA: its stop price")
    oca_quantity = forms.DecimalField(required=False, min_value=0, label="OCA: its quantity",
                                      help_text="Leave empty for this order's quantity.")
    trading_session_type = forms.ChoiceField(
        choices=[("", "Regular"), ("OVERNIGHT", "Overnight")], required=False, label="Session",
        help_text="Overnight: Tiger's US overnight session, 20:00 to 04:00 New York time (US stocks, LMT only).")

    def clean(self):
        data = super().clean()
        # Blank option fields are absent ones: the service then sees a stock order as before.
        for name in ("sec_type", "identifier", "expiry", "strike", "right", "amount", "combo_type",
                     "trading_session_type"):
            if data.get(name) in ("", None):
                data[name] = None
        # A combo's legs: the filled-in leg rows, as every door gives them (the service says what is missing).
        legs = []
        for n in (1, 2):
            leg = {name: data.pop(f"leg{n}_{name}", None) for name in LEG_FIELDS}
            leg = {k: v for k, v in leg.items() if v not in ("", None)}
            if set(leg) - {"side", "sec_type"} or leg.get("sec_type") == "STK":
                legs.append(leg)
        other = {"order_type": data.pop("oca_order_type", None), "limit_price": data.pop("oca_limit_price", None),
                 "stop_price": data.pop("oca_stop_price", None), "quantity": data.pop("oca_quantity", None)}
        data["oca_orders"] = [other] if any(v not in ("", None) for v in other.values()) else None
        data["legs"] = legs if data.get("sec_type") == SecType.MLEG or data.get("combo_type") else None
        if data["legs"] is None:
            data["combo_type"] = None
        return data

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The combo's two legs, after the combo type: side, option or stock, and the option's contract.
        fields = list(self.fields.items())
        at = [name for name, _ in fields].index("combo_type") + 1
        legs = []
        for n in (1, 2):
            legs += [
                (f"leg{n}_side", forms.ChoiceField(choices=Side.choices, required=False, label=f"Leg {n} side")),
                (f"leg{n}_sec_type", forms.ChoiceField(choices=[("OPT", "Option"), ("STK", "Stock (the symbol)")],
                                                       required=False, label=f"Leg {n} is")),
                (f"leg{n}_expiry", forms.DateField(required=False, label=f"Leg {n} expiry")),
                (f"leg{n}_strike", forms.DecimalField(required=False, min_value=0, label=f"Leg {n} strike")),
                (f"leg{n}_right", forms.ChoiceField(choices=[("", "—"), *OptionRight.choices], required=False,
                                                    label=f"Leg {n} right")),
                (f"leg{n}_ratio", forms.IntegerField(required=False, min_value=1, label=f"Leg {n} ratio",
                                                     help_text="Contracts per combo (default 1); a stock leg's shares "
                                                               "(default 100)." if n == 2 else "")),
            ]
        self.fields = dict(fields[:at] + legs + fields[at:])
        self.fields["account"].choices = [(a.account_number, f"{a.label} ({a.account_number}, {a.environment})")
                                          for a in accounts]
        default = next((a.account_number for a in accounts if a.is_default), None)
        if default:
            self.fields["account"].initial = default


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    # Few, narrow columns: the status stays on screen without scrolling sideways.
    list_display = ["id", "account", "order_summary", "status", "filled", "door", "created_at"]
    list_filter = ["status", "side", "order_type", "door"]
    search_fields = ["symbol", "broker_id", "client_ref", "idempotency_key", "account__account_number"]
    list_select_related = ["account"]
    inlines = [FillInline]
    actions = ["cancel_orders", "reconcile_accounts"]
    change_form_template = "admin/trading/order/change_form.html"

    def get_queryset(self, request):
        # Staff see the orders of the accounts their grants let them read, as on the dashboard.
        return selectors.orders_visible_to(admin_actor(request), super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        shown = {"risk_decision": "risk_decision_shown", **{name: f"{name}_shown" for name in FORMATTED}}
        hidden = set() if obj is None else HIDDEN_CONTRACT_FIELDS.get(obj.sec_type, set())
        return [*(shown.get(f.name, f.name) for f in Order._meta.fields if f.name not in hidden), "audit_trail"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description="Order", ordering="symbol")
    def order_summary(self, obj):
        return selectors.order_summary_text(obj)

    @admin.display(description="Filled")
    def filled(self, obj):
        return selectors.order_filled_text(obj)

    def changelist_view(self, request, extra_context=None):
        # The feed's cursor is read before the list: a change committed in between shows as an update.
        extra_context = {**(extra_context or {}), "live_transport": live_transport(),
                         "live_cursor": selectors.order_changes_cursor(),
                         "live_changes_url": reverse("admin:trading_order_changes")}
        return super().changelist_view(request, extra_context)

    def changes_view(self, request):
        """The change feed the list polls when there is no cross-process channel layer: ?after=<cursor>."""
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        try:
            cursor = int(request.GET.get("after", ""))
        except ValueError:
            return JsonResponse({"error": "after must be the cursor a previous answer (or the page) gave."}, status=400)
        return JsonResponse(selectors.order_changes_since(actor=admin_actor(request), cursor=cursor))

    def __getattr__(self, name):
        # quantity_shown, limit_price_shown, …: each number formatted as FORMATTED says.
        if name.endswith("_shown") and name[:-6] in FORMATTED:
            field, kind = name[:-6], FORMATTED[name[:-6]]

            def shown(obj):
                value = getattr(obj, field)
                return format_quantity(value) if kind == "quantity" else format_price(value, obj.currency)

            shown.short_description = Order._meta.get_field(field).verbose_name
            return shown
        raise AttributeError(name)

    @admin.display(description="Risk decision")
    def risk_decision_shown(self, obj):
        return risk_decision_table(obj.risk_decision)

    @admin.display(description="Audit trail")
    def audit_trail(self, obj):
        events = list(selectors.order_audit_trail(obj.pk))
        if not events:
            return "no audit events"
        rows = format_html_join("", '<tr><td><a href="{}">#{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>', (
            (reverse("admin:audit_auditevent_change", args=[e.pk]), e.seq, e.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
             e.event_type, e.door, e.actor_label) for e in events))
        return format_html('<table class="audit-trail"><thead><tr><th>Seq</th><th>At</th><th>Event</th><th>Door</th>'
                           '<th>By</th></tr></thead><tbody>{}</tbody></table>', rows)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "working_statuses": sorted(ACTIVE)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        own = [path("new/", self.admin_site.admin_view(self.new_order_view), name="trading_order_new"),
               path("changes/", self.admin_site.admin_view(self.changes_view), name="trading_order_changes"),
               path("<int:order_id>/cancel/", self.admin_site.admin_view(self.cancel_view), name="trading_order_cancel"),
               path("<int:order_id>/modify/", self.admin_site.admin_view(self.modify_view), name="trading_order_modify")]
        return own + super().get_urls()

    def _order_or_404(self, request, order_id):
        order = self.get_object(request, str(order_id))
        if order is None or not self.has_view_permission(request, order):
            raise DjangoPermissionDenied
        return order

    def _page(self, request, order, template, **extra):
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "order": order,
                   "original": order, "title": f"Order #{order.pk}", **extra}
        return TemplateResponse(request, template, context)

    def _back(self, order):
        return HttpResponseRedirect(reverse("admin:trading_order_change", args=[order.pk]))

    def cancel_view(self, request, order_id):
        """GET asks; POST cancels through order_cancel_by_operator (the operator's confirmation step)."""
        order = self._order_or_404(request, order_id)
        if request.method == "POST":
            try:
                order = services.order_cancel_by_operator(actor=admin_actor(request), order_id=order.pk)
            except ApplicationError as exc:
                self.message_user(request, f"Order {order.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Cancel requested for order {order.pk}: now {order.status}.")
            return self._back(order)
        return self._page(request, order, "admin/trading/order/cancel.html")

    def modify_view(self, request, order_id):
        """Change → preview (risk-checked, a confirmation token) → confirm: the same services as MCP."""
        order = self._order_or_404(request, order_id)
        actor = admin_actor(request)
        if request.method == "POST" and request.POST.get("confirmation_token"):
            try:
                order = services.order_modify(actor=actor, account_number=order.account.account_number,
                                              order_id=order.pk, confirmation_token=request.POST["confirmation_token"])
            except ApplicationError as exc:
                self.message_user(request, f"Order {order.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Order {order.pk} modified: now {format_quantity(order.quantity)} "
                                           f"{order.symbol} ({order.status}).")
            return self._back(order)
        form = ModifyForm(request.POST if request.method == "POST" else None)
        preview = error = None
        if request.method == "POST" and form.is_valid():
            try:
                preview = services.order_modify_preview(actor=actor, account_number=order.account.account_number,
                                                        order_id=order.pk, **form.cleaned_data)
            except ApplicationError as exc:
                error = exc.message
        return self._page(request, order, "admin/trading/order/modify.html", form=form, preview=preview, error=error,
                          risk=risk_decision_table(preview.risk) if preview else None,
                          new=preview.order["new"] if preview else None)

    def add_view(self, request, form_url="", extra_context=None):
        # "Add order" anywhere in the admin is the New order form: orders are entered, never typed in as rows.
        return HttpResponseRedirect(reverse("admin:trading_order_new"))

    def has_add_permission(self, request):
        # Entering an order needs a trade grant, which new_order_view's service call checks; a user
        # with none sees the form say so.
        return self.has_view_permission(request)

    def new_order_view(self, request):
        """Enter → preview (risk-checked, Tiger's preview, a confirmation token) → confirm → place: the
        services every door uses, with the confirmation token as the idempotency key (a double click
        places one order)."""
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        actor = admin_actor(request)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "New order"}
        token = request.POST.get("confirmation_token") if request.method == "POST" else None
        if token:
            number = request.POST.get("account_number", "")
            try:
                order = services.order_place(actor=actor, account_number=number, confirmation_token=token,
                                             idempotency_key=services.token_idempotency_key(token))
            except ApplicationError as exc:
                self.message_user(request, f"Order not placed: {exc.message}", messages.ERROR)
                return HttpResponseRedirect(reverse("admin:trading_order_new"))
            level = messages.ERROR if order.status in ("REJECTED", "UNKNOWN") else messages.SUCCESS
            reason = f": {order.status_reason}" if order.status_reason else ""
            self.message_user(request, f"Order {order.pk} {order.side} {format_quantity(order.quantity)} {order.symbol}: "
                                       f"{order.get_status_display()}{reason}", level)
            return HttpResponseRedirect(reverse("admin:trading_order_change", args=[order.pk]))
        accounts = list(accounts_for_actor(actor, scope=Scope.TRADE))
        form = NewOrderForm(request.POST if request.method == "POST" else None, accounts=accounts,
                            initial={"symbol": request.GET.get("symbol", ""), "side": request.GET.get("side", "BUY")})
        context.update(form=form, no_accounts=not accounts)
        closing = request.GET.get("close") if request.method == "GET" else None
        if closing:  # "Close…" on the Portfolio page: the order that takes the whole position off
            _preview_into(context, lambda: services.position_close_preview(
                actor=actor, account_number=request.GET.get("account"), symbol=closing))
        elif request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            _preview_into(context, lambda: services.order_preview(actor=actor, account_number=data.pop("account"), **data))
        return TemplateResponse(request, "admin/trading/order/new.html", context)

    @admin.action(description="Cancel selected working orders at Tiger")
    def cancel_orders(self, request, queryset):
        done = failed = 0
        actor = admin_actor(request)  # one click, one request_id across its preview and cancel events
        for order in queryset.select_related("account"):
            try:
                services.order_cancel_by_operator(actor=actor, order_id=order.pk)
                done += 1
            except ApplicationError as exc:
                failed += 1
                self.message_user(request, f"Order {order.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Cancel requested for {done} order(s); {failed} refused.")

    @admin.action(description="Reconcile the selected orders' accounts with Tiger")
    def reconcile_accounts(self, request, queryset):
        numbers = sorted(set(queryset.values_list("account__account_number", flat=True)))
        for number in numbers:
            try:
                r = services.orders_reconcile(actor=admin_actor(request), account_number=number)
                self.message_user(request, r.summary(), messages.WARNING if r.alerts else messages.INFO)
            except ApplicationError as exc:
                self.message_user(request, f"{number}: {exc.message}", messages.ERROR)


class RiskPolicyVersionInline(admin.TabularInline):
    model = RiskPolicyVersion
    extra = 0
    can_delete = False
    readonly_fields = ["version", "snapshot", "created_at", "actor_label"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RiskPolicy)
class RiskPolicyAdmin(admin.ModelAdmin):
    list_display = ["account", "version", "limits_mode", "currency", "max_quantity_shown", "max_notional_shown", "collar_shown", "max_orders_per_minute",
                    "daily_loss_shown", "max_exposure_shown", "allowed_markets", "updated_at"]
    list_select_related = ["account"]

    @admin.display(description="Max quantity", ordering="max_order_quantity")
    def max_quantity_shown(self, obj):
        return format_quantity(obj.max_order_quantity)

    @admin.display(description="Max notional", ordering="max_order_notional")
    def max_notional_shown(self, obj):
        return format_money(obj.max_order_notional, obj.currency)

    @admin.display(description="Price collar", ordering="price_collar_pct")
    def collar_shown(self, obj):
        return f"{format_quantity(obj.price_collar_pct)} %"

    @admin.display(description="Daily loss limit", ordering="daily_loss_limit")
    def daily_loss_shown(self, obj):
        return "off" if obj.daily_loss_limit is None else format_money(obj.daily_loss_limit, obj.currency)

    @admin.display(description="Max open exposure", ordering="max_open_exposure")
    def max_exposure_shown(self, obj):
        return format_money(obj.max_open_exposure, obj.currency)
    readonly_fields = ["version", "updated_at"]
    inlines = [RiskPolicyVersionInline]

    def save_model(self, request, obj, form, change):
        try:
            services.risk_policy_save(actor=admin_actor(request), policy=obj)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KillSwitch)
class KillSwitchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "active", "reason", "changed_by", "changed_at"]
    list_select_related = ["account"]
    readonly_fields = ["scope", "account", "active", "reason", "changed_by", "changed_at"]
    actions = ["turn_on_global", "turn_off_global"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _report(self, request, result):
        self.message_user(request, result.summary(), messages.WARNING if result.cancels_not_sent else messages.INFO)

    def _confirm_global(self, request, queryset, *, active: bool):
        """The global switch stops (or restarts) every account's trading: an intermediate page asks
        for a confirmation and a reason, which goes to the switch and its audit event."""
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("post") == "yes" and reason:
            try:
                self._report(request, services.kill_switch_set(actor=admin_actor(request), active=active, reason=reason))
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            return None
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "queryset": queryset,
                   "active": active, "action": request.POST.get("action"), "reason": reason,
                   "missing_reason": request.POST.get("post") == "yes", "title": "Global kill switch",
                   "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/trading/killswitch/confirm_global.html", context)

    @admin.action(description="Turn the GLOBAL kill switch ON (cancels working orders)…")
    def turn_on_global(self, request, queryset):
        return self._confirm_global(request, queryset, active=True)

    @admin.action(description="Turn the GLOBAL kill switch off…")
    def turn_off_global(self, request, queryset):
        return self._confirm_global(request, queryset, active=False)


@admin.register(OrderAlert)
class OrderAlertAdmin(admin.ModelAdmin):
    """Orders the product refused to act on because it could not identify them at Tiger."""

    list_display = ["created_at", "kind", "account", "order", "broker_id", "message", "resolved_at", "resolved_by"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["account", "order"]
    actions = ["resolve"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in OrderAlert._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark the selected alerts resolved (after checking the orders at Tiger)")
    def resolve(self, request, queryset):
        actor = admin_actor(request)
        try:
            for alert in queryset.filter(resolved_at__isnull=True):
                services.order_alert_resolve(actor=actor, alert_id=alert.pk)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, "Alerts resolved.")


CREDENTIAL_INPUTS = (*TigerAccount.SECRET_FIELDS, "account_number", "server_url", "gateway_public_key")


def _preview_into(context: dict, make_preview) -> None:
    """Run a preview service into the New order page's context: the preview and its confirm step, or
    the refusal with the risk table that refused it."""
    try:
        preview = make_preview()
    except RiskRefused as exc:
        context.update(error=exc.message, risk=risk_decision_table(exc.decision.as_dict()))
    except ApplicationError as exc:
        context["error"] = exc.message
    else:
        order = preview.order
        context.update(preview=preview, risk=risk_decision_table(preview.risk), order=order, summary=preview.preview)


class TradingAccountForm(TigerAccountForm):
    """The account form, with new credentials checked against the gateway before they are saved."""

    skip_connection_check = forms.BooleanField(
        required=False, label="Save without checking",
        help_text="Save new credentials without one signed call to the gateway (it is down, say). "
                  "Otherwise they are tried first and refused with the gateway's reason.")

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.cleaned_data.get("skip_connection_check"):
            return
        if self.instance.pk is not None and not any(name in self.changed_data for name in CREDENTIAL_INPUTS) \
                and not self.changed_secret_fields:
            return
        try:
            account_credentials_check(account=self.instance)
        except ApplicationError as exc:
            self.add_error(None, exc.message)


class AccountChangeList(ChangeList):
    def get_results(self, request):
        # Balances from the latest snapshot, one query for the page (no broker call per row).
        super().get_results(request)
        balances = account_balances_latest()
        for account in self.result_list:
            account.latest_balances = balances.get(account.account_number)


def _health_of(account) -> AccountHealth | None:
    try:
        return account.health
    except AccountHealth.DoesNotExist:
        return None


def health_shown(health: AccountHealth | None) -> str:
    if health is None or health.checked_at is None:
        return "not checked yet"
    text = health.get_status_display()
    if health.latency_ms is not None:
        text += f", {format_quantity(health.latency_ms)} ms"
    if health.consecutive_failures:
        text += f", {health.consecutive_failures} failure(s) in a row"
    return text


class TradingAccountAdmin(TigerAccountAdmin):
    """The account admin with trading's per-account kill switch (trading knows accounts; not the
    reverse), health and balances (from the health rows and the latest snapshot: no broker call per
    row), a test-connection action, and credentials checked at the gateway before they are saved."""

    form = TradingAccountForm
    list_display = ["label", "account_number", "environment", "permission", "status", "health_column",
                    "net_liquidation_column", "buying_power_column", "is_default", "live_trading_enabled"]
    list_select_related = ["health"]
    actions = [*TigerAccountAdmin.actions, "test_connection", "kill_switch_on", "kill_switch_off"]
    fieldsets = [
        *TigerAccountAdmin.fieldsets[:1],
        ("Health and balances", {"fields": ["health_and_balances"]}),
        ("Credentials (write-only)", {"fields": ["tiger_id", "private_key", "license", "credential_fingerprints",
                                                 "skip_connection_check"]}),
        *TigerAccountAdmin.fieldsets[2:],
    ]
    readonly_fields = [*TigerAccountAdmin.readonly_fields, "health_and_balances"]

    def get_changelist(self, request, **kwargs):
        return AccountChangeList

    def get_urls(self):
        own = [path("<path:object_id>/history/", self.admin_site.admin_view(self.history_view),
                    name="accounts_tigeraccount_history")]
        return own + super().get_urls()

    def history_view(self, request, object_id):
        """What Tiger records of one account, read now: daily value and P&L over ?days= (default 30),
        the newest fills, the cash ledger, deposits and withdrawals, and the assets per segment. Each
        part is read on its own, so one refused read shows its error and the rest still shows."""
        from marketdata.selectors import pnl_history_get
        from marketdata.services import cash_history_get, segment_assets_get, transfers_get

        account = self.get_object(request, object_id)
        if account is None or not self.has_view_permission(request, account):
            raise DjangoPermissionDenied
        actor, number = admin_actor(request), account.account_number
        try:
            days = min(max(int(request.GET.get("days", 30)), 1), 366)
        except ValueError:
            days = 30
        today = timezone.now().date()
        reads = {
            "pnl": lambda: pnl_history_get(actor=actor, account_number=number,
                                           start=today - timedelta(days=days), end=today)[1],
            "fills": lambda: selectors.fills_list(actor=actor, account_number=number, limit=50)[1],
            "cash": lambda: cash_history_get(actor=actor, account_number=number, start=today - timedelta(days=days),
                                             end=today, limit=50)[1],
            "transfers": lambda: transfers_get(actor=actor, account_number=number)[1],
            "segments": lambda: segment_assets_get(actor=actor, account_number=number)[1],
        }
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": account,
                   "title": f"History of {account.label} ({number})", "days": days, "errors": {}}
        for name, read in reads.items():
            try:
                context[name] = read()
            except ApplicationError as exc:
                context["errors"][name] = exc.message
        return TemplateResponse(request, "admin/accounts/tigeraccount/history.html", context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("health")

    @admin.display(description="Health")
    def health_column(self, obj):
        return health_shown(_health_of(obj))

    @admin.display(description="Net liquidation")
    def net_liquidation_column(self, obj):
        b = getattr(obj, "latest_balances", None)
        if not b:
            return "—"
        return "snapshot error" if "error" in b else format_money(b["net_liquidation"], b["currency"])

    @admin.display(description="Buying power")
    def buying_power_column(self, obj):
        b = getattr(obj, "latest_balances", None)
        return format_money(b["buying_power"], b["currency"]) if b and "error" not in b else "—"

    @admin.display(description="Health and balances")
    def health_and_balances(self, obj):
        if obj.pk is None:
            return "—"
        health = _health_of(obj)
        rows = [("Health", health_shown(health))]
        if health is not None and health.checked_at is not None:
            rows.append(("Checked at", health.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC")))
            if health.status != "ok" and health.last_error:
                rows.append(("Last error", health.last_error))
        b = account_balances_latest().get(obj.account_number)
        if b is None:
            rows.append(("Balances", "not in the latest portfolio snapshot"))
        elif "error" in b:
            rows.append(("Balances", f"the latest snapshot could not read this account: {b['error']}"))
        else:
            cur = b["currency"]
            rows += [("Net liquidation", format_money(b["net_liquidation"], cur)), ("Cash", format_money(b["cash"], cur)),
                     ("Buying power", format_money(b["buying_power"], cur)),
                     ("Unrealized P&L", format_money(b["unrealized_pnl"], cur)),
                     ("Realized P&L", format_money(b["realized_pnl"], cur)),
                     ("Positions", format_quantity(b["positions"])),
                     ("Snapshot of", b["taken_at"].strftime("%Y-%m-%d %H:%M UTC"))]
        return format_html('<table id="account-health-balances">{}</table>',
                           format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows))

    @admin.action(description="Test the connection to Tiger for selected accounts")
    def test_connection(self, request, queryset):
        actor = admin_actor(request)
        for account in queryset:
            health = account_connection_test(actor=actor, account=account)
            if health.status == "ok":
                self.message_user(request, f"{account.account_number}: connection OK ({health.latency_ms} ms).")
            else:
                self.message_user(request, f"{account.account_number}: {health.get_status_display()}: {health.last_error}",
                                  messages.ERROR)

    def _kill_switch(self, request, queryset, *, active: bool):
        for account in queryset:
            try:
                result = services.kill_switch_set(actor=admin_actor(request), active=active, account_number=account.account_number,
                                         reason="admin action")
            except ApplicationError as exc:
                self.message_user(request, f"{account.account_number}: {exc.message}", messages.ERROR)
                continue
            # A read-only deployment records the switch but leaves working orders at Tiger: say so loudly.
            self.message_user(request, result.summary(),
                              messages.WARNING if result.cancels_not_sent else messages.INFO)

    @admin.action(description="Kill switch ON for selected accounts (refuse new orders, cancel working ones)")
    def kill_switch_on(self, request, queryset):
        self._kill_switch(request, queryset, active=True)

    @admin.action(description="Kill switch off for selected accounts")
    def kill_switch_off(self, request, queryset):
        self._kill_switch(request, queryset, active=False)


admin.site.unregister(TigerAccount)
admin.site.register(TigerAccount, TradingAccountAdmin)
