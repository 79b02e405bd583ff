import csv

from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from accounts.admin import admin_actor
from core.errors import ApplicationError
from core.formatting import format_money

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
    list_display = ("taken_at", "net_liquidation_shown", "cash_shown", "market_value_shown", "accounts_ok", "accounts_failed", "duration_ms")
    date_hierarchy = "taken_at"

    @admin.display(description="Net liquidation", ordering="net_liquidation")
    def net_liquidation_shown(self, obj):
        return format_money(obj.net_liquidation, obj.base_currency)

    @admin.display(description="Cash", ordering="cash")
    def cash_shown(self, obj):
        return format_money(obj.cash, obj.base_currency)

    @admin.display(description="Market value", ordering="market_value")
    def market_value_shown(self, obj):
        return format_money(obj.market_value, obj.base_currency)

    def get_urls(self):
        # The Portfolio page hangs off the snapshot admin: same app, same staff-only admin_view.
        own = [path("positions/", self.admin_site.admin_view(self.positions_view), name="marketdata_positions")]
        return own + super().get_urls()

    def positions_view(self, request):
        """Positions across the accounts the user may read, grouped by symbol or by account, from the
        latest snapshot (no broker call per account) or, with ?source=live or before any snapshot,
        read from Tiger now (portfolio_aggregate); ?format=csv downloads one row per account and symbol."""
        from marketdata.selectors import snapshot_latest
        from marketdata.services import portfolio_aggregate, portfolio_from_snapshot

        group = request.GET.get("group", "symbol")
        if group not in ("symbol", "account"):
            group = "symbol"
        snapshot = None if request.GET.get("source") == "live" else snapshot_latest()
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Positions",
                   "group": group, "base": (request.GET.get("base") or "USD").upper(),
                   "source": "snapshot" if snapshot is not None else "live"}
        try:
            if snapshot is not None:
                aggregate = portfolio_from_snapshot(actor=admin_actor(request), snapshot=snapshot,
                                                    base_currency=context["base"])
            else:
                # "Read now from Tiger" means now: no per-account snapshot, however young.
                aggregate = portfolio_aggregate(actor=admin_actor(request), base_currency=context["base"],
                                                fresh_only=request.GET.get("source") == "live")
        except ApplicationError as exc:
            context["error"] = exc.message
            return TemplateResponse(request, "admin/marketdata/positions.html", context)
        if request.GET.get("format") == "csv":
            return positions_csv(aggregate)
        context.update(aggregate=aggregate, base=aggregate.base_currency)
        return TemplateResponse(request, "admin/marketdata/positions.html", context)


CSV_COLUMNS = ["account_number", "label", "symbol", "sec_type", "market", "currency", "quantity", "average_cost",
               "latest_price", "market_value", "unrealized_pnl"]


def positions_csv(aggregate) -> HttpResponse:
    """Every position as one row per account and symbol, Decimals as written (no float rounding)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="positions-{aggregate.as_of:%Y%m%dT%H%MZ}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for acc in aggregate.accounts:
        for p in acc.positions:
            writer.writerow([acc.account_number, acc.label, p.symbol, p.sec_type, p.market or "", p.currency,
                             *("" if v is None else str(v) for v in (p.quantity, p.average_cost, p.latest_price,
                                                                     p.market_value, p.unrealized_pnl))])
    for error in aggregate.errors:
        writer.writerow([error.account_number, error.label, "", "", "", "", "", "", "", "", f"error: {error.message}"])
    return response
