"""Fractional shares and orders by amount through the real SDK: Tiger's cash_amount (market_order_by_amount)
and quantity with quantity_scale; fills to five decimal places; fractional positions in Tiger's shape
(position + positionScale, positionQty); Tiger-like refusals where fractions are not offered."""
from decimal import Decimal

import pytest
from tigeropen.common.consts import OrderStatus
from tigeropen.common.exceptions import ApiException
from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import limit_order, market_order, market_order_by_amount

from tigersim import exchange as ex

AAPL = stock_contract("AAPL", "USD")
FIVE = Decimal("0.00001")


def scaled(quantity, scale) -> Decimal:
    return Decimal(str(quantity)).scaleb(-int(scale or 0))


def test_contracts_say_which_symbols_trade_in_fractions(trade):
    assert trade.get_contract("AAPL").support_fractional_share is True
    assert trade.get_contract("QQQ").support_fractional_share is False
    assert trade.get_contract("00700", currency="HKD").support_fractional_share is False


def test_an_amount_order_buys_what_the_amount_is_worth_to_five_places(sim, demo, trade):
    ask = sim.quote("AAPL").ask
    order = market_order_by_amount(demo.account, AAPL, "BUY", 500)
    trade.place_order(order)
    got = trade.get_order(id=order.id)
    shares = (Decimal(500) / ask).quantize(FIVE, rounding="ROUND_FLOOR")
    assert got.status == OrderStatus.FILLED and Decimal(str(got.total_cash_amount)) == 500
    assert scaled(got.filled, got.filled_scale) == shares and shares != shares.to_integral_value()
    assert scaled(got.quantity, got.quantity_scale) == shares
    assert Decimal(str(got.avg_fill_price)) == ask
    pos = trade.get_positions(symbol="AAPL")[0]
    assert scaled(pos.quantity, pos.position_scale) == shares == Decimal(str(pos.position_qty))
    held = sim.exchange.accounts[demo.account].positions["AAPL"]
    assert held.quantity == shares


def test_a_fractional_quantity_buys_and_sells_and_the_position_closes(sim, demo, trade):
    buy = market_order(demo.account, AAPL, "BUY", 15)
    buy.quantity_scale = 1  # 1.5 shares, as the SDK sends a fraction
    trade.place_order(buy)
    assert sim.exchange.accounts[demo.account].positions["AAPL"].quantity == Decimal("1.5")
    sell = market_order(demo.account, AAPL, "SELL", 5)
    sell.quantity_scale = 1
    trade.place_order(sell)
    got = trade.get_order(id=sell.id)
    assert got.status == OrderStatus.FILLED and scaled(got.filled, got.filled_scale) == Decimal("0.5")
    assert sim.exchange.accounts[demo.account].positions["AAPL"].quantity == 1
    fills = trade.get_transactions(symbol="AAPL", order_id=sell.id)
    assert [scaled(f.filled_quantity, f.filled_quantity_scale) for f in fills] == [Decimal("0.5")]


def test_selling_by_amount_sells_what_it_is_worth(sim, demo, trade):
    trade.place_order(market_order(demo.account, AAPL, "BUY", 10))
    bid = sim.quote("AAPL").bid
    sell = market_order_by_amount(demo.account, AAPL, "SELL", 100)
    trade.place_order(sell)
    sold = (Decimal(100) / bid).quantize(FIVE, rounding="ROUND_FLOOR")
    assert sim.exchange.accounts[demo.account].positions["AAPL"].quantity == 10 - sold


@pytest.mark.parametrize("symbol, currency, kind, message", [
    ("QQQ", "USD", "amount", ex.MSG_NOT_FRACTIONAL.format(symbol="QQQ")),
    ("00700", "HKD", "amount", ex.MSG_NOT_FRACTIONAL.format(symbol="00700")),
    ("QQQ", "USD", "fraction", ex.MSG_NOT_FRACTIONAL.format(symbol="QQQ")),
    ("AAPL", "USD", "limit amount", ex.MSG_FRACTIONAL_TERMS),
    ("AAPL", "USD", "gtc amount", ex.MSG_FRACTIONAL_TERMS),
    ("AAPL", "USD", "limit fraction", ex.MSG_FRACTIONAL_TERMS),
])
def test_fractions_are_refused_where_tiger_refuses_them(sim, demo, trade, symbol, currency, kind, message):
    contract = stock_contract(symbol, currency)
    price = float(sim.quote(symbol).latest.quantize(Decimal("0.01")))
    order = {
        "amount": lambda: market_order_by_amount(demo.account, contract, "BUY", 500),
        "fraction": lambda: market_order(demo.account, contract, "BUY", 5),
        "limit amount": lambda: market_order_by_amount(demo.account, contract, "BUY", 500),
        "gtc amount": lambda: market_order_by_amount(demo.account, contract, "BUY", 500, time_in_force="GTC"),
        "limit fraction": lambda: limit_order(demo.account, contract, "BUY", 5, price),
    }[kind]()
    if kind == "limit amount":
        order.order_type, order.limit_price = "LMT", price
    if "fraction" in kind:
        order.quantity_scale = 1
    with pytest.raises(ApiException) as err:
        trade.place_order(order)
    assert message in str(err.value.msg)
    assert not any(o.symbol == symbol for o in sim.exchange.accounts[demo.account].orders.values())
    preview = trade.preview_order(order)
    assert preview["is_pass"] is False and message in preview["warning_text"]


def test_a_preview_of_an_amount_order_is_valued_at_its_amount(sim, demo, trade):
    preview = trade.preview_order(market_order_by_amount(demo.account, AAPL, "BUY", 500))
    assert preview["is_pass"] is True
    # A margin account's initial margin grows by half of what the amount buys.
    grew = Decimal(str(preview["init_margin"])) - Decimal(str(preview["init_margin_before"]))
    assert abs(grew - Decimal(250)) < Decimal("0.01")
