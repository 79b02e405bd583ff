import datetime as dt
from decimal import Decimal

import pytest
from tigeropen.common.consts import OrderStatus
from tigeropen.common.exceptions import ApiException
from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import (limit_order, market_order, stop_limit_order, stop_order)

from tigersim import exchange as ex
from tigersim.commission import order_commission

from .conftest import SATURDAY, US_PREMARKET

AAPL = stock_contract("AAPL", "USD")


def acct(sim, number):
    return sim.exchange.accounts[number]


def test_filled_market_buy_moves_cash_and_position_exactly(sim, demo, trade):
    before = acct(sim, demo.account).cash["USD"]
    ask = sim.quote("AAPL").ask
    order = market_order(demo.account, AAPL, "BUY", 10)
    order.user_mark = "rebalance note"
    trade.place_order(order)
    got = trade.get_order(id=order.id)
    assert got.status == OrderStatus.FILLED and got.filled == 10
    fill = Decimal(str(got.avg_fill_price))
    assert fill == ask
    commission = order_commission("US", Decimal(10), fill * 10)
    assert commission == Decimal("1.00")
    assert acct(sim, demo.account).cash["USD"] == before - (fill * 10 + commission)
    [position] = trade.get_positions()
    assert position.quantity == 10 and position.contract.symbol == "AAPL"
    assert Decimal(str(position.average_cost)) == (fill * 10 + commission) / 10
    assert got.user_mark == "rebalance note" and got.reason == "rebalance note"


def test_round_trip_realizes_pnl_and_flattens(sim, demo, trade):
    trade.place_order(market_order(demo.account, AAPL, "BUY", 100))
    pos = acct(sim, demo.account).positions["AAPL"]
    cost = pos.average_cost
    sim.clock.advance(120)
    bid = sim.quote("AAPL").bid
    sell = market_order(demo.account, AAPL, "SELL", 100)
    trade.place_order(sell)
    sim.clock.advance(60)
    sim.match()
    done = trade.get_order(id=sell.id)
    if done.filled < 100:  # displayed size may need another bucket
        sim.clock.advance(60)
        sim.match()
        done = trade.get_order(id=sell.id)
    assert done.status == OrderStatus.FILLED
    assert pos.quantity == 0
    proceeds = acct(sim, demo.account).orders[sell.id].filled_value
    commission = acct(sim, demo.account).orders[sell.id].commission
    assert pos.realized_pnl == proceeds - cost * 100 - commission
    assert trade.get_positions() == []
    assert bid > 0


def test_limit_order_rests_then_fills_after_modify(sim, demo, trade):
    q = sim.quote("AAPL")
    low = (q.bid * Decimal("0.9")).quantize(Decimal("0.01"))
    order = limit_order(demo.account, AAPL, "BUY", 5, float(low))
    trade.place_order(order)
    rested = trade.get_order(id=order.id)
    assert rested.status == OrderStatus.HELD and rested.can_modify is True
    assert [o.id for o in trade.get_open_orders()] == [order.id]
    high = (q.ask * Decimal("1.05")).quantize(Decimal("0.01"))
    trade.modify_order(order, limit_price=float(high))
    filled = trade.get_order(id=order.id)
    assert filled.status == OrderStatus.FILLED
    assert Decimal(str(filled.avg_fill_price)) <= high  # fills at the touch, not at the limit
    assert [o.id for o in trade.get_filled_orders()] == [order.id]


def test_cancel_rules(sim, demo, trade):
    q = sim.quote("AAPL")
    order = limit_order(demo.account, AAPL, "BUY", 5, float((q.bid * Decimal("0.9")).quantize(Decimal("0.01"))))
    trade.place_order(order)
    assert trade.cancel_order(id=order.id) == order.id
    assert acct(sim, demo.account).orders[order.id].status == ex.PENDING_CANCEL
    assert trade.get_order(id=order.id).status == OrderStatus.CANCELLED  # next pass completes it
    assert [o.id for o in trade.get_cancelled_orders()] == [order.id]
    with pytest.raises(ApiException) as err:
        trade.cancel_order(id=order.id)
    assert err.value.code == 1300 and "cannot be cancelled" in err.value.msg
    filled = market_order(demo.account, AAPL, "BUY", 1)
    trade.place_order(filled)
    with pytest.raises(ApiException):
        trade.cancel_order(id=filled.id)
    with pytest.raises(ApiException):
        trade.modify_order(filled, quantity=2)


def test_market_order_waits_for_open_and_cannot_be_modified(sim, demo, trade):
    sim.clock.set(SATURDAY)
    order = market_order(demo.account, AAPL, "BUY", 3)
    trade.place_order(order)
    got = trade.get_order(id=order.id)
    assert got.status == OrderStatus.HELD and got.filled == 0 and got.can_modify is False
    with pytest.raises(ApiException) as err:
        trade.modify_order(order, quantity=4)
    assert "cannot be modified" in err.value.msg
    sim.clock.set(dt.datetime(2026, 3, 16, 14, 0, tzinfo=dt.timezone.utc))  # Monday 10:00 EDT
    sim.match()
    assert trade.get_order(id=order.id).status == OrderStatus.FILLED


def test_cash_account_checks(sim, demo, cash_trade):
    cash = demo.accounts[1]
    with pytest.raises(ApiException) as err:
        cash_trade.place_order(market_order(cash, AAPL, "SELL", 1))
    assert err.value.code == 1300 and err.value.msg == ex.MSG_NO_POSITION
    with pytest.raises(ApiException) as err:
        cash_trade.place_order(market_order(cash, AAPL, "BUY", 1000))  # ~200k USD > 100k cash
    assert err.value.code == 1300 and "Insufficient buying power" in err.value.msg
    assert acct(sim, cash).orders == {}
    preview = cash_trade.preview_order(market_order(cash, AAPL, "BUY", 1000))
    assert preview["is_pass"] is False and "Insufficient buying power" in preview["warning_text"]
    ok = cash_trade.preview_order(market_order(cash, AAPL, "BUY", 10))
    assert ok["is_pass"] is True and ok["min_commission"] == 1 and ok["commission_currency"] == "USD"
    assert ok["init_margin"] > ok["init_margin_before"]


def test_margin_account_can_short(sim, demo, trade):
    order = market_order(demo.account, stock_contract("MSFT", "USD"), "SELL", 10)
    trade.place_order(order)
    assert acct(sim, demo.account).positions["MSFT"].quantity == -10
    [pos] = trade.get_positions(symbol="MSFT")
    assert pos.quantity == -10


def test_extended_hours_rules(sim, demo, trade):
    sim.clock.set(US_PREMARKET)
    with pytest.raises(ApiException) as err:
        trade.place_order(market_order(demo.account, AAPL, "BUY", 1))
    assert err.value.msg == ex.MSG_EXTENDED_HOURS
    q = sim.quote("AAPL")
    assert q.phase == "PRE_HOUR_TRADING"
    price = float(q.ask + Decimal("0.50"))
    inside = limit_order(demo.account, AAPL, "BUY", 1, price)
    trade.place_order(inside)
    assert trade.get_order(id=inside.id).status == OrderStatus.HELD  # not outside_rth: waits
    outside = limit_order(demo.account, AAPL, "BUY", 1, price)
    outside.outside_rth = True
    trade.place_order(outside)
    assert trade.get_order(id=outside.id).status == OrderStatus.FILLED


def test_partial_fills_follow_displayed_size(sim, demo, trade):
    q = sim.quote("NVDA")
    big = q.ask_size * 3
    order = market_order(demo.account, stock_contract("NVDA", "USD"), "BUY", big)
    trade.place_order(order)
    first = trade.get_order(id=order.id)
    assert first.status == OrderStatus.PARTIALLY_FILLED and first.filled == q.ask_size
    filled = first.filled
    for _ in range(10):
        sim.clock.advance(10)
        sim.match()
        filled = trade.get_order(id=order.id).filled
        if filled == big:
            break
    assert filled == big
    assert len(acct(sim, demo.account).orders[order.id].fills) >= 3


def test_stop_orders_trigger(sim, demo, trade):
    q = sim.quote("AAPL")
    stop = stop_order(demo.account, AAPL, "BUY", 1, float(q.latest - Decimal("1")))
    trade.place_order(stop)
    assert trade.get_order(id=stop.id).status == OrderStatus.FILLED
    far = stop_limit_order(demo.account, AAPL, "BUY", 1, float(q.latest + 50), float(q.latest + 40))
    trade.place_order(far)
    assert trade.get_order(id=far.id).status == OrderStatus.HELD


def test_day_orders_expire_gtc_orders_stay(sim, demo, trade):
    low = float((sim.quote("AAPL").bid * Decimal("0.8")).quantize(Decimal("0.01")))
    day = limit_order(demo.account, AAPL, "BUY", 1, low)
    gtc = limit_order(demo.account, AAPL, "BUY", 1, low, time_in_force="GTC")
    trade.place_order(day)
    trade.place_order(gtc)
    sim.clock.set(dt.datetime(2026, 3, 10, 21, 0, tzinfo=dt.timezone.utc))  # 17:00 EDT
    sim.match()
    expired = trade.get_order(id=day.id)
    assert expired.status == OrderStatus.CANCELLED and expired.reason == ex.MSG_EXPIRED
    assert trade.get_order(id=gtc.id).status == OrderStatus.HELD


def test_bad_params(sim, demo, trade):
    with pytest.raises(ApiException) as err:
        trade.place_order(limit_order(demo.account, AAPL, "BUY", 1, 100.001))
    assert err.value.code == 1300 and "tick size" in err.value.msg
    hk = stock_contract("00700", "HKD")
    with pytest.raises(ApiException) as err:
        trade.place_order(market_order(demo.account, hk, "BUY", 150))
    assert "lot size 100" in err.value.msg
    with pytest.raises(ApiException) as err:
        trade.place_order(market_order(demo.account, stock_contract("ZZZZ", "USD"), "BUY", 1))
    assert err.value.msg == ex.MSG_NOT_SUPPORTED
    with pytest.raises(ApiException) as err:
        trade.place_order(market_order(demo.account, AAPL, "BUY", 0))
    assert err.value.code == 1010
    assert trade.get_order(id=123) is None


def test_the_simulator_refuses_odd_lots_and_off_ticks_in_its_preview_too(sim, demo, trade):
    """A client bypassing TigerMCP: the SDK's own preview and place get Tiger's refusal."""
    hk_contract = stock_contract("00700", "HKD")
    preview = trade.preview_order(market_order(demo.account, hk_contract, "BUY", 150))
    assert preview["is_pass"] is False and "multiple of the lot size 100" in preview["warning_text"]
    preview = trade.preview_order(limit_order(demo.account, AAPL, "BUY", 1, 100.005))
    assert preview["is_pass"] is False and "does not conform to the tick size" in preview["warning_text"]
    with pytest.raises(ApiException) as err:
        trade.place_order(limit_order(demo.account, hk_contract, "BUY", 100, 380.1))
    assert "tick size" in err.value.msg


def test_assets_reflect_trades(sim, demo, trade):
    before = trade.get_prime_assets().segments["S"]
    trade.place_order(market_order(demo.account, AAPL, "BUY", 10))
    after = trade.get_prime_assets().segments["S"]
    usd = after.currency_assets["USD"]
    assert Decimal(str(usd.cash_balance)) == acct(sim, demo.account).cash["USD"]
    assert after.gross_position_value > 0 and after.init_margin > before.init_margin
    assert after.currency_assets["HKD"].forex_rate == pytest.approx(1 / 7.8, rel=1e-5)
    [legacy] = trade.get_assets(segment=True, market_value=True)
    assert legacy.summary.net_liquidation == pytest.approx(after.net_liquidation)
    assert legacy.market_value("USD").cash_balance == pytest.approx(float(usd.cash_balance))
    accounts = trade.get_managed_accounts()
    assert [a.account for a in accounts] == list(demo.accounts)
    assert {a.capability for a in accounts} == {"MGRN", "CASH"}
    assert all(a.account.isdigit() and len(a.account) >= 17 for a in accounts)


def test_a_trailing_stop_follows_the_price_and_triggers_when_it_turns(sim, demo, trade):
    from tigeropen.common.util.order_utils import trail_order

    trade.place_order(market_order(demo.account, AAPL, "BUY", 10))
    start = sim.quote("AAPL").latest
    # A sell trailing by one cent: its stop rises with every new high and fires on the first dip.
    sell = trail_order(demo.account, AAPL, "SELL", 10, aux_price=0.01)
    # A buy trailing 50 % above the low: the walk never gets there.
    far = trail_order(demo.account, AAPL, "BUY", 1, trailing_percent=50)
    trade.place_order(sell)
    trade.place_order(far)
    placed = acct(sim, demo.account).orders[sell.id]
    assert placed.order_type == "TRAIL" and placed.trail_stop == start - Decimal("0.01")
    highest = start
    for _ in range(200):
        sim.clock.advance(60)
        highest = max(highest, sim.quote("AAPL").latest)
        sim.match()
        if acct(sim, demo.account).orders[sell.id].status == OrderStatus.FILLED.value:
            break
    got = trade.get_order(id=sell.id)
    assert got.status == OrderStatus.FILLED and got.order_type == "TRAIL"
    assert got.filled == 10 and acct(sim, demo.account).positions["AAPL"].quantity == 0
    assert Decimal(str(got.aux_price)) == Decimal("0.01")  # the SDK parses the amount back as aux_price
    assert placed.trail_stop >= start - Decimal("0.01")  # it only ever rose
    assert placed.trail_stop <= highest
    far_now = trade.get_order(id=far.id)
    assert far_now.status == OrderStatus.HELD and far_now.trailing_percent == 50
    assert far_now.trail_stop_price is not None and Decimal(str(far_now.trail_stop_price)) > sim.quote("AAPL").latest


def test_a_trailing_stop_needs_one_distance_and_a_stop_triggers_when_crossed(sim, demo, trade):
    from tigeropen.common.util.order_utils import trail_order

    with pytest.raises(ApiException) as err:
        trade.place_order(trail_order(demo.account, AAPL, "BUY", 1))
    assert err.value.msg == ex.MSG_TRAIL
    with pytest.raises(ApiException):
        trade.place_order(trail_order(demo.account, AAPL, "BUY", 1, trailing_percent=5, aux_price=1))
    latest = sim.quote("AAPL").latest
    # A buy stop just above the market triggers once the price reaches it, then fills as a market order.
    stop = stop_order(demo.account, AAPL, "BUY", 1, float(latest + Decimal("0.01")))
    trade.place_order(stop)
    for _ in range(200):
        if acct(sim, demo.account).orders[stop.id].triggered:
            break
        sim.clock.advance(60)
        sim.match()
    order = acct(sim, demo.account).orders[stop.id]
    assert order.triggered and order.status == OrderStatus.FILLED.value
    assert order.fills[0].price >= latest + Decimal("0.01")  # bought at the ask once the price crossed the stop


def test_gtd_orders_need_a_future_expiry_and_expire_at_it(sim, demo, trade):
    low = float((sim.quote("AAPL").latest * Decimal("0.8")).quantize(Decimal("0.01")))
    now_ms = int(sim.clock.now().timestamp() * 1000)
    past = limit_order(demo.account, AAPL, "BUY", 1, low, time_in_force="GTD")
    past.expire_time = now_ms - 1000
    with pytest.raises(ApiException) as err:
        trade.place_order(past)
    assert err.value.msg == ex.MSG_GTD_TIME
    gtd = limit_order(demo.account, AAPL, "BUY", 1, low, time_in_force="GTD")
    gtd.expire_time = now_ms + 3 * 86_400_000  # three days: it outlives the DAY orders
    trade.place_order(gtd)
    got = trade.get_order(id=gtd.id)
    assert got.time_in_force == "GTD" and got.expire_time == gtd.expire_time
    sim.clock.set(dt.datetime(2026, 3, 11, 21, 0, tzinfo=dt.timezone.utc))  # the next evening: still working
    sim.match()
    assert trade.get_order(id=gtd.id).status == OrderStatus.HELD
    sim.clock.set(dt.datetime.fromtimestamp(gtd.expire_time / 1000, tz=dt.timezone.utc) + dt.timedelta(seconds=1))
    sim.match()
    done = trade.get_order(id=gtd.id)
    assert done.status == OrderStatus.CANCELLED and done.reason == ex.MSG_GTD_EXPIRED


def test_outside_rth_limit_orders_rest_in_the_premarket_where_market_orders_cannot(sim, demo, trade):
    sim.clock.set(US_PREMARKET)
    bid = sim.quote("AAPL").bid
    extended = limit_order(demo.account, AAPL, "BUY", 1, float((bid * Decimal("0.9")).quantize(Decimal("0.01"))))  # on the tick
    extended.outside_rth = True
    trade.place_order(extended)
    assert trade.get_order(id=extended.id).outside_rth is True
    with pytest.raises(ApiException) as err:  # market orders cannot trade outside regular hours
        trade.place_order(market_order(demo.account, AAPL, "BUY", 1))
    assert err.value.msg == ex.MSG_EXTENDED_HOURS
