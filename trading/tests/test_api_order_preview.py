"""The REST preview carries the same `preview` object as every door: legs, net debit or credit through
the multiplier, Tiger's commission and margin impact, maximum loss and session (DRF token client,
real SDK against the simulator)."""

from decimal import Decimal

import pytest

from tigermcp.testing import listed_option

pytestmark = pytest.mark.django_db
D = Decimal


def test_an_option_preview_shows_its_premium_through_the_multiplier_as_debit_and_maximum_loss(api, account, sim):
    expiry, strike, quote = listed_option(sim)
    bid = D(str(quote["bidPrice"]))
    r = api.post("/api/orders/preview/", {"account_number": account.account_number, "symbol": "AAPL",
                                          "expiry": expiry.isoformat(), "strike": str(strike), "right": "CALL",
                                          "side": "BUY", "quantity": "3", "order_type": "LMT",
                                          "limit_price": str(bid)}, format="json")
    assert r.status_code == 200, r.json()
    s = r.json()["preview"]
    (leg,) = s["legs"]
    assert (leg["role"], leg["sec_type"], leg["multiplier"], leg["quantity"]) == ("entry", "OPT", "100", "3")
    assert leg["instrument"] == f"AAPL  {expiry:%y%m%d}C{int(strike * 1000):08d}" and D(leg["amount"]) == bid * 300
    assert s["net"]["direction"] == "debit" and D(s["net"]["amount"]) == bid * 300 and s["net"]["currency"] == "USD"
    assert s["max_loss"]["bounded"] is True and D(s["max_loss"]["amount"]) == bid * 300
    assert D(s["commission"]["min"]) == D("1.95") and s["commission"]["currency"] == "USD"  # 3 x USD 0.65
    assert s["margin"]["currency"] == "USD" and D(s["margin"]["initial_change"]) == D(s["margin"]["initial_after"]) \
        - D(s["margin"]["initial_before"])
    assert s["session"] == {"name": "regular", "market": "US", "market_status": "TRADING",
                            "next_open": s["session"]["next_open"], "text": "Trades now, in the US regular session."}


def test_a_modification_preview_has_no_order_summary(api, account, place, last_price):
    order = place(order_type="LMT", limit_price=str((last_price("AAPL") * D("0.9")).quantize(D("0.01"))))
    r = api.post(f"/api/orders/{order.pk}/modify/", {"account_number": account.account_number, "quantity": "11"},
                 format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["preview"] == {} and r.json()["action"] == "modify"
