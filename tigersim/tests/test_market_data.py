import datetime as dt
from decimal import Decimal


from tigersim.market_calendar import CALENDARS
from tigersim.prices import PriceModel

from .conftest import SATURDAY, US_PREMARKET, US_SESSION

UNIVERSE = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "META", "SPY", "QQQ",
            "00700", "09988", "03690", "00005", "02800"]


def test_same_seed_same_day_other_seed_other_day():
    a, b, c = PriceModel(42), PriceModel(42), PriceModel(7)
    for symbol in UNIVERSE:
        assert a.quote(symbol, US_SESSION) == b.quote(symbol, US_SESSION)
    assert [a.quote(s, US_SESSION).latest for s in UNIVERSE] != [c.quote(s, US_SESSION).latest for s in UNIVERSE]


def test_quotes_agree_with_bars():
    model = PriceModel(42)
    for symbol in ["AAPL", "SPY", "00700"]:
        from tigersim.instruments import get_instrument
        inst = get_instrument(symbol)
        q = model.quote(symbol, US_SESSION)
        assert q.bid <= q.latest <= q.ask and q.bid < q.ask and q.bid_size > 0 and q.ask_size > 0
        assert q.low <= q.regular_latest <= q.high
        minutes = model.minute_bars(inst, q.session_day, US_SESSION)
        assert minutes[-1].close == q.regular_latest  # 00700 too: HK has closed, its latest is its last minute
        day = model.day_bar(inst, q.session_day, US_SESSION)
        assert (day.open, day.high, day.low) == (q.open, q.high, q.low)
        prev = CALENDARS[inst.market].previous_trading_day(q.session_day)
        assert model.day_bar(inst, prev).close == q.pre_close


def test_sdk_quotes_bars_ticks(sim, quote):
    briefs = quote.get_stock_briefs(["AAPL", "00700"])
    row = briefs.set_index("symbol").loc["AAPL"]
    q = sim.quote("AAPL")
    assert Decimal(str(row["latest_price"])) == q.regular_latest and Decimal(str(row["ask_price"])) == q.ask
    assert row["ask_size"] == q.ask_size and row["volume"] == q.volume
    day = quote.get_bars(["AAPL"], period="day", limit=5)
    assert len(day) == 5 and day["close"].iloc[-1] == float(q.regular_latest)
    assert day["close"].iloc[-2] == float(q.pre_close)
    assert (day["high"] >= day[["open", "close"]].max(axis=1)).all()
    one = quote.get_bars(["AAPL"], period="1min", limit=30)
    five = quote.get_bars(["AAPL"], period="5min", limit=6)
    assert len(one) == 30 and one["close"].iloc[-1] == float(q.regular_latest)
    assert five["close"].iloc[-1] == one["close"].iloc[-1] and five["volume"].iloc[-1] <= five["volume"].sum()
    week = quote.get_bars(["AAPL"], period="week", limit=3)
    month = quote.get_bars(["AAPL"], period="month", limit=2)
    assert len(week) == 3 and len(month) == 2 and week["close"].iloc[-1] == float(q.regular_latest)
    ticks = quote.get_trade_ticks(["AAPL"], limit=20)
    assert len(ticks) == 20 and abs(ticks["price"].iloc[-1] - float(q.latest)) < 0.5
    assert set(ticks["direction"]) <= {"+", "-", "*"}


def test_calendar_phases():
    us, hk = CALENDARS["US"], CALENDARS["HK"]
    assert us.phase(US_SESSION) == "TRADING"
    assert us.phase(US_PREMARKET) == "PRE_HOUR_TRADING"
    assert us.phase(dt.datetime(2026, 3, 10, 21, 0, tzinfo=dt.timezone.utc)) == "POST_HOUR_TRADING"
    assert us.phase(dt.datetime(2026, 3, 11, 2, 0, tzinfo=dt.timezone.utc)) == "CLOSING"
    assert us.phase(SATURDAY) == "MARKET_CLOSED"
    assert us.phase(dt.datetime(2026, 12, 25, 15, 0, tzinfo=dt.timezone.utc)) == "MARKET_CLOSED"  # Christmas
    assert hk.phase(dt.datetime(2026, 3, 10, 4, 30, tzinfo=dt.timezone.utc)) == "MIDDLE_CLOSE"  # 12:30 HKT
    assert hk.phase(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.timezone.utc)) == "TRADING"
    # winter and summer time: 09:30 New York is 14:30 UTC in March before DST, 13:30 after
    assert us.at(dt.date(2026, 3, 6), us.regular_open).utcoffset() == dt.timedelta(hours=-5)
    assert us.at(dt.date(2026, 3, 10), us.regular_open).utcoffset() == dt.timedelta(hours=-4)


def test_market_status_through_the_sdk(sim, quote):
    status = {m.market: m for m in quote.get_market_status()}
    assert status["US"].trading_status == "TRADING" and status["US"].status == "Trading"
    assert status["HK"].trading_status == "CLOSING"
    sim.clock.set(SATURDAY)
    status = {m.market: m for m in quote.get_market_status()}
    assert status["US"].trading_status == "MARKET_CLOSED"
    assert status["US"].open_time.strftime("%m-%d %H:%M") == "03-16 09:30"
    sim.clock.set(US_PREMARKET)
    [us] = quote.get_market_status("US")
    assert us.trading_status == "PRE_HOUR_TRADING"
    briefs = quote.get_stock_briefs(["AAPL"], include_hour_trading=True)
    assert briefs["hour_trading_tag"].iloc[0] == "Pre-Mkt"
    assert briefs["latest_price"].iloc[0] == briefs["pre_close"].iloc[0]  # no regular trade yet today


def test_options(sim, quote):
    expirations = quote.get_option_expirations(["AAPL", "SPY", "TSLA"])
    assert set(expirations["symbol"]) == {"AAPL", "SPY", "TSLA"}
    aapl = expirations[expirations["symbol"] == "AAPL"]
    assert "m" in set(aapl["period_tag"]) and "w" in set(aapl["period_tag"])
    chain = quote.get_option_chain("AAPL", aapl["date"].iloc[2], return_greek_value=True)
    spot = float(sim.quote("AAPL").latest)
    calls = chain[chain["put_call"] == "CALL"].astype({"strike": float}).sort_values("strike")
    puts = chain[chain["put_call"] == "PUT"].astype({"strike": float}).sort_values("strike")
    assert len(calls) == len(puts) >= 10
    assert calls["latest_price"].is_monotonic_decreasing and puts["latest_price"].is_monotonic_increasing
    assert (calls["bid_price"] <= calls["ask_price"]).all()
    assert ((calls["delta"] > 0) & (calls["delta"] < 1)).all() and (puts["delta"] < 0).all()
    deep = calls.iloc[0]
    assert deep["latest_price"] >= spot - deep["strike"] - 0.5  # no arbitrage below intrinsic
    assert quote.get_option_expirations(["KO"]).empty


def test_contracts_and_fx(sim, trade, quote):
    contract = trade.get_contract("00700")
    assert (contract.symbol, contract.currency, contract.lot_size, contract.market) == ("00700", "HKD", 100.0, "HK")
    assert [c.symbol for c in trade.get_contracts(["AAPL", "SPY", "NOPE"])] == ["AAPL", "SPY"]
    assert trade.get_contract("NOPE") is None
    rates = quote.get_financial_exchange_rate(["USD", "HKD", "CNH"], "2026-03-10")
    assert dict(zip(rates["currency"], rates["value"])) == {"USD": 1.0, "HKD": 7.8, "CNH": 7.2}
    assert sim.exchange.fx_rate("HKD") == Decimal("7.8")
