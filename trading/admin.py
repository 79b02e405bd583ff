"""Admin: a door onto trading.services. Orders are read-only (money, state, timestamps); one-way
moves go through actions that call the services. Risk policy saves go through risk_policy_save
(new version + audit); the kill switch through kill_switch_set (which also cancels working orders)."""

from django.contrib import admin, messages

from accounts.admin import TigerAccountAdmin, admin_actor
from accounts.models import TigerAccount
from core.errors import ApplicationError
from trading import services
from trading.models import Fill, KillSwitch, Order, OrderAlert, RiskPolicy, RiskPolicyVersion


class FillInline(admin.TabularInline):
    model = Fill
    extra = 0
    can_delete = False
    readonly_fields = ["execution_id", "quantity", "price", "currency", "executed_at", "recorded_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "account", "symbol", "side", "quantity", "order_type", "limit_price", "status",
                    "filled_quantity", "avg_fill_price", "currency", "broker_id", "door", "created_at"]
    list_filter = ["status", "side", "order_type", "door"]
    search_fields = ["symbol", "broker_id", "client_ref", "idempotency_key", "account__account_number"]
    list_select_related = ["account"]
    inlines = [FillInline]
    actions = ["cancel_orders", "reconcile_accounts"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
    list_display = ["account", "version", "max_order_quantity", "max_order_notional", "price_collar_pct",
                    "max_orders_per_minute", "daily_loss_limit", "max_open_exposure", "currency", "updated_at"]
    list_select_related = ["account"]
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

    @admin.action(description="Turn the GLOBAL kill switch ON (cancels working orders)")
    def turn_on_global(self, request, queryset):
        try:
            self._report(request, services.kill_switch_set(actor=admin_actor(request), active=True, reason="admin"))
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description="Turn the GLOBAL kill switch off")
    def turn_off_global(self, request, queryset):
        try:
            self._report(request, services.kill_switch_set(actor=admin_actor(request), active=False))
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)


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


class TradingAccountAdmin(TigerAccountAdmin):
    """The account admin with trading's per-account kill switch (trading knows accounts; not the reverse)."""

    actions = [*TigerAccountAdmin.actions, "kill_switch_on", "kill_switch_off"]

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
