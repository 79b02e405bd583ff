"""Fills (Tiger's order transactions): the real SDK against the simulator, through the selector and REST."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import Scope
from core.errors import InvalidInput
from trading import selectors, services
from trading.models import OrderStatus as S

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(account, api_client_for):
    return api_client_for(account, Scope.READ, name="fills")


@pytest.fixture
def filled(system_actor, account, place):
    bought = place(quantity="10")
    msft = place(symbol="MSFT", quantity="3")
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    for order in (bought, msft):
        order.refresh_from_db()
        assert order.status == S.FILLED
    return bought, msft


def sim_fills(sim, account):
    acct = sim.exchange.accounts[account.account_number]
    return {o.id: o.fills for o in acct.orders.values()}


def test_fills_agree_with_the_simulators_executions_and_name_our_orders(system_actor, account, sim, filled):
    bought, msft = filled
    acct, rows, refs = selectors.fills_list(actor=system_actor, account_number=account.account_number)
    assert acct == account
    truth = sim_fills(sim, account)
    assert len(rows) == sum(len(f) for f in truth.values())
    assert [r.time for r in rows] == sorted((r.time for r in rows), reverse=True)
    for row in rows:
        executed = truth[int(row.broker_order_id)]
        assert row.price in {f.price for f in executed} and isinstance(row.price, Decimal)
        assert row.amount == row.quantity * row.price and row.time.tzinfo is not None
    by_symbol = {r.symbol: r for r in rows}
    assert by_symbol["AAPL"].currency == "USD" and by_symbol["AAPL"].side == "BUY"
    assert sum(r.quantity for r in rows if r.symbol == "AAPL") == bought.filled_quantity
    assert refs[by_symbol["AAPL"].broker_order_id] == bought.pk and refs[by_symbol["MSFT"].broker_order_id] == msft.pk


def test_fills_filter_by_symbol_time_and_limit(system_actor, account, filled):
    n = account.account_number
    _, msft, _ = selectors.fills_list(actor=system_actor, account_number=n, symbol="msft")
    assert {r.symbol for r in msft} == {"MSFT"}
    _, everything, _ = selectors.fills_list(actor=system_actor, account_number=n)
    newest = everything[0].time
    _, later, _ = selectors.fills_list(actor=system_actor, account_number=n, since=newest + timedelta(seconds=1))
    assert later == []
    _, earlier, _ = selectors.fills_list(actor=system_actor, account_number=n, until=newest + timedelta(seconds=1))
    assert len(earlier) == len(everything)
    _, one, _ = selectors.fills_list(actor=system_actor, account_number=n, limit=1)
    assert one == everything[:1]


@pytest.mark.parametrize("kwargs, code", [({"limit": 0}, "bad_limit"), ({"limit": 101}, "bad_limit"),
                                          ({"symbol": "A A"}, "bad_symbol")])
def test_bad_fill_queries_say_how_to_fix_them(system_actor, account, kwargs, code):
    with pytest.raises(InvalidInput) as err:
        selectors.fills_list(actor=system_actor, account_number=account.account_number, **kwargs)
    assert err.value.code == code


def test_a_reversed_time_range_is_refused(system_actor, account):
    from django.utils import timezone

    now = timezone.now()
    with pytest.raises(InvalidInput, match="must be before until"):
        selectors.fills_list(actor=system_actor, account_number=account.account_number, since=now, until=now)


def test_rest_fills_are_typed_decimal_strings_with_currency(api, account, filled):
    r = api.get("/api/fills/", {"symbol": "AAPL"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["account_number"] == account.account_number
    fill = body["fills"][0]
    assert fill["symbol"] == "AAPL" and fill["order_id"] == filled[0].pk
    assert fill["price"]["currency"] == "USD" and Decimal(fill["price"]["amount"]) > 0
    assert isinstance(fill["quantity"], str) and Decimal(fill["quantity"]) > 0
    assert sum(Decimal(f["quantity"]) for f in body["fills"]) == Decimal("10")
    bad = api.get("/api/fills/", {"limit": "500"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_query"
    assert "limit" in bad.json()["error"]["message"]
