"""The admin home as an operator reads it: totals in a chosen base currency over the accounts the user
may read, one card per account, money and quantities formatted for people."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import grant_set
from accounts.tests.factories import make_account
from marketdata.models import PortfolioSnapshot
from core.formatting import format_money, format_quantity

pytestmark = pytest.mark.django_db


def test_money_has_thousands_separators_and_the_currency_precision():
    assert format_money(Decimal("1128205.1282"), "USD") == "1,128,205.13 USD"
    assert format_money(Decimal("1128205.5"), "JPY") == "1,128,206 JPY"
    assert format_money(Decimal("12.3456"), "KWD") == "12.346 KWD"
    assert format_money(Decimal("-0.005"), "HKD") == "-0.00 HKD"
    assert format_money(None, "USD") == "—"


def test_quantities_lose_trailing_zeros_and_never_show_an_exponent():
    assert format_quantity(Decimal("1.000000")) == "1"
    assert format_quantity(Decimal("0.500000")) == "0.5"
    assert format_quantity(Decimal("1200.000000")) == "1,200"
    assert format_quantity(Decimal("100")) == "100"


def _account_data(account, *, currency="USD", net="1000000", cash="500000", buying_power="2000000", positions=()):
    return {"account_number": account.account_number, "label": account.label, "currency": currency,
            "net_liquidation": net, "cash": cash, "buying_power": buying_power, "unrealized_pnl": "10.5",
            "realized_pnl": "0", "positions": [
                {"symbol": s, "currency": currency, "quantity": q, "market_value": mv} for s, q, mv in positions]}


def _snapshot(taken_at, accounts, *, errors=(), rates=None):
    from marketdata.services.portfolio import snapshot_account_values

    data = {"accounts": accounts, "errors": list(errors),
            # Tiger's forexRate: one unit of each currency in USD.
            "fx_rates": rates if rates is not None else {"USD": "1", "HKD": "0.128"}}
    return PortfolioSnapshot.objects.create(
        taken_at=taken_at, base_currency="USD", net_liquidation=0, cash=0, market_value=0, unrealized_pnl=0,
        realized_pnl=0, accounts_ok=len(accounts), accounts_failed=len(errors), duration_ms=1,
        data=data, account_values=snapshot_account_values(data))


@pytest.fixture
def desks():
    """Desk A (USD) and Desk B (HKD) in two snapshots: yesterday's and now's; Desk C failed now."""
    a, b, c = make_account(label="Desk A"), make_account(label="Desk B"), make_account(label="Desk C")
    now = timezone.now()
    _snapshot(now.replace(hour=0, minute=0) - timedelta(hours=2),
              [_account_data(a, net="1100000"), _account_data(b, currency="HKD", net="1000000")])
    _snapshot(now, [_account_data(a, net="1128205.1282", positions=[("AAPL", "10", "2000"), ("TSLA", "5", "1000")]),
                    _account_data(b, currency="HKD", net="1000000", positions=[("00700", "100", "50000")])],
              errors=[{"account_number": c.account_number, "label": "Desk C", "code": "broker_unavailable",
                       "message": "Tiger did not answer " + "x" * 300}])
    return a, b, c


def _home(client, user, query=""):
    client.force_login(user)
    return client.get("/admin/" + query).content.decode()


def test_superuser_sees_totals_day_pnl_cards_and_errors_formatted(client, desks):
    a, b, c = desks
    page = _home(client, get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"))
    # 1,128,205.1282 USD + 1,000,000 HKD * 0.128 = 1,256,205.1282 USD
    assert re.search(r'id="total-net-liquidation">1,256,205.13 USD<', page)
    # yesterday: 1,100,000 + 128,000 = 1,228,000 -> +28,205.13
    assert re.search(r'id="day-pnl">\+28,205.13 USD<', page)
    shown = re.sub(r"<script.*?</script>", "", page, flags=re.S)  # what a person reads, not chart data
    assert "1128205.1282" not in shown and "1,128,205.13 USD" in shown and "1,000,000.00 HKD" in shown
    card_a = page[page.index(f'id="account-{a.account_number}"'):]
    assert re.search(r"Buying power</dt><dd[^>]*>2,000,000.00 USD</dd>", card_a)
    card_c = page[page.index(f'id="account-{c.account_number}"'):]
    assert "Tiger did not answer" in card_c[:card_c.index("</div>")]


def test_the_base_currency_is_the_users_choice(client, desks):
    page = _home(client, get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"), "?base=HKD")
    # 1,256,205.1282 USD / 0.128 = 9,814,102.564... HKD
    assert re.search(r'id="total-net-liquidation">9,814,102.56 HKD<', page)
    assert re.search(r'<option value="HKD" selected>', page)
    page = client.get("/admin/?base=EUR").content.decode()
    assert "No FX rate for &#x27;EUR&#x27; in the latest snapshot; choose one of HKD, USD." in page
    assert re.search(r'id="total-net-liquidation">1,256,205.13 USD<', page)


def test_staff_totals_cover_only_the_accounts_they_may_read(client, desks):
    a, b, c = desks
    user = get_user_model().objects.create_user("desk", password="pw-desk-1234567", is_staff=True)
    grant_set(actor=Actor.system("cli"), account=b, scope=Scope.READ, user=user)
    page = _home(client, user)
    assert re.search(r'id="total-net-liquidation">128,000.00 USD<', page)
    assert re.search(r'id="day-pnl">0.00 USD<', page)
    assert a.account_number not in page and "AAPL" not in page and "Desk C" not in page
    assert '"label": "00700"' in page  # the by-symbol chart's data: only B's position
    import json

    series = json.loads(re.search(r'id="data-over-time" type="application/json">(.*?)</script>', page).group(1))
    assert [round(p["net_liquidation"], 2) for p in series] == [128000.0, 128000.0]  # B's alone, in both snapshots


def test_chart_data_holds_allocation_and_history_for_the_visible_accounts(client, desks):
    import json

    page = _home(client, get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"))
    by_symbol = json.loads(re.search(r'id="data-by-symbol" type="application/json">(.*?)</script>', page).group(1))
    assert by_symbol == [{"label": "00700", "value": 6400.0}, {"label": "AAPL", "value": 2000.0},
                         {"label": "TSLA", "value": 1000.0}]
    series = json.loads(re.search(r'id="data-over-time" type="application/json">(.*?)</script>', page).group(1))
    assert [round(p["net_liquidation"], 2) for p in series] == [1228000.0, 1256205.13]
    assert '/static/vendor/chart.js/dist/chart.umd.min.js' in page


def test_chart_js_is_installed_and_served_by_the_app_with_its_licence(client):
    from django.contrib.staticfiles import finders

    script = finders.find("vendor/chart.js/dist/chart.umd.min.js")
    assert script, "Chart.js is missing: scripts/bootstrap.sh installs it with npm ci"
    assert "Released under the MIT License" in open(script).read(500)
    assert "MIT License" in open(finders.find("vendor/chart.js/LICENSE.md")).read()


def test_no_snapshot_means_no_portfolio_panel_but_still_account_cards(client):
    account = make_account(label="Lonely")
    page = _home(client, get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"))
    assert 'id="total-net-liquidation"' not in page and "<canvas" not in page
    assert f'id="account-{account.account_number}"' in page
