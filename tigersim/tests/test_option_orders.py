"""Option orders through the real SDK: contracts from the simulator's own chain, fills at its
option quotes, cash moved through the multiplier, Tiger's refusals of unknown and expired contracts."""
from decimal import Decimal

import pytest
from tigeropen.common.consts import OrderStatus
from tigeropen.common.exceptions import ApiException
from tigeropen.common.util.contract_utils import option_contract, option_contract_by_symbol, stock_contract
from tigeropen.common.util.order_utils import limit_order, market_order

from tigersim import exchange as ex
from tigersim.commission import order_commission
from tigersim.instruments import option_from_identifier


def a_listed_call(sim, quote):
    """An at-the-money AAPL call as the chain lists it (identifier and row)."""
    expiry = quote.get_option_expirations(["AAPL"])["date"].iloc[2]
    chain = quote.get_option_chain("AAPL", expiry)
    calls = chain[chain["put_call"] == "CALL"].reset_index(drop=True)
    row = calls.iloc[len(calls) // 2]
    return row["identifier"], row


def test_market_buy_of_a_chain_call_fills_at_its_ask_and_moves_cash_through_the_multiplier(sim, demo, trade, quote):
    identifier, _row = a_listed_call(sim, quote)
    before = sim.exchange.accounts[demo.account].cash["USD"]
    ask = sim.quote(identifier).ask
    order = market_order(demo.account, option_contract(identifier), "BUY", 2)
    trade.place_order(order)
    got = trade.get_order(id=order.id)
    assert got.status == OrderStatus.FILLED and got.filled == 2
    assert got.contract.sec_type == "OPT" and got.contract.put_call == "CALL"
    assert Decimal(str(got.avg_fill_price)) == ask
    commission = order_commission("US", Decimal(2), ask * 200, "OPT")
    assert commission == Decimal("1.30")  # 0.65 per contract
    assert sim.exchange.accounts[demo.account].cash["USD"] == before - ask * 2 * 100 - commission
    [position] = [p for p in trade.get_positions(sec_type="OPT")]
    assert position.contract.sec_type == "OPT" and position.quantity == 2
    assert float(position.contract.multiplier) == 100
    assert position.contract.identifier == identifier
    assert Decimal(str(position.market_value)) == 2 * 100 * Decimal(str(position.market_price))
    assert trade.get_positions(sec_type="STK") == []


def test_symbol_expiry_strike_right_names_the_same_contract(sim, demo, trade, quote):
    identifier, row = a_listed_call(sim, quote)
    option = option_from_identifier(identifier)
    contract = option_contract_by_symbol("AAPL", option.expiry.strftime("%Y%m%d"), float(option.strike), "CALL", "USD")
    bid = sim.quote(identifier).bid
    low = max(Decimal("0.01"), (bid * Decimal("0.5")).quantize(Decimal("0.01")))
    order = limit_order(demo.account, contract, "BUY", 1, float(low))
    trade.place_order(order)
    rested = trade.get_order(id=order.id)
    assert rested.status == OrderStatus.HELD and rested.contract.identifier == identifier
    trade.cancel_order(id=order.id)
    sim.match()
    assert trade.get_order(id=order.id).status == OrderStatus.CANCELLED


def test_round_trip_realizes_premium_difference_times_multiplier(sim, demo, trade, quote):
    identifier, _row = a_listed_call(sim, quote)
    trade.place_order(market_order(demo.account, option_contract(identifier), "BUY", 1))
    pos = sim.exchange.accounts[demo.account].positions[identifier]
    cost = pos.average_cost
    sell = market_order(demo.account, option_contract(identifier), "SELL", 1)
    trade.place_order(sell)
    done = sim.exchange.accounts[demo.account].orders[sell.id]
    assert done.status == ex.FILLED and pos.quantity == 0
    assert pos.realized_pnl == (done.avg_fill_price - cost) * 100 - done.commission


@pytest.mark.parametrize("identifier, message", [
    ("AAPL  260320C09990000", "does not exist"),  # a strike the chain does not list
    ("KO    260320C00060000", "does not exist"),  # no options on this underlying here
    ("AAPL  250117C00150000", "has expired"),
])
def test_tiger_refuses_unlisted_and_expired_contracts(sim, demo, trade, identifier, message):
    with pytest.raises(ApiException) as err:
        trade.place_order(limit_order(demo.account, option_contract(identifier), "BUY", 1, 1.0))
    assert message in err.value.msg and identifier in err.value.msg
    assert sim.exchange.accounts[demo.account].orders == {}


def test_cash_account_may_write_covered_calls_only(sim, demo, cash_trade, quote):
    identifier, _row = a_listed_call(sim, quote)
    account = demo.accounts[1]
    call = option_contract(identifier)
    with pytest.raises(ApiException) as err:
        cash_trade.place_order(market_order(account, call, "SELL", 1))
    assert ex.MSG_NO_POSITION in err.value.msg
    cash_trade.place_order(market_order(account, stock_contract("AAPL", "USD"), "BUY", 100))
    assert sim.exchange.accounts[account].positions["AAPL"].quantity == 100
    sell = market_order(account, call, "SELL", 1)
    cash_trade.place_order(sell)
    assert cash_trade.get_order(id=sell.id).status in (OrderStatus.FILLED, OrderStatus.HELD)


def test_a_resting_option_order_is_modified_but_never_into_another_contract(sim, demo, trade, quote):
    identifier, _row = a_listed_call(sim, quote)
    bid = sim.quote(identifier).bid
    low = max(Decimal("0.01"), (bid * Decimal("0.5")).quantize(Decimal("0.01")))
    order = limit_order(demo.account, option_contract(identifier), "BUY", 1, float(low))
    trade.place_order(order)
    trade.modify_order(order, quantity=3)
    assert sim.exchange.accounts[demo.account].orders[order.id].quantity == 3
    order.contract = option_contract(identifier.replace("C", "P"))
    with pytest.raises(ApiException) as err:
        trade.modify_order(order, quantity=2)
    assert "symbol cannot be modified" in err.value.msg
    assert sim.exchange.accounts[demo.account].orders[order.id].quantity == 3
