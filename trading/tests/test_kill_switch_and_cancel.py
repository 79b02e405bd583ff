from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.actors import Actor
from audit.models import AuditEvent
from core.errors import PermissionDenied
from trading import services
from trading.models import KillSwitch, OrderStatus
from trading.risk import RiskRefused

pytestmark = pytest.mark.django_db
S = OrderStatus


def working(place, last_price, **kw):
    # A buy far below the market: it rests, and is inside the collar (the collar bounds prices through the market).
    limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    return place(order_type="LMT", limit_price=str(limit), **kw)


def test_cancel_needs_its_token_and_ends_cancelled(system_actor, account, sim, place, last_price):
    order = working(place, last_price)
    assert order.status == S.SUBMITTED
    with pytest.raises(PermissionDenied):
        services.order_cancel(actor=system_actor, account_number=account.account_number, order_id=order.pk,
                              confirmation_token="tmc_forged")
    preview = services.order_cancel_preview(actor=system_actor, account_number=account.account_number, order_id=order.pk)
    done = services.order_cancel(actor=system_actor, account_number=account.account_number, order_id=order.pk,
                                 confirmation_token=preview.confirmation_token)
    assert done.status in (S.CANCEL_PENDING, S.CANCELLED)
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    done.refresh_from_db()
    assert done.status == S.CANCELLED
    assert sim.exchange.accounts[account.account_number].orders[int(order.broker_id)].status == "Cancelled"
    moves = list(AuditEvent.objects.filter(event_type="order.transition", payload__order_id=order.pk)
                 .order_by("seq").values_list("payload__to", flat=True))
    assert moves[-2:] == [S.CANCEL_PENDING, S.CANCELLED]


def test_modify_changes_the_broker_order_after_a_risk_check(system_actor, account, sim, place, last_price):
    order = working(place, last_price, quantity="5")
    new_limit = (last_price() * Decimal("0.85")).quantize(Decimal("0.01"))
    with pytest.raises(RiskRefused) as err:
        services.order_modify_preview(actor=system_actor, account_number=account.account_number, order_id=order.pk,
                                      quantity="5000")
    assert err.value.decision.rule == "max_quantity"
    preview = services.order_modify_preview(actor=system_actor, account_number=account.account_number,
                                            order_id=order.pk, quantity="6", limit_price=str(new_limit))
    done = services.order_modify(actor=system_actor, account_number=account.account_number, order_id=order.pk,
                                 confirmation_token=preview.confirmation_token)
    assert done.quantity == 6 and done.limit_price == new_limit
    at_broker = sim.exchange.accounts[account.account_number].orders[int(order.broker_id)]
    assert at_broker.quantity == 6 and at_broker.limit_price == new_limit
    assert AuditEvent.objects.filter(event_type="order.modified", payload__order_id=order.pk).count() == 1


def test_kill_switch_refuses_new_risk_and_cancels_working_orders(system_actor, account, make_tiger_account, sim,
                                                                 place, last_price):
    order = working(place, last_price)
    other = make_tiger_account(developer=sim.create_developer())
    result = services.kill_switch_set(actor=system_actor, active=True, account_number=account.account_number,
                                      reason="runaway model")
    assert result.cancel_requested == [order.pk] and result.cancel_failed == {}
    order.refresh_from_db()
    assert order.status in (S.CANCEL_PENDING, S.CANCELLED)
    event = AuditEvent.objects.filter(event_type="kill_switch.on").latest("seq")
    assert event.payload == {"scope": "account", "reason": "runaway model"} and event.account_number == account.account_number
    with pytest.raises(RiskRefused) as err:
        place(quantity="1")
    assert err.value.decision.rule == "kill_switch" and "account" in err.value.message
    # Another account is not affected by this account's switch...
    assert place(acct=other, quantity="1").status == S.SUBMITTED
    # ...but is by the global one.
    services.kill_switch_set(actor=system_actor, active=True, reason="all stop")
    with pytest.raises(RiskRefused, match=r"\(global\)"):
        place(acct=other, quantity="2")
    services.kill_switch_set(actor=system_actor, active=False)
    services.kill_switch_set(actor=system_actor, active=False, account_number=account.account_number)
    assert place(quantity="3").status == S.SUBMITTED
    assert list(AuditEvent.objects.filter(event_type__startswith="kill_switch").order_by("seq")
                .values_list("event_type", flat=True)) == ["kill_switch.on", "kill_switch.on", "kill_switch.off", "kill_switch.off"]


def test_kill_switch_still_allows_closing_a_position(system_actor, account, sim, place):
    bought = place(quantity="10")
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    bought.refresh_from_db()
    assert bought.status == S.FILLED
    services.kill_switch_set(actor=system_actor, active=True)
    try:
        assert place(side="SELL", quantity="10").status == S.SUBMITTED
        with pytest.raises(RiskRefused):
            place(side="SELL", quantity="1")  # more than is left to close: would open a short
    finally:
        services.kill_switch_set(actor=system_actor, active=False)


def test_only_operators_use_the_kill_switch(account):
    user = get_user_model().objects.create_user("bob", password="pw-bob-123456")
    with pytest.raises(PermissionDenied) as err:
        services.kill_switch_set(actor=Actor.for_user(user, door="api"), active=True)
    assert err.value.message == services.OPERATORS_ONLY
    assert not KillSwitch.objects.filter(active=True).exists()  # nothing was switched on


def test_management_commands(system_actor, account, sim, place, last_price, capsys):
    order = working(place, last_price)
    call_command("kill_switch", "on", "--account", account.account_number, "--reason", "drill")
    out = capsys.readouterr().out
    assert "ON" in out and "cancel requested for 1" in out
    assert KillSwitch.objects.get(account=account).active
    call_command("reconcile_orders")
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    call_command("kill_switch", "off", "--account", account.account_number)
    assert not KillSwitch.objects.get(account=account).active
    assert AuditEvent.objects.filter(event_type="kill_switch.off", door="cli").count() == 1


def test_kill_switch_summary_reports_failed_and_unresolved_cancels():
    from trading.services import KillSwitchResult

    on = KillSwitchResult(scope="DU1", active=True, cancel_requested=[1], cancel_failed={2: "x"}, unresolved=[3])
    assert on.summary() == "DU1: kill switch ON; cancel requested for 1 order(s), 1 failed, 1 unresolved."
    assert KillSwitchResult(scope="global", active=False).summary() == "global: kill switch off."
