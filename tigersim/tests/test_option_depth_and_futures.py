"""Through the real SDK: HK option symbols and chains, option depth against the chain, intraday
futures bars against the futures quote, and the futures segment ("C") of prime assets."""
from decimal import Decimal

import pytest
from tigeropen.common.exceptions import ApiException

from tigersim.server import Simulator


def test_hk_option_symbols_and_chains(sim, quote):
    symbols = quote.get_option_symbols()
    by_symbol = dict(zip(symbols["symbol"], symbols["underlying_symbol"]))
    assert {"TCH.HK": "00700", "ALB.HK": "09988", "MET.HK": "03690", "HKB.HK": "00005"}.items() <= by_symbol.items()
    assert len(by_symbol) >= 8
    expirations = quote.get_option_expirations(["TCH.HK", "00700"], market="HK")
    by_root = expirations[expirations["symbol"] == "TCH.HK"]
    by_code = expirations[expirations["symbol"] == "00700"]
    assert list(by_root["date"]) == list(by_code["date"]) and len(by_root) == 4
    assert set(expirations["option_symbol"]) == {"TCH.HK"} and set(expirations["period_tag"]) == {"m"}
    assert list(by_root["date"])[0] == "2026-03-30"  # the business day before March's last (the 31st)
    first = by_root["date"].iloc[0]
    chain = quote.get_option_chain("TCH.HK", first, market="HK", timezone="Asia/Hong_Kong", return_greek_value=True)
    same = quote.get_option_chain("00700", first, return_greek_value=True)
    assert list(chain["identifier"]) == list(same["identifier"]) and len(chain) >= 20
    assert all(i.startswith("TCH.HK260330") for i in chain["identifier"])
    assert set(chain["multiplier"]) == {100}
    alibaba = quote.get_option_chain("ALB.HK", first, market="HK", timezone="Asia/Hong_Kong")
    assert set(alibaba["multiplier"]) == {500}  # HKEX's contract size for 09988
    calls = chain[chain["put_call"] == "CALL"].astype({"strike": float}).sort_values("strike")
    assert calls["latest_price"].is_monotonic_decreasing
    spot = float(sim.quote("00700").latest)
    assert float(calls["strike"].min()) < spot < float(calls["strike"].max())


def test_option_depth_agrees_with_the_chain(sim, quote):
    date = quote.get_option_expirations(["AAPL"])["date"].iloc[2]
    chain = quote.get_option_chain("AAPL", date).set_index("identifier")
    spot = float(sim.quote("AAPL").latest)
    near = chain.assign(gap=(chain["strike"].astype(float) - spot).abs()).sort_values("gap").index[:2]
    books = quote.get_option_depth(list(near), market="US")
    assert set(books) == set(near)
    for ident, book in books.items():
        row = chain.loc[ident]
        asks, bids = book["asks"], book["bids"]
        assert asks[0][0] == row["ask_price"] and bids[0][0] == row["bid_price"]
        assert sum(v for p, v, _, _ in asks if p == asks[0][0]) == row["ask_size"]
        assert sum(v for p, v, _, _ in bids if p == bids[0][0]) == row["bid_size"]
        assert [p for p, *_ in asks] == sorted(p for p, *_ in asks)
        assert [p for p, *_ in bids] == sorted((p for p, *_ in bids), reverse=True)
        assert {venue for *_, venue in asks + bids} <= {"CBOE", "AMEX", "BOX", "PHLX", "ISE", "MIAX", "ARCA",
                                                         "NSDQ", "BZX", "EMLD"}
    single = quote.get_option_depth(near[0], market="US")
    assert single["identifier"] == near[0] and single["asks"] == books[near[0]]["asks"]
    with pytest.raises(ApiException, match="no such option"):
        quote.get_option_depth("AAPL  260327C00001000", market="US")


def test_intraday_future_bars_end_at_the_quote(sim, quote):
    code = quote.get_current_future_contract("ES")["contract_code"].iloc[0]
    latest = quote.get_future_brief([code])["latest_price"].iloc[0]
    for period, minutes in (("1min", 1), ("5min", 5), ("15min", 15), ("30min", 30), ("60min", 60)):
        bars = quote.get_future_bars([code], period=period, limit=5)
        times = list(bars["time"])
        assert len(bars) == 5 and times == sorted(times)
        assert times[-1] - times[-2] == minutes * 60_000
        assert bars["close"].iloc[-1] == latest
        assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
        assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert quote.get_future_bars([code], period="week", limit=2)["close"].iloc[-1] == latest
    with pytest.raises(ApiException, match="not supported"):
        quote.get_future_bars([code], period="2min")


def test_futures_segment_of_margin_accounts(sim, demo, trade, cash_trade):
    margin, cash = demo.accounts
    assert trade.get_prime_assets().segments["C"].cash_balance == 0
    assert set(cash_trade.get_prime_assets().segments) == {"S"}  # a cash account has no futures permission
    before = trade.get_prime_assets().segments["S"].cash_balance
    sim.transfer_to_futures(margin, "USD", Decimal("25000"))
    assets = trade.get_prime_assets(base_currency="HKD").segments
    futures = assets["C"]
    assert futures.category == "C" and futures.currency == "HKD"
    assert futures.cash_balance == futures.net_liquidation == futures.equity_with_loan == 25000 * 7.8
    assert futures.init_margin == futures.maintain_margin == 0
    assert futures.currency_assets["USD"].cash_balance == 25000
    assert trade.get_prime_assets().segments["S"].cash_balance == before - 25000
    with pytest.raises(ValueError, match="no futures permission"):
        sim.transfer_to_futures(cash, "USD", Decimal("1"))
    with pytest.raises(ValueError, match="not enough"):
        sim.transfer_to_futures(margin, "USD", Decimal("-25001"))


def test_segment_transfers_through_the_sdk(sim, demo, trade, cash_trade):
    from tigeropen.common.consts import SegmentType

    usd = {i.currency: i.amount for i in trade.get_segment_fund_available(from_segment=SegmentType.SEC)}["USD"]
    moved = trade.transfer_segment_fund(from_segment=SegmentType.SEC, to_segment=SegmentType.FUT, amount=3000,
                                        currency="USD")
    assert (moved.from_segment, moved.to_segment, moved.amount, moved.status) == ("SEC", "FUT", 3000, "SUCC")
    back = trade.transfer_segment_fund(from_segment="FUT", to_segment="SEC", amount=1000, currency="USD")
    assert back.id == moved.id + 1
    [futures] = trade.get_segment_fund_available(from_segment="FUT")
    assert (futures.currency, futures.amount) == ("USD", 2000)
    after = {i.currency: i.amount for i in trade.get_segment_fund_available(from_segment="SEC")}["USD"]
    assert after == usd - 2000
    history = trade.get_segment_fund_history()
    assert [(h.from_segment, h.amount) for h in history] == [("FUT", 1000), ("SEC", 3000)]  # newest first
    assert trade.get_prime_assets().segments["C"].cash_balance == 2000
    with pytest.raises(ApiException, match="not enough USD in FUT"):
        trade.transfer_segment_fund(from_segment="FUT", to_segment="SEC", amount=2001, currency="USD")
    with pytest.raises(ApiException, match="no futures permission"):
        cash_trade.transfer_segment_fund(from_segment="SEC", to_segment="FUT", amount=1, currency="USD")


def test_futures_cash_survives_a_restart(tmp_path):
    first = Simulator(state_dir=tmp_path, seed=3, match_interval=None).start()
    demo = first.ensure_demo()
    first.transfer_to_futures(demo.accounts[0], "HKD", Decimal("1000"))
    first.stop()
    again = Simulator(state_dir=tmp_path, seed=3, match_interval=None).start()
    try:
        acct = again.exchange.accounts[demo.accounts[0]]
        assert acct.futures_cash == {"HKD": Decimal("1000")}
        assert [(t["fromSegment"], t["amount"]) for t in acct.segment_transfers] == [("SEC", Decimal("1000"))]
    finally:
        again.stop()
