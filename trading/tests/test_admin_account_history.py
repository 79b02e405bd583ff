"""The account's History page in the admin: what Tiger records of one account, read now through the
same services as the MCP and REST doors (value and P&L by day, fills, cash ledger, transfers, segment
assets), each part on its own so a refused read shows its error beside the rest."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from accounts.models import Scope
from accounts.services import grant_set
from broker.client import broker_for
from broker.types import OrderIntent

pytestmark = pytest.mark.django_db


def history_url(account) -> str:
    return f"/admin/accounts/tigeraccount/{account.pk}/history/"


def table(page: str, table_id: str) -> str:
    return re.search(rf'<table id="{table_id}".*?</table>', page, re.S).group(0)


def test_the_page_shows_fills_value_history_cash_and_segments(client, sim, make_tiger_account):
    account = make_tiger_account(cash={"USD": Decimal("250000")})
    broker_for(account).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(7), order_type="MKT"))
    sim.match()
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-7654321"))

    change = client.get(f"/admin/accounts/tigeraccount/{account.pk}/change/").content.decode()
    assert f'href="{history_url(account)}" id="account-history"' in change

    page = client.get(history_url(account) + "?days=10").content.decode()
    assert re.findall(r'class="errornote"[^>]*>([^<]*)', page) == []
    fills = table(page, "fills")
    assert re.search(r"<td>AAPL</td><td>BUY</td><td>7</td>\s*<td>[\d,.]+ USD</td><td>[\d,]+\.\d\d USD</td>", fills)
    pnl_rows = re.findall(r"<tr><td>\d{4}-\d\d-\d\d</td>", table(page, "pnl"))
    assert 1 <= len(pnl_rows) <= 11  # the days of the range Tiger has values for
    assert "Over " in page and re.search(r'id="pnl-total">Over [\d-]+ to [\d-]+: -?[\d,]+\.\d\d USD', page)
    assert re.search(r"<tr><td>S</td><td>[\d,]+\.\d\d USD</td>", table(page, "segments"))
    assert "<table id=\"cash\"" in page and "<table id=\"transfers\"" in page


def test_a_part_tiger_refuses_shows_its_error_and_the_rest_still_shows(client, sim, make_tiger_account):
    account = make_tiger_account()
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-7654321"))
    sim.faults.inject("analytics_asset", "server_error", times=1)
    page = client.get(history_url(account)).content.decode()
    assert 'id="pnl-error"' in page and '<table id="pnl"' not in page
    assert '<table id="fills"' in page and '<table id="segments"' in page


def test_staff_read_the_history_only_of_accounts_granted_to_them(client, system_actor, make_tiger_account):
    granted, other = make_tiger_account(), make_tiger_account()
    user = get_user_model().objects.create_user("desk", password="pw-desk-1234567", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_tigeraccount"))
    grant_set(actor=system_actor, account=granted, scope=Scope.READ, user=user)
    client.force_login(user)
    page = client.get(history_url(granted)).content.decode()
    assert re.findall(r'class="errornote"[^>]*>([^<]*)', page) == []
    # The account's page is visible to staff with the view permission; what Tiger holds of it is not.
    refused = client.get(history_url(other)).content.decode()
    errors = re.findall(r'class="errornote" id="(\w+)-error">([^<]*)', refused)
    assert [name for name, _ in errors] == ["pnl", "fills", "cash", "transfers", "segments"]
    assert all(other.account_number in text or "permission" in text.lower() for _, text in errors), errors
    assert "<table" not in refused.split('id="content-main"')[1]
