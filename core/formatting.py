"""Numbers for people: money with thousands separators and its currency's decimals, prices with
every decimal they have, quantities without trailing zeros. The admin's pages all use these."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import get_currency_precision


def as_decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def format_money(amount, currency: str) -> str:
    """'1,128,205.13 USD': thousands separators and the currency's own number of decimals (0 for
    JPY, 3 for KWD), rounded half-even like the broker's statements."""
    value = as_decimal(amount)
    if value is None:
        return "—"
    currency = (currency or "").upper()
    places = get_currency_precision(currency) if currency else 2
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return f"{value:,.{places}f} {currency}".strip()


def format_price(amount, currency: str) -> str:
    """A price keeps every decimal it has (150.1234), but at least the currency's (150.00 USD)."""
    value = as_decimal(amount)
    if value is None:
        return "—"
    places = max(get_currency_precision(currency.upper()) if currency else 2, -value.normalize().as_tuple().exponent)
    return f"{value:,.{places}f} {(currency or '').upper()}".strip()


def format_quantity(value) -> str:
    """'1' for Decimal('1.000000'), '0.5' for '0.500000', '1,200' for '1200': no trailing zeros,
    never an exponent."""
    number = as_decimal(value)
    if number is None:
        return "—"
    return f"{number.normalize():,f}"
