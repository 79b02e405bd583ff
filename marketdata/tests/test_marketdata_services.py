import time
from datetime import date
from decimal import Decimal

import pytest

from accounts.actors import Actor
from broker.quotes import TOO_MANY_SYMBOLS
from marketdata.services import (
    BAD_PERIOD,
    bars_get,
    contract_get,
    market_status_get,
    option_chain_get,
    option_expirations_get,
    quotes_get,
    trade_ticks_get,
)
from core.errors import InvalidInput

from marketdata.tests.factories import simulator_extra_symbols
from tigermcp.testing import run_threads

SYMBOLS20 = simulator_extra_symbols()


@pytest.fixture
def actor():
    return Actor.system("api", "test")


@pytest.fixture
def account(sim, make_tiger_account):
    # Its own developer id: the session's simulator counts rate limits per developer.
    return make_tiger_account(developer=sim.create_developer(), is_default=True)


@pytest.mark.django_db
def test_quotes_are_decimal_in_the_order_asked_and_cached(sim, account, actor, settings):
    settings.MARKETDATA_CACHE_TTL = {"quote": 1}
    before = sim.request_count("quote_real_time")
    quotes = quotes_get(actor=actor, symbols=["msft", "AAPL"])
    assert [q.symbol for q in quotes] == ["MSFT", "AAPL"]
    assert all(isinstance(q.latest_price, Decimal) and q.latest_price > 0 and q.currency == "USD" for q in quotes)
    assert sim.request_count("quote_real_time") == before + 1
    # Within the time-to-live: from the cache, also for a subset.
    quotes_get(actor=actor, symbols="AAPL, MSFT")
    quotes_get(actor=actor, symbols=["AAPL"])
    assert sim.request_count("quote_real_time") == before + 1
    # A new symbol alone is fetched; the cached ones are not asked again.
    assert [q.symbol for q in quotes_get(actor=actor, symbols=["AAPL", "NVDA"])] == ["AAPL", "NVDA"]
    assert sim.request_count("quote_real_time") == before + 2
    time.sleep(1.1)
    quotes_get(actor=actor, symbols=["AAPL", "MSFT"])
    assert sim.request_count("quote_real_time") == before + 3


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_requests_for_twenty_quotes_make_one_broker_call(sim, account, actor):
    sim.faults.inject("quote_real_time", "latency", times=None, seconds=0.3)
    try:
        before = sim.request_count("quote_real_time")
        results = run_threads(50, lambda i: quotes_get(actor=actor, symbols=SYMBOLS20))
    finally:
        sim.faults.clear()
    assert not [r for r in results if isinstance(r, BaseException)]
    assert all([q.symbol for q in r] == SYMBOLS20 for r in results)
    assert sim.request_count("quote_real_time") == before + 1


@pytest.mark.django_db
def test_symbol_validation(account, actor):
    with pytest.raises(InvalidInput) as err:
        quotes_get(actor=actor, symbols=[f"S{i}" for i in range(51)])
    assert err.value.message == TOO_MANY_SYMBOLS.format(max=50, count=51)
    with pytest.raises(InvalidInput):
        quotes_get(actor=actor, symbols=["AAPL; DROP"])
    with pytest.raises(InvalidInput):
        quotes_get(actor=actor, symbols=[])


def test_one_symbol_rule_for_market_data_and_orders():
    """Up to 32 characters, the same rule for a quote and an order: an order for a long symbol is
    never refused as bad_symbol by its price check after passing intent validation."""
    from broker.quotes import clean_symbols
    from broker.types import BAD_SYMBOL
    from trading.intents import normalise_intent

    assert clean_symbols(["a" * 21, "B" * 32]) == ["A" * 21, "B" * 32]
    assert normalise_intent(account_number="1", symbol="b" * 32, side="BUY", quantity="1", order_type="MKT").symbol == "B" * 32
    for refuse in (lambda: clean_symbols(["C" * 33]),
                   lambda: normalise_intent(account_number="1", symbol="C" * 33, side="BUY", quantity="1", order_type="MKT")):
        with pytest.raises(InvalidInput) as err:
            refuse()
        assert err.value.code == "bad_symbol" and err.value.message == BAD_SYMBOL.format(symbol="C" * 30)  # shown cut to 30


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["1min", "15min", "60min", "day", "week", "month"])
def test_bars_for_each_period(account, actor, period):
    result = bars_get(actor=actor, symbols=["AAPL"], period=period, limit=5)
    bars = result.bars["AAPL"]
    assert 1 <= len(bars) <= 5
    assert all(isinstance(b.close, Decimal) and b.low <= b.close <= b.high for b in bars)
    assert [b.time for b in bars] == sorted(b.time for b in bars)


@pytest.mark.django_db
def test_bars_page_backwards_without_gaps(account, actor):
    first = bars_get(actor=actor, symbols=["AAPL"], period="day", limit=10)
    assert first.next_page_token
    second = bars_get(actor=actor, symbols=["AAPL"], period="day", limit=10, page_token=first.next_page_token)
    a, b = first.bars["AAPL"], second.bars["AAPL"]
    assert len(b) == 10 and b[-1].time < a[0].time
    with pytest.raises(InvalidInput) as err:
        bars_get(actor=actor, symbols=["AAPL"], period="2day")
    assert err.value.message.startswith(BAD_PERIOD.split("{")[0])
    with pytest.raises(InvalidInput):
        bars_get(actor=actor, symbols=["AAPL"], page_token="t:notanumber")


@pytest.mark.django_db
def test_ticks_contract_options_market_status(account, actor):
    ticks = trade_ticks_get(actor=actor, symbols=["AAPL"], limit=5)
    assert 1 <= len(ticks["AAPL"]) <= 5 and all(t.price > 0 for t in ticks["AAPL"])
    contract = contract_get(actor=actor, symbol="aapl")
    assert contract.symbol == "AAPL" and contract.currency == "USD"
    expiries = option_expirations_get(actor=actor, symbol="AAPL")
    assert expiries and all(isinstance(d, date) for d in expiries)
    chain = option_chain_get(actor=actor, symbol="AAPL", expiry=expiries[0].isoformat())
    assert {o.put_call for o in chain} == {"PUT", "CALL"} and all(o.expiry == expiries[0] for o in chain)
    status = market_status_get(actor=actor, market="us")
    assert status[0].market == "US" and status[0].status
    with pytest.raises(InvalidInput):
        market_status_get(actor=actor, market="MARS")


@pytest.mark.django_db
def test_quotes_follow_the_router(sim, make_tiger_account, actor):
    make_tiger_account()
    make_tiger_account()
    with pytest.raises(InvalidInput) as err:
        quotes_get(actor=actor, symbols=["AAPL"])
    assert err.value.code == "account_required"
