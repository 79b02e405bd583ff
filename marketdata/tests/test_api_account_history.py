"""REST: an account's cash ledger, deposits and withdrawals, and assets by segment and currency;
a token caller, the real SDK over HTTP to the simulator."""

from decimal import Decimal

import pytest

from accounts.models import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def traded(sim, make_tiger_account, api_client_for):
    account = make_tiger_account(label="History")
    acct = sim.exchange.accounts[account.account_number]
    for quantity in (4, 6):
        order = sim.exchange.place(acct, {"symbol": "AAPL", "action": "BUY", "order_type": "MKT",
                                          "total_quantity": quantity})
        sim.exchange.accept(order)
        sim.exchange.match()
    return account, acct, api_client_for(account, Scope.READ)


def test_the_cash_ledger_adds_up_to_the_cash_balance(traded, make_tiger_account):
    account, acct, client = traded
    url = f"/api/accounts/{account.account_number}/cash-history/"
    body = client.get(url).json()
    kinds = [e["kind"] for e in body["entries"]]
    assert kinds[0] == "DEPOSIT_WITHDRAW" and kinds.count("TRADE") == 2 and body["total"] == len(kinds)
    assert sum(Decimal(e["amount"]["amount"]) for e in body["entries"]) == acct.cash["USD"]
    trades = [e for e in body["entries"] if e["kind"] == "TRADE"]
    fills = [f for o in acct.orders.values() for f in o.fills]
    assert sorted(-Decimal(e["amount"]["amount"]) for e in trades) == sorted(f.quantity * f.price for f in fills)
    page = client.get(url, {"limit": 1, "offset": 1}).json()
    assert len(page["entries"]) == 1 and page["entries"][0] == body["entries"][1] and page["next_offset"] == 2
    fees = client.get(url, {"kind": "FEE"}).json()
    assert fees["entries"] and {e["kind"] for e in fees["entries"]} == {"FEE"}
    assert all(Decimal(e["amount"]["amount"]) < 0 for e in fees["entries"])
    bad = client.get(url, {"start": "2026-03-10", "end": "2026-03-01"})
    assert bad.status_code == 400 and "start" in bad.json()["error"]["message"]
    other = make_tiger_account(label="Not mine")
    refused = client.get(f"/api/accounts/{other.account_number}/cash-history/")
    assert refused.status_code == 404


def test_transfers_and_segments(traded):
    account, acct, client = traded
    transfers = client.get(f"/api/accounts/{account.account_number}/transfers/").json()["transfers"]
    assert [(t["kind"], t["amount"]) for t in transfers] == [("DEPOSIT", {"amount": "1000000", "currency": "USD"})]
    usd = client.get(f"/api/accounts/{account.account_number}/segments/").json()
    segment, futures = usd["segments"]  # a margin account: securities, then its futures segment
    assert futures["segment"] == "C" and futures["cash"] == {"amount": "0", "currency": "USD"}
    assert segment["segment"] == "S" and segment["cash"]["currency"] == "USD"
    assert Decimal(segment["cash"]["amount"]) == acct.cash["USD"]
    by_currency = {c["cash"]["currency"]: c for c in segment["currencies"]}
    assert Decimal(by_currency["USD"]["cash"]["amount"]) == acct.cash["USD"] and "HKD" in by_currency
    hkd = client.get(f"/api/accounts/{account.account_number}/segments/", {"base_currency": "HKD"}).json()
    assert hkd["segments"][0]["cash"]["currency"] == "HKD"
    assert Decimal(hkd["segments"][0]["cash"]["amount"]) == acct.cash["USD"] * Decimal("7.8")


def test_the_futures_segment_shows_cash_moved_to_it(traded, sim):
    account, acct, client = traded
    before = acct.cash["USD"]
    sim.transfer_to_futures(account.account_number, "USD", Decimal("40000"))
    body = client.get(f"/api/accounts/{account.account_number}/segments/", {"base_currency": "HKD"}).json()
    securities, futures = body["segments"]
    assert futures["segment"] == "C" and futures["capability"] == "RegTMargin"
    for field in ("cash", "net_liquidation", "equity_with_loan"):
        assert futures[field] == {"amount": "312000", "currency": "HKD"}  # 40,000 USD at 7.8
    assert futures["init_margin"]["amount"] == futures["maint_margin"]["amount"] == "0"
    assert [(c["cash"]["amount"], c["cash"]["currency"]) for c in futures["currencies"]] == [("40000", "USD")]
    assert Decimal(securities["cash"]["amount"]) == (before - 40000) * Decimal("7.8")
