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


def format_percent(ratio) -> str:
    """A ratio as a percentage with two decimals: 0.0123 -> '1.23 %'."""
    value = as_decimal(ratio)
    if value is None:
        return "—"
    return f"{(value * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN):,.2f} %"


def format_quantity(value) -> str:
    """'1' for Decimal('1.000000'), '0.5' for '0.500000', '1,200' for '1200': no trailing zeros,
    never an exponent."""
    number = as_decimal(value)
    if number is None:
        return "—"
    return f"{number.normalize():,f}"


# Machine-readable text (API and MCP output): the same rounding as for people, no separators, no
# trailing zeros. Prices keep up to Tiger's finest tick (0.0001, US stocks under 1 USD).
PRICE_PLACES = 4


def currency_places(currency: str | None) -> int:
    return get_currency_precision(currency.upper()) if currency else 2


def _plain(value: Decimal, places: int) -> str:
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def money_text(amount, currency: str | None) -> str | None:
    """'10080010.08' for a HKD total of 10080010.08001007995…: an amount rounded half-even to its
    currency's decimals, as a plain decimal string (None when unknown)."""
    value = as_decimal(amount)
    if value is None or not value.is_finite():
        return None
    return _plain(value, currency_places(currency))


def price_text(amount) -> str | None:
    """A price as a plain decimal string with at most PRICE_PLACES decimals (None when unknown)."""
    value = as_decimal(amount)
    if value is None or not value.is_finite():
        return None
    return _plain(value, PRICE_PLACES)
