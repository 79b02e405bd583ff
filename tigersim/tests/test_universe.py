"""The simulator's universe through the real SDK: over 100 US and HK instruments with names, board
lots and tick tables, quotes on each, option chains on the liquid ones, and a sample traded (HK
board lots refused off the lot, HK options filled through their contract size, in HKD)."""
import datetime as dt
from decimal import Decimal

import pytest
from tigeropen.common.consts import Market, OrderStatus
from tigeropen.common.exceptions import ApiException
from tigeropen.common.util.contract_utils import option_contract, option_contract_by_symbol, stock_contract
from tigeropen.common.util.order_utils import limit_order, market_order

from tigersim import exchange as ex
from tigersim.instruments import OPTION_LISTINGS, UNIVERSE, is_on_tick, option_from_identifier, tick_size

HK_MORNING = dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.timezone.utc)  # 10:30 in Hong Kong
# Each instrument's price at 11:00 New York on 2026-03-10 before the universe grew: unchanged since.
FIRST_FOURTEEN = {"AAPL": "184.07", "MSFT": "428.83", "NVDA": "125.63", "TSLA": "222.37", "AMZN": "171.82",
                  "GOOGL": "178.95", "META": "492.36", "SPY": "562.64", "QQQ": "479.28", "00700": "375.2",
                  "09988": "86.00", "03690": "106.0", "00005": "71.85", "02800": "20.90"}


def test_the_sdk_sees_over_a_hundred_named_instruments_with_quotes(sim, quote):
    names = dict(quote.get_symbol_names(market=Market.ALL))
    assert len(names) >= 100 and all(names.values())
    us, hk = quote.get_symbols(market=Market.US), quote.get_symbols(market=Market.HK)
    assert len(us) >= 60 and len(hk) >= 40 and set(us) | set(hk) == set(names)
    assert names["JPM"] == "JPMorgan Chase & Co." and names["01810"] == "XIAOMI-W"
    rows = []
    for start in range(0, len(UNIVERSE), 50):
        frame = quote.get_stock_briefs(list(UNIVERSE)[start:start + 50])
        rows.extend(frame.to_dict("records"))
    assert {r["symbol"] for r in rows} == set(UNIVERSE)
    for row in rows:
        inst = UNIVERSE[row["symbol"]]
        price = Decimal(str(row["latest_price"]))
        assert price > 0 and is_on_tick(inst, price), row
        assert Decimal(str(row["bid_price"])) < Decimal(str(row["ask_price"]))
    assert {s: str(sim.quote(s).latest) for s in FIRST_FOURTEEN} == FIRST_FOURTEEN


def test_contracts_carry_each_stocks_board_lot_and_tick_table(trade):
    lots = {"00700": 100, "09988": 100, "00005": 400, "02800": 500, "01810": 200, "09618": 50, "00857": 2000}
    for symbol, lot in lots.items():
        contract = trade.get_contract(symbol)
        assert (contract.lot_size, contract.currency, contract.market) == (lot, "HKD", "HK")
    hk = trade.get_contract("00003")
    assert [t["tick_size"] for t in hk.tick_sizes][:4] == [0.001, 0.005, 0.01, 0.02]
    jpm = trade.get_contract("JPM")
    assert (jpm.currency, jpm.lot_size, jpm.primary_exchange) == ("USD", 1, "NYSE")
    assert tick_size(UNIVERSE["00003"], Decimal("6.2")) == Decimal("0.01")
    assert tick_size(UNIVERSE["00388"], Decimal("260")) == Decimal("0.2")


def test_option_chains_on_the_liquid_underlyings(quote):
    for symbol in ("MSFT", "NVDA", "AMZN", "META", "QQQ"):
        expiry = quote.get_option_expirations([symbol])["date"].iloc[0]
        chain = quote.get_option_chain(symbol, expiry)
        assert len(chain) >= 20 and set(chain["multiplier"]) == {100}, symbol
    hsbc = quote.get_option_expirations(["HKB.HK"], market="HK")["date"].iloc[0]
    chain = quote.get_option_chain("HKB.HK", hsbc, market="HK", timezone="Asia/Hong_Kong")
    assert set(chain["multiplier"]) == {OPTION_LISTINGS["00005"].multiplier} == {400}
    assert all(i.startswith("HKB.HK") for i in chain["identifier"])
    assert quote.get_option_expirations(["KO", "00939"]).empty


def test_a_sample_trades(sim, demo, trade):
    order = market_order(demo.account, stock_contract("JPM", "USD"), "BUY", 3)
    trade.place_order(order)
    assert trade.get_order(id=order.id).status == OrderStatus.FILLED
    sim.clock.set(HK_MORNING)
    xiaomi = stock_contract("01810", "HKD")
    with pytest.raises(ApiException) as err:
        trade.place_order(market_order(demo.account, xiaomi, "BUY", 100))
    assert err.value.msg == ex.MSG_LOT.format(lot=200)
    bought = market_order(demo.account, xiaomi, "BUY", 400)
    trade.place_order(bought)
    got = trade.get_order(id=bought.id)
    assert got.status == OrderStatus.FILLED and got.filled == 400 and got.contract.currency == "HKD"


def a_listed_hk_call(quote, root="TCH.HK"):
    expiry = quote.get_option_expirations([root], market="HK")["date"].iloc[0]
    chain = quote.get_option_chain(root, expiry, market="HK", timezone="Asia/Hong_Kong")
    calls = chain[chain["put_call"] == "CALL"].reset_index(drop=True)
    return calls.iloc[len(calls) // 2]["identifier"]


def test_an_hk_option_fills_through_its_contract_size_in_hkd(sim, demo, trade, quote):
    sim.clock.set(HK_MORNING)
    identifier = a_listed_hk_call(quote)
    option = option_from_identifier(identifier)
    assert (option.underlying, option.market, option.currency, option.multiplier) == ("00700", "HK", "HKD", 100)
    before = sim.exchange.accounts[demo.account].cash["HKD"]
    ask = sim.quote(identifier).ask
    order = market_order(demo.account, option_contract(identifier, multiplier=100, currency="HKD"), "BUY", 2)
    trade.place_order(order)
    got = trade.get_order(id=order.id)
    assert got.status == OrderStatus.FILLED and Decimal(str(got.avg_fill_price)) == ask
    assert got.contract.symbol == "TCH.HK" and got.contract.currency == "HKD" and got.contract.sec_type == "OPT"
    spent = before - sim.exchange.accounts[demo.account].cash["HKD"]
    assert ex.order_commission("HK", Decimal(2), ask * 200, "OPT") == Decimal("6.00")  # HKD 3 per contract
    assert spent == ask * 2 * 100 + Decimal("6.00")
    [position] = trade.get_positions(sec_type="OPT", market="HK")
    assert position.contract.identifier == identifier and position.quantity == 2
    assert float(position.contract.multiplier) == 100
    # By symbol, expiry, strike and right, resting below the bid, then cancelled.
    contract = option_contract_by_symbol("TCH.HK", option.expiry.strftime("%Y%m%d"), float(option.strike), "CALL",
                                         "HKD", multiplier=100)
    low = max(Decimal("0.01"), (sim.quote(identifier).bid / 2).quantize(Decimal("0.01")))
    resting = limit_order(demo.account, contract, "BUY", 1, float(low))
    trade.place_order(resting)
    assert trade.get_order(id=resting.id).status == OrderStatus.HELD
    trade.cancel_order(id=resting.id)
    sim.match()
    assert trade.get_order(id=resting.id).status == OrderStatus.CANCELLED


def test_an_hk_option_waits_for_hong_kongs_session(sim, demo, trade, quote):
    sim.clock.set(HK_MORNING)
    identifier = a_listed_hk_call(quote, "ALB.HK")
    sim.clock.set(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.timezone.utc))  # 23:00 in Hong Kong
    order = market_order(demo.account, option_contract(identifier, multiplier=500, currency="HKD"), "BUY", 1)
    trade.place_order(order)
    assert trade.get_order(id=order.id).status == OrderStatus.HELD
    sim.clock.set(dt.datetime(2026, 3, 11, 2, 0, tzinfo=dt.timezone.utc))  # 10:00 the next morning
    sim.match()
    filled = trade.get_order(id=order.id)
    assert filled.status == OrderStatus.FILLED and float(filled.contract.multiplier) == 500
