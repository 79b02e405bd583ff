from django.contrib import admin, messages

from marketdata.models import AccountHealth, HealthStatus, PortfolioSnapshot
from core.admin_readonly import ReadOnlyAdmin


@admin.register(AccountHealth)
class AccountHealthAdmin(ReadOnlyAdmin):
    list_display = ("account", "status", "latency_ms", "consecutive_failures", "checked_at", "last_ok_at", "last_error_code")
    list_filter = ("status",)
    list_select_related = ("account",)
    search_fields = ("account__account_number", "account__label")
    actions = ["check_now"]

    @admin.action(description="Run a health check now")
    def check_now(self, request, queryset):
        from marketdata.services import account_health_check

        results = [account_health_check(account=h.account) for h in queryset.select_related("account")]
        ok = sum(1 for h in results if h.status == HealthStatus.OK)
        level = messages.SUCCESS if ok == len(results) else messages.WARNING
        self.message_user(request, f"Checked {len(results)} account(s): {ok} ok, {len(results) - ok} failing.", level)


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("taken_at", "net_liquidation", "base_currency", "cash", "market_value", "accounts_ok", "accounts_failed", "duration_ms")
    date_hierarchy = "taken_at"
