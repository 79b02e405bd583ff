"""The admin home's dashboard and the admin's number display: read-only facts from the selectors,
no logic of their own beyond formatting."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import get_currency_precision
from django import template

from trading.selectors import dashboard_for

register = template.Library()


@register.inclusion_tag("admin/tigermcp_dashboard.html", takes_context=True)
def tigermcp_dashboard(context):
    request = context["request"]
    return {**dashboard_for(request.user, base_currency=request.GET.get("base") or None), "request": request}


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def format_money(amount, currency: str) -> str:
    """'1,128,205.13 USD': thousands separators and the currency's own number of decimals (0 for
    JPY, 3 for KWD), rounded half-even like the broker's statements."""
    value = _decimal(amount)
    if value is None:
        return "—"
    currency = (currency or "").upper()
    places = get_currency_precision(currency) if currency else 2
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return f"{value:,.{places}f} {currency}".strip()


def format_quantity(value) -> str:
    """'1' for Decimal('1.000000'), '0.5' for '0.500000', '1,200' for '1200': no trailing zeros,
    never an exponent."""
    number = _decimal(value)
    if number is None:
        return "—"
    return f"{number.normalize():,f}"


@register.filter
def money(amount, currency):
    return format_money(amount, currency)


@register.filter
def signed_money(amount, currency):
    number = _decimal(amount)
    text = format_money(number, currency)
    return f"+{text}" if number is not None and number > 0 else text


@register.filter
def quantity(value):
    return format_quantity(value)


@register.filter
def chart_points(rows):
    """Chart points for json_script (floats are fine for pixels; the figures a person reads are the
    formatted Decimals beside the chart)."""
    return [{k: (float(v) if isinstance(v, Decimal) else v.isoformat() if hasattr(v, "isoformat") else v)
             for k, v in row.items()} for row in rows or []]
