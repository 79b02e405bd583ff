"""The account pages of the operations console: health and balances in the list and on the page (from
the health rows and the latest snapshot, in a number of queries that does not grow with the
accounts), a "test connection" action through an audited service, and credentials tried at the
gateway before they are saved."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import TigerAccount
from audit.models import AuditEvent
from marketdata.models import AccountHealth, HealthStatus
from marketdata.services import CREDENTIALS_REFUSED, GATEWAY_UNREACHABLE, portfolio_snapshot_create

pytestmark = pytest.mark.django_db

LIST = "/admin/accounts/tigeraccount/"


@pytest.fixture
def ops(client):
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-7654321"))
    return client


def _change_form(account, **overrides) -> dict:
    data = {"label": account.label, "account_number": account.account_number, "environment": account.environment,
            "permission": account.permission, "status": account.status, "base_currency": account.base_currency,
            "tiger_id": "", "private_key": "", "license": "", "server_url": account.server_url,
            "gateway_public_key": ""}
    data.update(overrides)
    return data


def test_the_list_and_the_page_show_health_and_balances_in_constant_queries(ops, make_tiger_account):
    accounts = [make_tiger_account(cash={"USD": Decimal("1234567.891")})]
    AccountHealth.objects.create(account=accounts[0], status=HealthStatus.OK, latency_ms=42, checked_at=timezone.now())
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))

    page = ops.get(LIST).content.decode()
    row = re.search(rf"<tr>.*?{accounts[0].account_number}.*?</tr>", page, re.S).group(0)
    assert "OK, 42 ms" in row and "1,234,567.89 USD" in row
    detail = ops.get(f"{LIST}{accounts[0].pk}/change/").content.decode()
    table = re.search(r'<table id="account-health-balances">(.*?)</table>', detail, re.S).group(1)
    assert "OK, 42 ms" in table and re.search(r"Net liquidation</th><td>1,234,567.89 USD", table)
    assert re.search(r"Buying power</th><td>[\d,]+\.\d\d USD", table)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert ops.get(LIST).status_code == 200
        return len(captured)

    few = queries()
    accounts += [make_tiger_account() for _ in range(4)]
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    assert queries() == few
    listing = ops.get(LIST).content.decode()
    assert listing.count("not checked yet") == 4 and listing.count("1,000,000.00 USD") >= 4


def test_test_connection_is_an_audited_service_call(ops, make_tiger_account, sim):
    good = make_tiger_account(label="Good")
    bad = make_tiger_account(label="Bad", server_url="http://127.0.0.1:9/")  # nothing listens on port 9
    response = ops.post(LIST, {"action": "test_connection", "_selected_action": [good.pk, bad.pk]}, follow=True)
    page = response.content.decode()
    assert f"{good.account_number}: connection OK" in page
    assert f"{bad.account_number}: Failing:" in page
    assert AccountHealth.objects.get(account=good).status == HealthStatus.OK
    assert AccountHealth.objects.get(account=bad).status == HealthStatus.FAILING
    events = AuditEvent.objects.filter(event_type="account.connection_tested", door="admin", actor_label="ops")
    assert {(e.account_number, e.payload["status"]) for e in events} == {
        (good.account_number, "ok"), (bad.account_number, "failing")}


def test_new_credentials_are_tried_at_the_gateway_before_they_are_saved(ops, make_tiger_account, sim):
    account = make_tiger_account(label="Desk")
    stranger = sim.create_developer()  # a real RSA key, not the one Tiger holds for this Tiger ID
    url = f"{LIST}{account.pk}/change/"

    refused = ops.post(url, _change_form(account, private_key=stranger.private_key))
    assert refused.status_code == 200
    message = re.search(r'<ul class="errorlist nonfield">\s*<li>(.*?)</li>', refused.content.decode(), re.S).group(1)
    assert message.startswith(CREDENTIALS_REFUSED.split("{")[0]) and "Save without checking" in message
    assert TigerAccount.objects.get(pk=account.pk).private_key != stranger.private_key

    unreachable = ops.post(url, _change_form(account, server_url="http://127.0.0.1:9/"))
    assert GATEWAY_UNREACHABLE.split("{")[0] in unreachable.content.decode()
    assert TigerAccount.objects.get(pk=account.pk).server_url == sim.url

    # Saving anyway is a choice made explicitly; a label change alone asks the gateway nothing.
    kept = ops.post(url, _change_form(account, server_url="http://127.0.0.1:9/", skip_connection_check="on"))
    assert kept.status_code == 302 and TigerAccount.objects.get(pk=account.pk).server_url == "http://127.0.0.1:9/"
    renamed = ops.post(url, _change_form(account, label="Desk 2", server_url="http://127.0.0.1:9/"))
    assert renamed.status_code == 302

    # The right credentials pass the check and are saved.
    fixed = ops.post(url, _change_form(account, label="Desk 2", server_url=sim.url, private_key=account.private_key))
    assert fixed.status_code == 302, fixed.content.decode()[:3000]
    assert TigerAccount.objects.get(pk=account.pk).server_url == sim.url


def test_policy_and_snapshot_lists_show_money_and_quantities_for_people(ops, make_tiger_account):
    from trading.models import RiskPolicy
    from trading.services import risk_policy_save

    account = make_tiger_account()
    risk_policy_save(actor=Actor.system("cli", "test"), policy=RiskPolicy(account=account, currency="JPY",
                                                                          max_order_notional=Decimal("12345678.9")))
    portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    policies = ops.get("/admin/trading/riskpolicy/").content.decode()
    assert "12,345,679 JPY" in policies and "250,000 JPY" in policies  # yen have no decimals
    assert re.search(r"field-max_quantity_shown\">1,000<", policies) and "1000.000000" not in policies
    snapshots = ops.get("/admin/marketdata/portfoliosnapshot/").content.decode()
    assert "1,000,000.00 USD" in snapshots and "1000000.0000" not in snapshots
