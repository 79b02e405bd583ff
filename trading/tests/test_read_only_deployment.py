"""A read-only deployment (TIGERMCP_READ_ONLY=true) writes nothing to Tiger, whatever the door:
the kill switch is recorded and says that its cancels were not sent."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from broker.client import READ_ONLY_WRITE, broker_for
from audit.models import AuditEvent
from core.errors import BrokerRejected
from trading.models import KillSwitch, OrderStatus
from trading.services import CANCELS_NOT_SENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def resting(place, last_price, settings):
    """A working order at the simulator, placed before the deployment went read-only."""
    limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    order = place(order_type="LMT", limit_price=str(limit))
    assert order.status == OrderStatus.SUBMITTED
    settings.TIGERMCP_READ_ONLY = True
    return order


def _at_broker(sim, order):
    return sim.exchange.accounts[order.account.account_number].orders[int(order.broker_id)]


def test_the_admins_account_kill_switch_is_recorded_and_sends_no_cancel(resting, account, sim, client):
    admin = get_user_model().objects.create_superuser("ops", password="pw-ops-1234567")
    client.force_login(admin)
    page = client.post(reverse("admin:accounts_tigeraccount_changelist"),
                       {"action": "kill_switch_on", "_selected_action": [account.pk]}, follow=True).content.decode()
    assert f"{account.account_number}: kill switch ON; {CANCELS_NOT_SENT}: 1 open order(s)" in page
    assert KillSwitch.objects.get(account=account).active is True
    event = AuditEvent.objects.get(event_type="kill_switch.on", account=account)
    assert event.door == "admin" and event.payload["cancels_sent"] is False
    resting.refresh_from_db()
    assert resting.status == OrderStatus.SUBMITTED
    assert _at_broker(sim, resting).status == "Submitted"


def test_the_global_switch_and_the_command_send_no_cancel(resting, sim, capsys):
    call_command("kill_switch", "on", "--reason", "drill")
    out = capsys.readouterr().out
    assert f"{CANCELS_NOT_SENT}: 1 open order(s)" in out and "cancel requested" not in out
    assert KillSwitch.objects.get(scope="global").active is True
    resting.refresh_from_db()
    assert resting.status == OrderStatus.SUBMITTED and _at_broker(sim, resting).status == "Submitted"


def test_the_broker_client_refuses_every_write(resting, sim):
    broker = broker_for(resting.account)
    with pytest.raises(BrokerRejected) as refused:
        broker.cancel_order(resting.broker_id)
    assert refused.value.code == "read_only_deployment"
    assert refused.value.message == READ_ONLY_WRITE.format(api="cancel_order", account=resting.account.account_number)
    assert _at_broker(sim, resting).status == "Submitted"
    assert broker.order(resting.broker_id).broker_id == resting.broker_id  # reads still work
