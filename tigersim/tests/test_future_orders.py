"""Futures orders through the real SDK: contracts by code (or product and expiry, as the SDK's
future_contract sends them), fills at the futures quote, margin and P&L in the futures segment
through the multiplier, Tiger's refusals of unknown and expired contracts."""
import datetime as dt
from decimal import Decimal

import pytest
from tigeropen.common.consts import OrderStatus
from tigeropen.common.exceptions import ApiException
from tigeropen.common.util.contract_utils import future_contract
from tigeropen.common.util.order_utils import limit_order, market_order

from tigersim import exchange as ex
from tigersim.futures import FUTURE_INITIAL_MARGIN


@pytest.fixture
def funded(sim, demo, trade):
    """The margin account with USD 60,000 in its futures segment."""
    trade.transfer_segment_fund(from_segment="SEC", to_segment="FUT", amount=60000, currency="USD")
    return demo.account


def test_market_buy_of_the_front_contract_fills_at_its_ask_and_holds_margin_not_cash(sim, trade, quote, funded):
    [front] = quote.get_current_future_contract("ES").to_dict("records")
    code = front["contract_code"]
    assert code == "ES2603"  # the March contract, on 2026-03-10
    acct = sim.exchange.accounts[funded]
    securities_cash = acct.cash["USD"]
    ask = sim.quote(code).ask
    [fq] = quote.get_future_brief([code]).to_dict("records")
    assert Decimal(str(fq["ask_price"])) == ask  # the quote the SDK shows is the one orders fill at
    order = market_order(funded, future_contract(code, "USD"), "BUY", 2)
    trade.place_order(order)
    got = trade.get_order(id=order.id)
    assert got.status == OrderStatus.FILLED and got.filled == 2
    assert got.contract.sec_type == "FUT" and float(got.contract.multiplier) == 50
    assert Decimal(str(got.avg_fill_price)) == ask
    assert acct.cash["USD"] == securities_cash  # the contract's value never changes hands
    assert acct.futures_cash["USD"] == Decimal("60000") - Decimal("3.00")  # USD 1.50 per contract
    [position] = trade.get_positions(sec_type="FUT")
    assert position.contract.symbol == code and position.quantity == 2
    assert float(position.contract.multiplier) == 50
    assert Decimal(str(position.market_value)) == 2 * 50 * Decimal(str(position.market_price))
    assert trade.get_positions(sec_type="STK") == []
    segment = trade.get_prime_assets().segments["C"]
    mark = sim.quote(code).latest
    assert Decimal(str(segment.init_margin)) == (2 * 50 * mark * FUTURE_INITIAL_MARGIN).quantize(Decimal("0.01"))


def test_round_trip_moves_the_segment_cash_by_price_difference_times_multiplier(sim, trade, funded):
    acct = sim.exchange.accounts[funded]
    trade.place_order(market_order(funded, future_contract("NQ2606", "USD"), "BUY", 1))
    bought = acct.positions["NQ2606"].average_cost
    sell = market_order(funded, future_contract("NQ2606", "USD"), "SELL", 1)
    trade.place_order(sell)
    done = acct.orders[sell.id]
    assert done.status == ex.FILLED and acct.positions["NQ2606"].quantity == 0
    gross = (done.avg_fill_price - bought) * 20
    assert acct.futures_cash["USD"] == Decimal("60000") + gross - Decimal("3.00")
    assert acct.positions["NQ2606"].realized_pnl == gross - Decimal("1.50")


def test_product_and_expiry_name_the_same_contract_and_a_limit_rests_until_cancelled(sim, trade, funded):
    contract = sim.exchange.listed_future(0, {"symbol": "ES2606"}, sim.clock.now())
    expiry = contract.last_trading_day.strftime("%Y%m%d")
    low = (sim.quote("ES2606").bid * Decimal("0.9")).quantize(Decimal(1))  # whole points: on the 0.25 tick
    order = limit_order(funded, future_contract("ES", "USD", expiry=expiry, multiplier=50), "BUY", 1, float(low))
    trade.place_order(order)
    rested = trade.get_order(id=order.id)
    assert rested.status == OrderStatus.HELD and rested.contract.symbol == "ES2606"
    trade.cancel_order(id=order.id)
    sim.match()
    assert trade.get_order(id=order.id).status == OrderStatus.CANCELLED


@pytest.mark.parametrize("symbol, message", [
    ("ES2605", "does not exist"),   # not a quarterly month
    ("CL2606", "does not exist"),   # a product the simulator does not list
    ("ES2512", "has expired"),
    ("ES2809", "does not exist"),   # beyond the listed quarters
])
def test_tiger_refuses_unlisted_and_expired_contracts(sim, trade, funded, symbol, message):
    with pytest.raises(ApiException) as err:
        trade.place_order(limit_order(funded, future_contract(symbol, "USD"), "BUY", 1, 5000.0))
    assert message in err.value.msg and symbol in err.value.msg
    assert sim.exchange.accounts[funded].orders == {}


def test_margin_comes_from_the_futures_segment_and_cash_accounts_have_none(sim, demo, trade, cash_trade):
    # Nothing moved to the futures segment yet: the securities cash does not back a future.
    with pytest.raises(ApiException) as err:
        trade.place_order(market_order(demo.account, future_contract("ES2603", "USD"), "BUY", 1))
    assert "Insufficient buying power" in err.value.msg
    with pytest.raises(ApiException) as err:
        cash_trade.place_order(market_order(demo.accounts[1], future_contract("ES2603", "USD"), "BUY", 1))
    assert "no futures trading permission" in err.value.msg


def test_off_tick_price_is_refused(sim, trade, funded):
    with pytest.raises(ApiException) as err:
        trade.place_order(limit_order(funded, future_contract("ES2603", "USD"), "BUY", 1, 5000.1))
    assert "tick size" in err.value.msg


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def test_cme_futures_trade_nearly_24_hours_with_the_daily_break(sim, trade, funded):
    # New York is on EDT: the break is 17:00-18:00 there, 21:00-22:00 UTC.
    sim.clock.set(utc("2026-03-10T21:30"))
    order = market_order(funded, future_contract("ES2603", "USD"), "BUY", 1)
    trade.place_order(order)
    assert trade.get_order(id=order.id).status == OrderStatus.HELD  # accepted in the break, not filled
    sim.clock.set(utc("2026-03-10T22:30"))  # 18:30: the evening session, with the stock market shut
    sim.match()
    filled = trade.get_order(id=order.id)
    assert filled.status == OrderStatus.FILLED and Decimal(str(filled.avg_fill_price)) == sim.quote("ES2603").ask
    # A DAY limit entered in the evening belongs to the next trading day and lasts until its 17:00 close.
    low = (sim.quote("ES2603").bid * Decimal("0.9")).quantize(Decimal(1))
    resting = limit_order(funded, future_contract("ES2603", "USD"), "BUY", 1, float(low))
    trade.place_order(resting)
    assert sim.exchange.accounts[funded].orders[resting.id].session_day == "2026-03-11"
    sim.clock.set(utc("2026-03-11T20:59"))
    sim.match()
    assert trade.get_order(id=resting.id).status == OrderStatus.HELD
    sim.clock.set(utc("2026-03-11T21:00"))
    sim.match()
    gone = sim.exchange.accounts[funded].orders[resting.id]
    assert gone.status == ex.CANCELLED and gone.reason == ex.MSG_EXPIRED
    # Friday's 17:00 close to Sunday's 18:00 open: nothing fills over the weekend.
    sim.clock.set(utc("2026-03-14T15:00"))
    weekend = market_order(funded, future_contract("ES2603", "USD"), "SELL", 1)
    trade.place_order(weekend)
    assert trade.get_order(id=weekend.id).status == OrderStatus.HELD
    sim.clock.set(utc("2026-03-15T22:01"))  # Sunday 18:01 in New York
    sim.match()
    assert trade.get_order(id=weekend.id).status == OrderStatus.FILLED


def test_hang_seng_futures_trade_in_the_after_hours_session_not_between_sessions(sim, trade, funded):
    trade.transfer_segment_fund(from_segment="SEC", to_segment="FUT", amount=30000, currency="USD")
    code = sim.exchange.listed_future(0, {"symbol": "HSI2603"}, sim.clock.now()).symbol
    sim.clock.set(utc("2026-03-10T08:45"))  # 16:45 in Hong Kong: between the day and the after-hours session
    order = market_order(funded, future_contract(code, "HKD"), "BUY", 1)
    trade.place_order(order)
    assert trade.get_order(id=order.id).status == OrderStatus.HELD
    sim.clock.set(utc("2026-03-10T10:00"))  # 18:00: the after-hours (T+1) session
    sim.match()
    assert trade.get_order(id=order.id).status == OrderStatus.FILLED
    assert sim.exchange.accounts[funded].orders[order.id].session_day == "2026-03-11"
