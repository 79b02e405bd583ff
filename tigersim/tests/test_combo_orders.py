"""Combo (multi-leg, MLEG) orders through the real SDK's combo_order: filled atomically at a net
price, legs in positions and in the order Tiger lists, Tiger's refusals of legs that do not fit."""
from decimal import Decimal

import pytest
from tigeropen.common.consts import OrderStatus
from tigeropen.common.exceptions import ApiException
from tigeropen.common.util.order_utils import combo_order, contract_leg

from tigersim import exchange as ex
from tigersim.clock import SimClock
from tigersim.persistence import StateStore, order_row
from tigersim.prices import PriceModel
from tigersim.server import Simulator

from .conftest import US_SESSION


def chain(quote, underlying="AAPL", index=2):
    """(expiry yyyyMMdd, sorted strikes near the money) of one listed expiry."""
    expiry = quote.get_option_expirations([underlying])["date"].iloc[index]
    frame = quote.get_option_chain(underlying, expiry)
    strikes = sorted({Decimal(str(s)) for s in frame["strike"]})
    return expiry.replace("-", ""), strikes


def leg(expiry, strike, right, action, ratio=1, symbol="AAPL"):
    return contract_leg(symbol=symbol, sec_type="OPT", expiry=expiry, strike=float(strike), put_call=right,
                        action=action, ratio=ratio)


def identifier(expiry, strike, right, symbol="AAPL"):
    return f"{symbol:<6}{expiry[2:]}{right[0]}{int(strike * 1000):08d}"


def near_the_money(sim, strikes):
    spot = sim.quote("AAPL").latest
    return min(range(len(strikes)), key=lambda i: abs(strikes[i] - spot))


def test_a_debit_vertical_fills_every_leg_at_once_at_its_net_price(sim, demo, trade, quote):
    expiry, strikes = chain(quote)
    mid = near_the_money(sim, strikes)
    low, high = strikes[mid], strikes[mid + 2]
    buy_id, sell_id = identifier(expiry, low, "CALL"), identifier(expiry, high, "CALL")
    net = sim.quote(buy_id).ask - sim.quote(sell_id).bid
    before = sim.exchange.accounts[demo.account].cash["USD"]
    order = combo_order(demo.account, [leg(expiry, low, "CALL", "BUY"), leg(expiry, high, "CALL", "SELL")],
                        "VERTICAL", "BUY", 2, limit_price=float(net + Decimal("0.05")))
    trade.place_order(order)
    got = trade.get_order(id=order.id)
    assert got.status == OrderStatus.FILLED and got.filled == 2
    assert got.combo_type == "VERTICAL" and got.contract.sec_type == "MLEG" and got.contract.symbol == "AAPL"
    assert Decimal(str(got.avg_fill_price)) == net
    legs = {(l.strike, l.put_call, l.action): l for l in got.contract_legs}
    assert set(legs) == {(str(low.normalize()), "CALL", "BUY"), (str(high.normalize()), "CALL", "SELL")}
    assert all(l.filled_quantity == 2 and l.total_quantity == 2 for l in legs.values())
    positions = {p.contract.identifier: p.quantity for p in trade.get_positions(sec_type="OPT")}
    assert positions == {buy_id: 2, sell_id: -2}
    commission = Decimal("1.30") * 2  # 0.65 per contract on each leg
    assert sim.exchange.accounts[demo.account].cash["USD"] == before - net * 2 * 100 - commission
    fills = trade.get_transactions(account=demo.account, symbol="AAPL", limit=10)
    assert sorted((f.action, f.filled_quantity) for f in fills) == [("BUY", 2), ("SELL", 2)]


def test_a_credit_vertical_rests_at_a_negative_net_price_then_is_cancelled(sim, demo, trade, quote):
    # The SDK's own example: a put vertical bought at -2.52 (a credit): the higher put sold.
    expiry, strikes = chain(quote)
    mid = near_the_money(sim, strikes)
    low, high = strikes[mid - 1], strikes[mid + 1]
    credit = sim.quote(identifier(expiry, high, "PUT")).bid - sim.quote(identifier(expiry, low, "PUT")).ask
    order = combo_order(demo.account, [leg(expiry, low, "PUT", "BUY"), leg(expiry, high, "PUT", "SELL")],
                        "VERTICAL", "BUY", 1, limit_price=-float(credit + Decimal("1.00")))
    trade.place_order(order)
    rested = trade.get_order(id=order.id)
    assert rested.status == OrderStatus.HELD and rested.filled == 0 and rested.limit_price < 0
    assert trade.get_positions(sec_type="OPT") == []
    trade.cancel_order(id=order.id)
    sim.match()
    assert trade.get_order(id=order.id).status == OrderStatus.CANCELLED
    assert trade.get_positions(sec_type="OPT") == []


def test_selling_a_straddle_trades_each_leg_the_other_way(sim, demo, trade, quote):
    expiry, strikes = chain(quote)
    strike = strikes[near_the_money(sim, strikes)]
    call, put = identifier(expiry, strike, "CALL"), identifier(expiry, strike, "PUT")
    order = combo_order(demo.account, [leg(expiry, strike, "CALL", "BUY"), leg(expiry, strike, "PUT", "BUY")],
                        "STRADDLE", "SELL", 1, order_type="MKT")
    trade.place_order(order)
    assert trade.get_order(id=order.id).status == OrderStatus.FILLED
    assert {p.contract.identifier: p.quantity for p in trade.get_positions(sec_type="OPT")} == {call: -1, put: -1}


def test_a_covered_call_buys_the_shares_and_writes_the_call_in_a_cash_account(sim, demo, cash_trade, quote):
    account = demo.accounts[1]
    expiry, strikes = chain(quote)
    strike = strikes[near_the_money(sim, strikes) + 1]
    stock = contract_leg(symbol="AAPL", sec_type="STK", action="BUY", ratio=100)
    order = combo_order(account, [stock, leg(expiry, strike, "CALL", "SELL")], "COVERED", "BUY", 1, order_type="MKT")
    cash_trade.place_order(order)
    assert cash_trade.get_order(id=order.id).status == OrderStatus.FILLED
    positions = sim.exchange.accounts[account].positions
    assert positions["AAPL"].quantity == 100 and positions[identifier(expiry, strike, "CALL")].quantity == -1


@pytest.mark.parametrize("case, message", [
    ("other underlying", "must be on one underlying"),
    ("one leg", "needs exactly 2 contract_legs"),
    ("both bought", "do not form a VERTICAL combo"),
    ("unlisted strike", "does not exist"),
    ("unknown type", "combo_type BUTTERFLY is not supported"),
    ("hong kong", "supported for US stock options only"),
])
def test_tiger_refuses_legs_that_do_not_form_the_combo(sim, demo, trade, quote, case, message):
    expiry, strikes = chain(quote)
    low, high = strikes[3], strikes[5]
    legs = {
        "other underlying": [leg(expiry, low, "CALL", "BUY"), leg(chain(quote, "SPY")[0], chain(quote, "SPY")[1][3],
                                                                  "CALL", "SELL", symbol="SPY")],
        "one leg": [leg(expiry, low, "CALL", "BUY")],
        "both bought": [leg(expiry, low, "CALL", "BUY"), leg(expiry, high, "CALL", "BUY")],
        "unlisted strike": [leg(expiry, low, "CALL", "BUY"), leg(expiry, Decimal("9990"), "CALL", "SELL")],
        "unknown type": [leg(expiry, low, "CALL", "BUY"), leg(expiry, high, "CALL", "SELL")],
        "hong kong": [leg(expiry, low, "CALL", "BUY", symbol="TCH.HK"), leg(expiry, high, "CALL", "SELL", symbol="TCH.HK")],
    }[case]
    with pytest.raises(ApiException) as err:
        trade.place_order(combo_order(demo.account, legs, "BUTTERFLY" if case == "unknown type" else "VERTICAL",
                                      "BUY", 1, limit_price=1.0))
    assert message in err.value.msg
    assert sim.exchange.accounts[demo.account].orders == {}


def test_a_cash_account_may_not_sell_a_straddle_and_a_combo_is_not_modified(sim, demo, trade, cash_trade, quote):
    expiry, strikes = chain(quote)
    strike = strikes[near_the_money(sim, strikes)]
    legs = [leg(expiry, strike, "CALL", "SELL"), leg(expiry, strike, "PUT", "SELL")]
    with pytest.raises(ApiException) as err:
        cash_trade.place_order(combo_order(demo.accounts[1], legs, "STRADDLE", "BUY", 1, order_type="MKT"))
    assert ex.MSG_NO_POSITION in err.value.msg
    order = combo_order(demo.account, [leg(expiry, strike, "CALL", "BUY"), leg(expiry, strike, "PUT", "BUY")],
                        "STRADDLE", "BUY", 1, limit_price=0.05)
    trade.place_order(order)
    with pytest.raises(ApiException) as err:
        trade.modify_order(order, limit_price=0.06)
    assert "cannot be modified" in err.value.msg


def test_a_combo_preview_holds_its_debit_and_charges_each_leg(sim, demo, trade, quote):
    expiry, strikes = chain(quote)
    mid = near_the_money(sim, strikes)
    order = combo_order(demo.account, [leg(expiry, strikes[mid], "CALL", "BUY"),
                                       leg(expiry, strikes[mid + 2], "CALL", "SELL")], "VERTICAL", "BUY", 3,
                        limit_price=1.25)
    preview = trade.preview_order(order)
    assert preview["is_pass"] is True
    assert Decimal(str(preview["init_margin"])) - Decimal(str(preview["init_margin_before"])) == Decimal("375")
    assert Decimal(str(preview["max_commission"])) == Decimal("3.90")
    assert sim.exchange.accounts[demo.account].orders == {}
    bad = combo_order(demo.account, [leg(expiry, strikes[mid], "CALL", "BUY")], "VERTICAL", "BUY", 1, limit_price=1)
    refused = trade.preview_order(bad)
    assert refused["is_pass"] is False and "contract_legs" in refused["warning_text"]


def test_a_combo_survives_a_restart(tmp_path):
    sim = Simulator(state_dir=tmp_path, seed=42, clock=SimClock(US_SESSION, frozen=True), match_interval=None).start()
    try:
        from tigeropen.quote.quote_client import QuoteClient
        from tigeropen.trade.trade_client import TradeClient
        demo = sim.ensure_demo()
        trade, quote = TradeClient(sim.client_config(demo)), QuoteClient(sim.client_config(demo), is_grab_permission=False)
        expiry, strikes = chain(quote)
        mid = near_the_money(sim, strikes)
        order = combo_order(demo.account, [leg(expiry, strikes[mid], "CALL", "BUY"),
                                           leg(expiry, strikes[mid + 1], "CALL", "SELL")], "VERTICAL", "BUY", 1,
                            order_type="MKT")
        trade.place_order(order)
        live = order_row(sim.exchange.accounts[demo.account].orders[order.id])
    finally:
        sim.stop()
    exchange = ex.Exchange(PriceModel(42), SimClock(US_SESSION, frozen=True))
    store = StateStore(tmp_path)
    try:
        store.load(exchange)
    finally:
        store.close()
    loaded = exchange.accounts[demo.account].orders[order.id]
    assert order_row(loaded) == live and loaded.combo_type == "VERTICAL" and len(loaded.legs) == 2
