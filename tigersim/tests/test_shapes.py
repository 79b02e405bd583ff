"""The simulator's replies carry at least the keys of Tiger's real, captured payloads."""
import pytest
from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import market_order

from .conftest import fixture, raw_call


def keys(obj):
    return set(obj.keys())


def assert_superset(ours, theirs, what):
    missing = keys(theirs) - keys(ours)
    assert not missing, f"{what}: missing {sorted(missing)}"


@pytest.fixture
def filled(sim, demo, trade):
    order = market_order(demo.account, stock_contract("AAPL", "USD"), "BUY", 2)
    trade.place_order(order)
    return order


def test_trade_shapes(sim, demo, trade, filled):
    data = raw_call(trade, "positions", account=demo.account)["data"]
    assert_superset(data["items"][0], fixture("positions_item.json"), "positions item")
    placed = raw_call(trade, "place_order", account=demo.account, symbol="AAPL", sec_type="STK",
                      action="BUY", order_type="LMT", limit_price=1.0, total_quantity=1)["data"]
    ref = fixture("place_order.json")
    assert_superset(placed, ref, "place_order")
    assert_superset(placed["orders"][0], ref["orders"][0], "order")
    assert placed["orders"][0]["status"] == "Initial"
    order = raw_call(trade, "orders", account=demo.account, id=filled.id)["data"]
    assert_superset(order, ref["orders"][0], "get_order")
    cancelled = raw_call(trade, "cancel_order", account=demo.account, id=placed["id"])["data"]
    assert keys(cancelled) == keys(fixture("cancel_order.json"))
    prime = raw_call(trade, "prime_assets", account=demo.account)["data"]
    ref = fixture("prime_assets.json")
    assert_superset(prime, ref, "prime_assets")
    assert_superset(prime["segments"][0], ref["segments"][0], "segment")
    assert_superset(prime["segments"][0]["currencyAssets"][0], ref["segments"][0]["currencyAssets"][0],
                    "currency asset")
    contract = raw_call(trade, "contract", symbol="NVDA", sec_type="STK", version="3.0")["data"]
    assert_superset(contract[0], fixture("contract.json"), "contract")


def test_quote_shapes(sim, quote):
    pairs = [
        ("market_state", {"market": "ALL"}, "market_state.json"),
        ("quote_real_time", {"symbols": ["AAPL"]}, "quote_real_time.json"),
        ("kline", {"symbols": ["AAPL"], "period": "day", "limit": 2}, "kline.json"),
        ("trade_tick", {"symbols": ["AAPL"], "limit": 2}, "trade_tick.json"),
        ("option_expiration", {"symbols": ["AAPL"]}, "option_expiration.json"),
    ]
    for method, biz, name in pairs:
        ours, theirs = raw_call(quote, method, **biz)["data"], fixture(name)
        assert isinstance(ours, list)
        assert_superset(ours[0], theirs[0], method)
        if "items" in theirs[0]:
            assert_superset(ours[0]["items"][0], theirs[0]["items"][0], method + " item")
    expiry = raw_call(quote, "option_expiration", symbols=["AAPL"])["data"][0]["timestamps"][0]
    chain = raw_call(quote, "option_chain", option_basic=[{"symbol": "AAPL", "expiry": expiry}],
                     return_greek_value=True, version="3.0")["data"]
    ref = fixture("option_chain.json")[0]
    assert_superset(chain[0], ref, "option_chain")
    assert_superset(chain[0]["items"][0]["put"], ref["items"][0]["put"], "put")
    assert_superset(chain[0]["items"][0]["call"], ref["items"][0]["call"], "call")
