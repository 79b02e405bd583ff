"""Response serializers every REST door shares, so the OpenAPI schema types money the same way."""

from decimal import Decimal

from rest_framework import serializers


class MoneyOut(serializers.Serializer):
    amount = serializers.CharField(allow_null=True, help_text="Decimal string; null when the broker did not report it.")
    currency = serializers.CharField()


def decimal_text(value) -> str | None:
    """A Decimal as a plain string (no exponent, no storage padding), None as None."""
    if value is None:
        return None
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    if not value.is_finite():
        return None
    text = format(value.normalize(), "f")
    return text


def money(amount, currency) -> dict:
    return {"amount": decimal_text(amount), "currency": currency}
