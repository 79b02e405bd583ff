"""The admin home's dashboard: read-only facts from the selectors, no logic of its own."""

from django import template

from marketdata.selectors import health_report, snapshot_latest
from trading.models import KillSwitch, Order, OrderStatus
from trading.selectors import order_alerts_open

register = template.Library()


@register.inclusion_tag("admin/tigermcp_dashboard.html")
def tigermcp_dashboard():
    return {
        "health": health_report(),
        "snapshot": snapshot_latest(),
        "kill_switches": KillSwitch.objects.filter(active=True).select_related("account"),
        "unknown_orders": Order.objects.filter(status=OrderStatus.UNKNOWN).count(),
        "order_alerts": list(order_alerts_open()[:20]),
        "recent_orders": Order.objects.select_related("account").order_by("-pk")[:8],
    }
