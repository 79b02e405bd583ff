"""The admin's number display (core.formatting) as template filters for marketdata's pages."""

from django import template

from core.formatting import format_money, format_percent, format_price, format_quantity

register = template.Library()
register.filter("money", format_money)
register.filter("price", format_price)
register.filter("quantity", format_quantity)
register.filter("percent", format_percent)
