import re

import pytest
from django.contrib.auth import get_user_model

from accounts.actors import Actor
from accounts.tests.factories import make_account
from trading.services import kill_switch_set

pytestmark = pytest.mark.django_db


def test_admin_home_shows_health_kill_switch_and_accounts(client):
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"))
    account = make_account(label="Alpha")
    page = client.get("/admin/").content.decode()
    assert 'id="tigermcp-dashboard"' in page and "Alpha (" + account.account_number + ")" in page
    assert re.search(r'id="kill-switch">\s*off</td>', page)
    usage = re.search(r'id="process-usage">memory ([\d.]+) MiB, CPU ([\d.]+)% since start.*?disk ([\d.]+)% free', page, re.S)
    assert usage and float(usage.group(1)) > 10 and 0 < float(usage.group(3)) <= 100, page
    kill_switch_set(actor=Actor.system("cli"), active=True, reason="fat finger drill")
    page = client.get("/admin/").content.decode()
    assert "fat finger drill" in page and "globally" in page


@pytest.fixture
def two_desks():
    """Two accounts, each with an order and its own kill switch on, plus an unknown-outcome order on B."""
    from trading.models import OrderStatus
    from trading.tests.factories import make_order

    a, b = make_account(label="Desk A"), make_account(label="Desk B")
    orders = {a: make_order(account=a, symbol="AAA"), b: make_order(account=b, symbol="BBB", status=OrderStatus.UNKNOWN)}
    for account in (a, b):
        kill_switch_set(actor=Actor.system("cli"), active=True, account_number=account.account_number,
                        reason=f"halt {account.label}")
    return a, b, orders


def _staff(client, *, perms=(), grant=None):
    from django.contrib.auth.models import Permission

    from accounts.models import Scope
    from accounts.services import grant_set

    user = get_user_model().objects.create_user("desk", password="pw-desk-1234567", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=perms))
    if grant is not None:
        grant_set(actor=Actor.system("cli"), account=grant, scope=Scope.READ, user=user)
    client.force_login(user)
    return client.get("/admin/").content.decode()


def test_staff_without_permissions_or_grants_see_no_account_or_order(client, two_desks):
    a, b, orders = two_desks
    page = _staff(client)
    assert 'id="tigermcp-dashboard"' in page and 'id="system-status"' in page
    for account in (a, b):
        assert account.account_number not in page and account.label not in page
    assert "AAA" not in page and "BBB" not in page and 'id="recent-orders"' not in page
    assert "Orders with unknown outcome" not in page and "Portfolio" not in page
    assert re.search(r'id="kill-switch">\s*off</td>', page)


def test_staff_see_only_their_granted_accounts_and_with_the_permission_their_orders(client, two_desks):
    a, b, orders = two_desks
    page = _staff(client, perms=["view_order"], grant=a)
    assert f"Desk A ({a.account_number})" in page and "halt Desk A" in page
    assert b.account_number not in page and "Desk B" not in page
    assert f"#{orders[a].pk}</a>" in page and "AAA" in page and "BBB" not in page
    assert re.search(r"Orders with unknown outcome</th>\s*<td>0</td>", page)  # B's unknown order is not counted
