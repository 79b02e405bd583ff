"""P&L and value history (Tiger's analytics_asset): the real SDK against the simulator, through the
selector and REST. The simulator replays the account's own fills, so the history must agree with them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Scope
from accounts.services import api_token_create, grant_set
from core.errors import InvalidInput
from marketdata.selectors import account_summary_get, pnl_history_get

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")


@pytest.fixture
def traded(sim, make_tiger_account):
    """An account that bought 10 AAPL at the simulator (as an order placed outside TigerMCP would)."""
    account = make_tiger_account(developer=sim.create_developer())
    ex = sim.exchange
    acct = ex.accounts[account.account_number]
    order = ex.place(acct, {"symbol": "AAPL", "action": "BUY", "order_type": "MKT", "total_quantity": 10})
    ex.accept(order)
    ex.match()
    assert order.filled == 10
    return account


def sim_today(sim) -> date:
    from tigersim.market_calendar import CALENDARS

    return CALENDARS["US"].local(sim.exchange.clock.now()).date()


def test_history_starts_at_the_opening_cash_and_ends_at_todays_net_liquidation(system_actor, sim, traded):
    account, history = pnl_history_get(actor=system_actor, account_number=traded.account_number)
    assert account == traded and history.currency == "USD"
    assert history.end == timezone.now().date()
    days = history.days
    assert len(days) > 15 and [d.day for d in days] == sorted(d.day for d in days)
    assert all(d.day.weekday() < 5 for d in days)
    *before, last = days
    assert last.day == sim_today(sim)
    assert all(d.net_value == Decimal("1000000") and d.pnl == 0 for d in before)
    _, assets = account_summary_get(actor=system_actor, account_number=traded.account_number)
    assert last.net_value == assets.value.net_liquidation.quantize(CENT)
    assert last.pnl == last.net_value - Decimal("1000000") != 0  # commission at least
    assert last.position_value > 0 and last.cash + last.position_value == last.net_value
    assert history.pnl == sum(d.pnl for d in days)


def test_history_in_hkd_and_a_chosen_range(system_actor, sim, traded):
    end = sim_today(sim)
    _, usd = pnl_history_get(actor=system_actor, account_number=traded.account_number, start=end - timedelta(days=7), end=end)
    _, hkd = pnl_history_get(actor=system_actor, account_number=traded.account_number, start=end - timedelta(days=7),
                             end=end, currency="hkd")
    assert hkd.currency == "HKD" and usd.start == end - timedelta(days=7)
    assert [d.day for d in usd.days] == [d.day for d in hkd.days] and all(d.day >= usd.start for d in usd.days)
    assert hkd.days[0].net_value == (usd.days[0].net_value * Decimal("7.8")).quantize(CENT)


@pytest.mark.parametrize("kwargs, message", [
    ({"start": date(2026, 3, 2), "end": date(2026, 3, 1)}, "must not be after end"),
    ({"start": date(2024, 1, 1), "end": date(2026, 1, 1)}, "at most 366 days"),
    ({"start": date.today() + timedelta(days=3)}, "is in the future"),
    ({"currency": "EUR"}, "currency must be one of USD, HKD, CNH"),
    ({"end": date(1, 1, 5)}, "History goes back 10 years"),
])
def test_bad_ranges_and_currencies_say_how_to_fix_them(system_actor, traded, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        pnl_history_get(actor=system_actor, account_number=traded.account_number, **kwargs)


def test_rest_pnl_history_is_typed_and_checks_the_grant(system_actor, sim, traded, make_tiger_account):
    token, plain = api_token_create(actor=system_actor, name="history")
    grant_set(actor=system_actor, account=traded, scope=Scope.READ, api_token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    r = client.get(f"/api/accounts/{traded.account_number}/pnl-history/", {"currency": "USD"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["account_number"] == traded.account_number and body["currency"] == "USD"
    last = body["days"][-1]
    assert last["date"] == sim_today(sim).isoformat()
    assert last["net_value"]["currency"] == "USD" and isinstance(last["net_value"]["amount"], str)
    assert Decimal(body["pnl"]["amount"]) == sum(Decimal(d["pnl"]["amount"]) for d in body["days"])
    other = make_tiger_account(developer=sim.create_developer())
    assert client.get(f"/api/accounts/{other.account_number}/pnl-history/").status_code == 404
    bad = client.get(f"/api/accounts/{traded.account_number}/pnl-history/", {"start": "March"})
    assert bad.status_code == 400 and "start:" in bad.json()["error"]["message"]
