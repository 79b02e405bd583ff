from decimal import Decimal

import pytest

from broker.types import BAD_SYMBOL

from trading import intents
from trading.intents import normalise_intent
from core.errors import InvalidInput


def test_equal_orders_hash_alike_whatever_the_spelling():
    a = normalise_intent(account_number="A", symbol=" aapl", side="buy", quantity="10.0", order_type="lmt", limit_price="187.50")
    b = normalise_intent(account_number="A", symbol="AAPL", side="BUY", quantity=10, order_type="LMT", limit_price=187.5)
    assert a == b and a.hash() == b.hash()
    assert a.canonical()["quantity"] == "10" and a.canonical()["limit_price"] == "187.5"


@pytest.mark.parametrize("change", [{"quantity": 11}, {"limit_price": "187.51"}, {"side": "SELL"}, {"symbol": "MSFT"},
                                    {"account_number": "B"}, {"time_in_force": "GTC"}, {"outside_rth": True}])
def test_any_real_difference_changes_the_hash(change):
    base = dict(account_number="A", symbol="AAPL", side="BUY", quantity=10, order_type="LMT", limit_price="187.5")
    assert normalise_intent(**base).hash() != normalise_intent(**{**base, **change}).hash()


def test_round_trip_through_canonical():
    a = normalise_intent(account_number="A", symbol="AAPL", side="SELL", quantity=3, order_type="STP_LMT",
                         limit_price="99", stop_price="100")
    assert intents.OrderIntent.from_canonical(a.canonical()) == a


@pytest.mark.parametrize("kwargs, message", [
    ({"side": "HOLD"}, intents.BAD_SIDE.format(value="HOLD")),
    ({"order_type": "LMT", "limit_price": None}, intents.NEEDS_LIMIT.format(order_type="LMT")),
    ({"order_type": "MKT", "limit_price": "10"}, intents.NO_LIMIT_HERE),
    ({"quantity": "-1"}, intents.BAD_DECIMAL.format(field="quantity", value="-1")),
    ({"quantity": "1.5"}, intents.FRACTION_TERMS.format(what="A fractional quantity (1.5)", got="LMT, DAY")),
    ({"quantity": "1.5", "symbol": "00700"}, intents.WHOLE_SHARES.format(value="1.5")),
    ({"quantity": "NaN"}, intents.BAD_DECIMAL.format(field="quantity", value="NaN")),
    ({"symbol": "AA PL;"}, BAD_SYMBOL.format(symbol="AA PL;")),
    ({"sec_type": "OPT"}, intents.OPTION_NEEDS_CONTRACT),  # an option without its contract
    ({"sec_type": "WAR"}, intents.BAD_SEC_TYPE.format(value="WAR")),  # warrants are not traded here
])
def test_bad_orders_are_refused_with_a_fixable_message(kwargs, message):
    base = dict(account_number="A", symbol="AAPL", side="BUY", quantity=10, order_type="LMT", limit_price="187.5")
    with pytest.raises(InvalidInput) as err:
        normalise_intent(**{**base, **kwargs})
    assert err.value.message == message


def test_quantities_are_decimal():
    assert isinstance(normalise_intent(account_number="A", symbol="X", side="BUY", quantity=1, order_type="MKT").quantity, Decimal)


@pytest.mark.parametrize("symbol, market, currency", [("00700", "HK", "HKD"), ("aapl", "US", "USD")])
def test_market_and_currency_default_to_the_symbols(symbol, market, currency):
    intent = normalise_intent(account_number="A", symbol=symbol, side="BUY", quantity=100, order_type="MKT")
    assert (intent.market, intent.currency) == (market, currency)
    given = normalise_intent(account_number="A", symbol=symbol, side="BUY", quantity=100, order_type="MKT",
                             market="us", currency="usd")
    assert (given.market, given.currency) == ("US", "USD")
