import html
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from trading.models import KillSwitch

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123456")
    client.force_login(user)
    return client


def test_policy_edit_in_admin_makes_a_version_and_an_audit_event(admin_client, account):
    from trading.services import risk_policy_for

    policy = risk_policy_for(account=account)
    url = f"/admin/trading/riskpolicy/{policy.pk}/change/"
    assert admin_client.get(url).status_code == 200
    data = {"account": account.pk, "currency": "USD", "limits_mode": "base", "currency_limits": "{}",
            "max_order_quantity": "50", "max_order_notional": "5000",
            "price_collar_pct": "5", "allowed_symbols": "", "denied_symbols": "GME", "allowed_order_types": "LMT",
            "allowed_markets": "US", "max_orders_per_minute": "10", "duplicate_window_seconds": "5",
            "daily_loss_limit": "1000", "max_open_exposure": "20000", "max_option_contracts": "10", "max_future_contracts": "5",
            "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    policy.refresh_from_db()
    assert policy.version == 2 and policy.max_order_quantity == Decimal("50")
    event = AuditEvent.objects.filter(event_type="risk_policy.updated").latest("seq")
    assert event.door == "admin" and event.actor_label == "root" and event.payload["max_order_quantity"] == "50"


def test_policy_form_edits_the_limits_mode_and_says_how_to_fix_a_bad_limits_table(admin_client, account):
    from trading.services import risk_policy_for

    policy = risk_policy_for(account=account)
    url = f"/admin/trading/riskpolicy/{policy.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="limits_mode"' in page and 'name="currency_limits"' in page
    data = {"account": account.pk, "currency": "USD", "limits_mode": "per_currency",
            "currency_limits": '{"HKD": {"max_order_notional": "-5", "max_open_exposure": "100"}}',
            "max_order_quantity": "50", "max_order_notional": "5000", "price_collar_pct": "5", "allowed_symbols": "",
            "denied_symbols": "", "allowed_order_types": "LMT", "allowed_markets": "US,HK", "max_orders_per_minute": "10",
            "duplicate_window_seconds": "5", "daily_loss_limit": "1000", "max_open_exposure": "20000",
            "max_option_contracts": "10", "max_future_contracts": "5", "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}
    page = admin_client.post(url, data)
    assert page.status_code == 200
    assert "HKD max_order_notional must be a positive amount, like \"780000\" (got '-5')" in html.unescape(page.content.decode())
    page = admin_client.post(url, {**data, "limits_mode": "base",
                                   "currency_limits": '{"HKD": {"max_order_notional": "5", "max_open_exposure": "100"}}'})
    assert "choose that mode, or empty this field" in page.content.decode()
    response = admin_client.post(url, {**data, "currency_limits": '{"hkd": {"max_order_notional": 780000, '
                                                                  '"max_open_exposure": "1950000"}}'})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.limits_mode == "per_currency" and policy.version == 2
    assert policy.currency_limits == {"HKD": {"max_order_notional": "780000", "max_open_exposure": "1950000"}}
    version = policy.versions.get(version=2).snapshot
    assert version["limits_mode"] == "per_currency" and version["currency_limits"]["HKD"]["max_order_notional"] == "780000"


def test_global_kill_switch_admin_action(admin_client):
    import importlib

    from django.apps import apps

    # The row migrate creates (a flushing test earlier in the session may have removed it).
    importlib.import_module("trading.migrations.0005_global_kill_switch_row").create(apps, None)
    before = list(KillSwitch.objects.values_list("pk", "scope", "active", "changed_at"))
    assert admin_client.get("/admin/trading/killswitch/").status_code == 200
    assert list(KillSwitch.objects.values_list("pk", "scope", "active", "changed_at")) == before  # a GET writes nothing
    KillSwitch.objects.filter(scope="global").delete()
    assert admin_client.get("/admin/trading/killswitch/").status_code == 200
    assert not KillSwitch.objects.exists()
    importlib.import_module("trading.migrations.0005_global_kill_switch_row").create(apps, None)
    row = KillSwitch.objects.get(scope="global")
    choose = {"action": "turn_on_global", "_selected_action": [row.pk]}
    page = admin_client.post("/admin/trading/killswitch/", choose).content.decode()
    # Choosing the action only asks: a confirmation and a reason.
    assert "Turn the GLOBAL kill switch ON?" in page and 'name="reason"' in page
    row.refresh_from_db()
    assert not row.active
    page = admin_client.post("/admin/trading/killswitch/", {**choose, "post": "yes", "reason": "  "}).content.decode()
    assert 'id="reason-missing"' in page
    row.refresh_from_db()
    assert not row.active and not AuditEvent.objects.filter(event_type="kill_switch.on").exists()
    response = admin_client.post("/admin/trading/killswitch/", {**choose, "post": "yes", "reason": "market halt drill"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.active and row.changed_by == "root" and row.reason == "market halt drill"
    event = AuditEvent.objects.get(event_type="kill_switch.on", door="admin")
    assert "market halt drill" in str(event.payload)
    response = admin_client.post("/admin/trading/killswitch/", {"action": "turn_off_global", "_selected_action": [row.pk],
                                                                "post": "yes", "reason": "drill over"})
    row.refresh_from_db()
    assert response.status_code == 302 and not row.active and row.reason == "drill over"


def test_policy_versions_are_titled_by_version_and_account(admin_client, account):
    from trading.services import risk_policy_for

    policy = risk_policy_for(account=account)
    version = policy.versions.get()
    assert str(version) == f"Policy v{version.version} of {account}"
    page = admin_client.get(f"/admin/trading/riskpolicy/{policy.pk}/change/").content.decode()
    assert "RiskPolicyVersion object" not in page and f"Policy v{version.version} of" in page


def test_view_site_leads_to_a_real_page(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert '<a href="/admin/">View site</a>' in page
    assert admin_client.get("/", follow=True).redirect_chain[-1][0] == "/admin/"


def test_order_admin_pages_render(admin_client, place):
    order = place(quantity="1")
    assert admin_client.get("/admin/trading/order/").status_code == 200
    assert admin_client.get(f"/admin/trading/order/{order.pk}/change/").status_code == 200
    response = admin_client.post("/admin/trading/order/", {"action": "reconcile_accounts", "_selected_action": [order.pk]})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.reconciled_at is not None


def test_order_admin_cancel_action_audits_one_click_under_one_request_id(admin_client, place, account, system_actor):
    from accounts.models import Scope
    from accounts.services import grant_set

    grant_set(actor=system_actor, account=account, scope=Scope.TRADE, user=get_user_model().objects.get(username="root"))
    order = place(quantity="1", order_type="LMT", limit_price="1")
    seq = AuditEvent.objects.latest("seq").seq
    response = admin_client.post("/admin/trading/order/", {"action": "cancel_orders", "_selected_action": [order.pk]})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "CANCELLED"  # Tiger's PendingCancel, then the order read back
    events = AuditEvent.objects.filter(seq__gt=seq, door="admin")
    # The action is the operator's confirmation: no token is faked for it.
    assert {"order.cancel_requested", "order.transition"} <= {e.event_type for e in events}
    assert not events.filter(event_type__startswith="confirmation.").exists()
    assert len({e.request_id for e in events}) == 1
