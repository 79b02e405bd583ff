"""The order pages of the operations console: a list that fits, a page that explains the order (risk
decision, fills, audit trail), and Cancel and Modify buttons that go through the services."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Scope
from accounts.services import grant_set
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def trader(client, account, system_actor):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123456")
    grant_set(actor=system_actor, account=account, scope=Scope.TRADE, user=user)
    client.force_login(user)
    return client


def test_the_list_shows_normalised_quantities_and_few_columns(trader, place):
    order = place(quantity="3", order_type="LMT", limit_price="1.5")
    page = trader.get("/admin/trading/order/").content.decode()
    assert "BUY 3 AAPL LMT @ 1.50 USD" in page and "3.000000" not in page
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert len(re.findall(r"<th", header)) <= 9  # checkbox, id and six more: status stays in view
    assert re.search(rf'field-status">{order.get_status_display()}<', page)


def test_the_order_page_shows_the_risk_decision_fills_and_its_own_audit_trail(trader, place, sim):
    other = place(quantity="2")
    order = place(quantity="1")
    sim.match()
    from trading.services import orders_reconcile
    from accounts.actors import Actor

    orders_reconcile(actor=Actor.system("cli"), account_number=order.account.account_number)
    page = trader.get(f"/admin/trading/order/{order.pk}/change/").content.decode()
    table = re.search(r'<table class="risk-decision">(.*?)</table>', page, re.S).group(1)
    assert re.search(r'<th scope="row">Accepted</th><td>yes</td>', table)
    assert re.search(r'<th scope="row">Rules checked</th><td>[a-z_]+(, [a-z_]+)+</td>', table)
    assert "&quot;accepted&quot;" not in page  # not raw JSON
    trail = re.search(r'<table class="audit-trail">(.*?)</table>', page, re.S).group(1)
    mine = AuditEvent.objects.filter(payload__order_id=order.pk)
    assert mine.exists() and all(f">#{e.seq}</a>" in trail for e in mine)
    assert not any(f">#{e.seq}</a>" in trail for e in AuditEvent.objects.filter(payload__order_id=other.pk))
    order.refresh_from_db()
    assert order.status == "FILLED" and order.fills.exists()
    fill = order.fills.get()
    assert f"{fill.execution_id}" in page and "1.000000" not in page


def test_cancel_asks_then_goes_through_the_operator_service(trader, place):
    order = place(quantity="1", order_type="LMT", limit_price="1")
    page = trader.get(f"/admin/trading/order/{order.pk}/change/").content.decode()
    assert f'/admin/trading/order/{order.pk}/cancel/' in page and 'id="order-modify"' in page
    ask = trader.get(f"/admin/trading/order/{order.pk}/cancel/").content.decode()
    assert "Yes, cancel order #" in ask
    order.refresh_from_db()
    assert order.status == "SUBMITTED"  # asking wrote nothing
    response = trader.post(f"/admin/trading/order/{order.pk}/cancel/", follow=True)
    order.refresh_from_db()
    assert order.status == "CANCELLED"
    assert f"Cancel requested for order {order.pk}: now CANCELLED." in response.content.decode()
    event = AuditEvent.objects.get(event_type="order.cancel_requested", payload__order_id=order.pk)
    assert event.door == "admin" and event.actor_label == "root" and event.payload["by"] == "operator"
    page = trader.get(f"/admin/trading/order/{order.pk}/change/").content.decode()
    assert 'id="order-cancel"' not in page  # no buttons on a finished order
    again = trader.post(f"/admin/trading/order/{order.pk}/cancel/", follow=True).content.decode()
    assert f"Order {order.pk}: Order {order.pk} is CANCELLED; only working orders" in again


def test_modify_previews_with_a_risk_table_then_confirms_through_order_modify(trader, place):
    order = place(quantity="1", order_type="LMT", limit_price="1")
    url = f"/admin/trading/order/{order.pk}/modify/"
    assert 'id="modify-form"' in trader.get(url).content.decode()
    empty = trader.post(url, {}).content.decode()
    assert "Give a new quantity, limit price, stop price or trailing distance." in empty
    preview = trader.post(url, {"quantity": "2", "limit_price": "1.25"}).content.decode()
    assert re.search(r'<th scope="row">Quantity</th><td>1</td><td>2</td>', preview)
    assert re.search(r'<th scope="row">Limit price</th><td>1.00 USD</td><td>1.25 USD</td>', preview)
    assert '<table class="risk-decision">' in preview
    token = re.search(r'name="confirmation_token" value="([^"]+)"', preview).group(1)
    order.refresh_from_db()
    assert order.quantity == Decimal("1")  # a preview changes nothing
    done = trader.post(url, {"confirmation_token": token}, follow=True).content.decode()
    order.refresh_from_db()
    assert order.quantity == Decimal("2") and order.limit_price == Decimal("1.25")
    assert f"Order {order.pk} modified: now 2 AAPL" in done
    assert AuditEvent.objects.filter(event_type__startswith="order.modif", payload__order_id=order.pk, door="admin").exists()
    # The same token again is refused by the service, and says so.
    again = trader.post(url, {"confirmation_token": token}, follow=True).content.decode()
    assert re.search(rf'<li class="error">Order {order.pk}: [^<]*confirmation', again, re.I)


def test_a_refused_modify_shows_the_rule(trader, place, account):
    from trading.services import risk_policy_for

    policy = risk_policy_for(account=account)
    order = place(quantity="1", order_type="LMT", limit_price="1")
    too_many = str(policy.max_order_quantity + 1)
    page = trader.post(f"/admin/trading/order/{order.pk}/modify/", {"quantity": too_many}).content.decode()
    assert 'id="modify-error"' in page and "max" in page.lower()
    order.refresh_from_db()
    assert order.quantity == Decimal("1")


def test_staff_see_only_orders_of_accounts_they_may_read(client, place, account, make_tiger_account, system_actor):
    from django.contrib.auth.models import Permission

    order = place(quantity="1")
    user = get_user_model().objects.create_user("desk", password="pw-desk-1234567", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_order"))
    client.force_login(user)
    # The order's change link, not its bare id: on a fresh SQLite database the id is 1, which the list
    # also shows as a sorting priority.
    assert f'/admin/trading/order/{order.pk}/change/' not in client.get("/admin/trading/order/").content.decode()
    assert client.get(f"/admin/trading/order/{order.pk}/change/").status_code == 302  # not found: back to the list
    grant_set(actor=system_actor, account=account, scope=Scope.READ, user=user)
    assert f'/admin/trading/order/{order.pk}/change/' in client.get("/admin/trading/order/").content.decode()
