"""The admin home and the portfolio page read the same number of queries for few accounts as for
many: snapshots and health rows, not a query (or a broker call) per account or position.
The timings for 50 accounts with 20 positions each are in bench/admin_pages.py."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actors import Actor
from broker.client import broker_for
from broker.types import OrderIntent
from marketdata.models import AccountHealth, HealthStatus
from marketdata.services import portfolio_snapshot_create

pytestmark = pytest.mark.django_db

PAGES = ("/admin/", "/admin/marketdata/portfoliosnapshot/positions/", "/admin/accounts/tigeraccount/")
HOLDINGS = (("AAPL", Decimal(10)), ("MSFT", Decimal(5)), ("00700", Decimal(100)))


def test_home_portfolio_and_account_pages_read_a_constant_number_of_queries(client, sim, make_tiger_account):
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-7654321"))
    developer = sim.create_developer()

    def add_accounts(n: int) -> None:
        for _ in range(n):
            account = make_tiger_account(developer=developer, cash={"USD": 1_000_000, "HKD": 1_000_000})
            for symbol, quantity in HOLDINGS:
                broker_for(account).place_order(OrderIntent(symbol=symbol, side="BUY", quantity=quantity,
                                                            order_type="MKT"))
            AccountHealth.objects.create(account=account, status=HealthStatus.OK, latency_ms=5,
                                         checked_at=timezone.now())
        sim.match()
        for _ in range(3):  # a few points for the value-over-time chart
            portfolio_snapshot_create(actor=Actor.system("task", "beat"))

    def counts() -> dict[str, int]:
        result = {}
        for url in PAGES:
            with CaptureQueriesContext(connection) as captured:
                page = client.get(url)
            assert page.status_code == 200, url
            result[url] = len(captured)
        return result

    add_accounts(2)
    few = counts()
    assert "AAPL" in client.get(PAGES[1]).content.decode()
    add_accounts(5)
    many = counts()
    assert many == few, f"queries grew with the accounts: {few} → {many}"
    assert client.get(PAGES[0]).content.decode().count('class="tm-card"') == 7
