"""Response serializers every REST door shares, so the OpenAPI schema types money the same way."""

from decimal import Decimal

from rest_framework import serializers

from core.formatting import money_text, price_text


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
    """An amount rounded to its currency's decimals (core.formatting.money_text)."""
    return {"amount": money_text(amount, currency), "currency": currency}


def price(amount, currency) -> dict:
    """A price: at most 4 decimals (core.formatting.price_text)."""
    return {"amount": price_text(amount), "currency": currency}


class ChoiceField(serializers.ChoiceField):
    """A choice whose refusal lists the allowed values ('"buy" is not allowed: use one of BUY, SELL.')."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices, **kwargs)
        allowed = ", ".join(str(c) for c in self.choices)
        self.error_messages["invalid_choice"] = f'"{{input}}" is not allowed: use one of {allowed}.'
