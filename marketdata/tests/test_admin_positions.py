"""The admin's Portfolio page: positions across the accounts a user may read, by symbol or by
account, and as CSV."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import grant_set
from broker.client import broker_for
from broker.types import OrderIntent

pytestmark = pytest.mark.django_db
URL = "/admin/marketdata/portfoliosnapshot/positions/"


@pytest.fixture
def holdings(sim, make_tiger_account):
    developer = sim.create_developer()
    a = make_tiger_account(developer=developer, label="Alpha")
    b = make_tiger_account(developer=developer, label="Beta")
    broker_for(a).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(10), order_type="MKT"))
    broker_for(b).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(5), order_type="MKT"))
    broker_for(b).place_order(OrderIntent(symbol="MSFT", side="BUY", quantity=Decimal(3), order_type="MKT"))
    sim.match()
    return a, b


def test_by_symbol_combines_accounts_and_by_account_lists_each(client, holdings):
    a, b = holdings
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"))
    page = client.get(URL).content.decode()
    assert re.findall(r'class="errornote"[^>]*>([^<]*)', page) == []
    assert '<td>AAPL</td><td>US</td><td>15</td>' in page
    assert f"{a.account_number}: 10<br>{b.account_number}: 5" in page
    page = client.get(URL + "?group=account").content.decode()
    assert page.count('class="account-positions"') == 2
    assert f"Beta ({b.account_number})" in page and '<td>MSFT</td><td>US</td><td>3</td>' in page


def test_csv_has_one_row_per_account_and_symbol_with_exact_decimals(client, holdings):
    a, b = holdings
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"))
    response = client.get(URL + "?format=csv")
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted((r["account_number"], r["symbol"], Decimal(r["quantity"])) for r in rows) == sorted([
        (a.account_number, "AAPL", Decimal(10)), (b.account_number, "AAPL", Decimal(5)), (b.account_number, "MSFT", Decimal(3))])
    assert all(Decimal(r["market_value"]) > 0 for r in rows)


def test_staff_see_only_positions_of_accounts_they_may_read(client, holdings):
    a, b = holdings
    user = get_user_model().objects.create_user("desk", password="pw-desk-1234567", is_staff=True)
    grant_set(actor=Actor.system("cli"), account=b, scope=Scope.READ, user=user)
    client.force_login(user)
    page = client.get(URL).content.decode()
    assert a.account_number not in page and b.account_number in page and "<td>MSFT</td>" in page
    rows = list(csv.DictReader(io.StringIO(client.get(URL + "?format=csv").content.decode())))
    assert {r["account_number"] for r in rows} == {b.account_number}


def test_a_bad_base_currency_says_how_to_fix_it(client, holdings):
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"))
    page = client.get(URL + "?base=U5").content.decode()
    assert 'id="positions-error"' in page and "3-letter code like USD" in page


def test_with_a_snapshot_the_page_reads_it_and_tiger_only_when_asked(client, holdings, sim):
    from marketdata.services import portfolio_snapshot_create

    a, b = holdings
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    broker_for(a).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(1), order_type="MKT"))
    sim.match()  # after the snapshot: only a live read sees it
    user = get_user_model().objects.create_user("desk", password="pw-desk-1234567", is_staff=True)
    grant_set(actor=Actor.system("cli"), account=a, scope=Scope.READ, user=user)
    client.force_login(user)
    page = client.get(URL).content.decode()
    assert "From the portfolio snapshot of" in page and '<td>AAPL</td><td>US</td><td>10</td>' in page
    assert b.account_number not in page  # the snapshot holds both accounts; this user reads one
    live = client.get(URL + "?source=live").content.decode()
    assert "Read from Tiger at" in live and '<td>AAPL</td><td>US</td><td>11</td>' in live
    hkd = client.get(URL + "?base=HKD").content.decode()
    assert re.search(r"<td>[\d,]+\.\d\d USD</td><td>[\d,]+\.\d\d HKD</td>", hkd)
    assert "3-letter code like USD" in client.get(URL + "?base=U5").content.decode()
