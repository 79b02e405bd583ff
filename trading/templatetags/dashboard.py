"""The admin home's dashboard and the admin's number display: read-only facts from the selectors,
no logic of their own beyond formatting."""

from decimal import Decimal

from django import template

from core.formatting import as_decimal, format_money, format_price, format_quantity
from trading.selectors import dashboard_for

register = template.Library()


@register.inclusion_tag("admin/tigermcp_dashboard.html", takes_context=True)
def tigermcp_dashboard(context):
    request = context["request"]
    return {**dashboard_for(request.user, base_currency=request.GET.get("base") or None), "request": request}


@register.filter
def money(amount, currency):
    return format_money(amount, currency)


@register.filter
def signed_money(amount, currency):
    number = as_decimal(amount)
    text = format_money(number, currency)
    return f"+{text}" if number is not None and number > 0 else text


@register.filter
def price(amount, currency):
    return format_price(amount, currency)


@register.filter
def quantity(value):
    return format_quantity(value)


@register.filter
def chart_points(rows):
    """Chart points for json_script (floats are fine for pixels; the figures a person reads are the
    formatted Decimals beside the chart)."""
    return [{k: (float(v) if isinstance(v, Decimal) else v.isoformat() if hasattr(v, "isoformat") else v)
             for k, v in row.items()} for row in rows or []]
