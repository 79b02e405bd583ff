"""The admin home's dashboard: read-only facts from the selectors, no logic of its own."""

from django import template

from trading.selectors import dashboard_for

register = template.Library()


@register.inclusion_tag("admin/tigermcp_dashboard.html", takes_context=True)
def tigermcp_dashboard(context):
    return dashboard_for(context["request"].user)
