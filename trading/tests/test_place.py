"""Preview → confirm → PENDING_SUBMIT → submit, through the real SDK against the simulator."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import HashedToken, McpClient, Scope
from accounts.services import grant_set
from audit.models import AuditEvent
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from trading import services
from trading.models import ConfirmationToken, Order, OrderStatus
from trading.services import order_place, order_preview

pytestmark = pytest.mark.django_db
S = OrderStatus


def events_since(seq):
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def head():
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def broker_orders(sim, account):
    return list(sim.exchange.accounts[account.account_number].orders.values())


def test_preview_then_place_makes_one_broker_order_and_the_audit_trail(system_actor, account, sim, last_price):
    start = head()
    limit = (last_price() * Decimal("0.95")).quantize(Decimal("0.01"))
    preview = order_preview(actor=system_actor, account_number=account.account_number, symbol="aapl", side="buy",
                            quantity="5", order_type="LMT", limit_price=str(limit))
    assert preview.confirmation_token.startswith("tmc_") and preview.risk["accepted"]
    assert preview.order["symbol"] == "AAPL" and preview.broker_preview["is_pass"] is True
    # Only a hash of the token is stored.
    assert not ConfirmationToken.objects.filter(token_hash=preview.confirmation_token).exists()
    assert (timezone.datetime.fromisoformat(preview.expires_at) - timezone.now()) <= timedelta(seconds=120)

    order = order_place(actor=system_actor, account_number=account.account_number,
                        confirmation_token=preview.confirmation_token, idempotency_key="k-1")
    assert order.status == S.SUBMITTED and order.broker_id and order.policy_version == 1
    at_broker = broker_orders(sim, account)
    assert len(at_broker) == 1 and str(at_broker[0].id) == order.broker_id
    assert at_broker[0].user_mark == order.remark

    kinds = [(e.event_type, e.payload.get("stage") or e.payload.get("to")) for e in events_since(start)]
    assert kinds == [
        ("risk_policy.created", None),
        ("risk.decision", "preview"),
        ("confirmation.issued", None),
        ("confirmation.used", None),
        ("risk.decision", "place"),
        ("order.transition", S.PENDING_SUBMIT),
        ("order.transition", S.SUBMITTED),
    ]
    submitted = events_since(start)[-1]
    assert submitted.payload["broker_id"] == order.broker_id and submitted.payload["order_id"] == order.pk
    assert submitted.account_number == account.account_number and submitted.door == "cli"


def test_same_key_and_order_returns_the_original_without_a_second_broker_order(system_actor, account, sim):
    def preview():
        return order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL", side="BUY",
                             quantity="10", order_type="MKT").confirmation_token

    token, spare = preview(), preview()
    first = order_place(actor=system_actor, account_number=account.account_number, confirmation_token=token,
                        idempotency_key="same")
    assert first.status == S.SUBMITTED
    # The client retries (its answer was lost) with the same, now spent, token...
    again = order_place(actor=system_actor, account_number=account.account_number, confirmation_token=token,
                        idempotency_key="same")
    # ...or with another token for the very same order.
    third = order_place(actor=system_actor, account_number=account.account_number, confirmation_token=spare,
                        idempotency_key="same")
    assert again.pk == first.pk == third.pk
    assert (first.replayed, again.replayed, third.replayed) == (False, True, True)
    assert len(broker_orders(sim, account)) == 1
    assert Order.objects.filter(account=account).count() == 1
    # The spare token was not spent by the replay.
    assert ConfirmationToken.objects.filter(used_at__isnull=True).count() == 1


def test_same_key_different_order_is_refused(account, place, sim):
    first = place(key="k")
    with pytest.raises(Conflict) as err:
        place(key="k", quantity="11")
    assert err.value.message == services.KEY_REUSED.format(key="k", order_id=first.pk)
    assert err.value.code == "idempotency_key_reused"
    assert len(broker_orders(sim, account)) == 1


def test_same_key_while_in_flight_is_refused_as_in_progress(system_actor, account, sim):
    preview = order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL", side="BUY",
                            quantity="3", order_type="MKT")
    token = ConfirmationToken.objects.get(token_hash=HashedToken.hash(preview.confirmation_token))
    from trading.tests.factories import make_order

    pending = make_order(account=account, idempotency_key="flying", payload_hash=token.payload_hash)
    with pytest.raises(Conflict) as err:
        order_place(actor=system_actor, account_number=account.account_number,
                    confirmation_token=preview.confirmation_token, idempotency_key="flying")
    assert err.value.message == services.IN_PROGRESS.format(order_id=pending.pk, key="flying")
    assert broker_orders(sim, account) == []


@pytest.mark.parametrize("case", ["missing", "garbage", "reused", "expired", "other_account", "wrong_action"])
def test_bad_confirmation_places_nothing(system_actor, account, make_tiger_account, sim, place, case):
    preview = order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL", side="BUY",
                            quantity="2", order_type="MKT")
    token = preview.confirmation_token
    target = account
    expected = {"missing": services.TOKEN_MISSING, "garbage": services.TOKEN_INVALID.format(account=account.account_number),
                "reused": services.TOKEN_USED, "expired": services.TOKEN_EXPIRED.format(ttl=120)}
    if case == "missing":
        token = ""
    elif case == "garbage":
        token = "tmc_nope"
    elif case == "reused":
        order_place(actor=system_actor, account_number=account.account_number, confirmation_token=token,
                    idempotency_key="first")
    elif case == "expired":
        ConfirmationToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "other_account":
        target = make_tiger_account(developer=sim.create_developer())
        expected[case] = services.TOKEN_INVALID.format(account=target.account_number)
    elif case == "wrong_action":
        working = place(order_type="LMT", limit_price="1.00", quantity="1")
        token = services.order_cancel_preview(actor=system_actor, account_number=account.account_number,
                                              order_id=working.pk).confirmation_token
        expected[case] = services.TOKEN_WRONG_ACTION.format(token_action="cancel", action="place")
    before_orders = Order.objects.count()
    before_broker = len(broker_orders(sim, target))
    start = head()
    with pytest.raises((InvalidInput, PermissionDenied)) as err:
        order_place(actor=system_actor, account_number=target.account_number, confirmation_token=token,
                    idempotency_key=f"k-{case}")
    assert err.value.message == expected[case]
    assert Order.objects.count() == before_orders
    assert len(broker_orders(sim, target)) == before_broker
    assert [e.event_type for e in events_since(start)] == ["confirmation.refused"]


def test_trade_needs_a_trade_grant(account, sim):
    client = McpClient.objects.create(name="claude")
    actor = Actor.for_mcp_client(client)
    with pytest.raises(NotFound):
        order_preview(actor=actor, account_number=account.account_number, symbol="AAPL", side="BUY", quantity=1,
                      order_type="MKT")
    grant_set(actor=Actor.system("cli"), account=account, scope=Scope.READ, mcp_client=client)
    with pytest.raises(PermissionDenied, match="grant is read-only"):
        order_preview(actor=actor, account_number=account.account_number, symbol="AAPL", side="BUY", quantity=1,
                      order_type="MKT")
    grant_set(actor=Actor.system("cli"), account=account, scope=Scope.TRADE, mcp_client=client)
    preview = order_preview(actor=actor, account_number=account.account_number, symbol="AAPL", side="BUY",
                            quantity=1, order_type="MKT")
    order = order_place(actor=actor, account_number=account.account_number,
                        confirmation_token=preview.confirmation_token, idempotency_key=uuid.uuid4().hex)
    assert order.status == S.SUBMITTED and order.actor_label == "mcp:claude" and order.door == "mcp"


def test_broker_rejection_is_a_rejected_order(account, sim, place):
    sim.faults.inject("place_order", "reject", code=1100, message="insufficient buying power")
    order = place()
    assert order.status == S.REJECTED and "insufficient buying power" in order.status_reason
    assert broker_orders(sim, account) == []


def test_kill_switch_turned_on_between_commit_and_send_stops_the_send(system_actor, account, sim):
    preview = order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL", side="BUY",
                            quantity="1", order_type="MKT")
    token = ConfirmationToken.objects.get(token_hash=HashedToken.hash(preview.confirmation_token))
    from trading.tests.factories import make_order

    order = make_order(account=account, payload_hash=token.payload_hash, risk_decision={"risk_increasing": True})
    services.kill_switch_set(actor=system_actor, active=True, account_number=account.account_number)
    from trading.services.orders import _submit

    result = _submit(order=order, actor=system_actor)
    assert result.status == S.REJECTED and result.status_reason == services.KILLED_BEFORE_SEND
    assert broker_orders(sim, account) == []


def test_an_order_restated_beside_its_token_must_match_what_was_previewed(system_actor, account, sim, last_price):
    limit = (last_price() * Decimal("0.95")).quantize(Decimal("0.01"))
    preview = order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL", side="BUY",
                            quantity="5", order_type="LMT", limit_price=str(limit))
    restated = dict(preview.order, quantity="500")
    with pytest.raises(PermissionDenied) as err:
        order_place(actor=system_actor, account_number=account.account_number, idempotency_key="k-m",
                    confirmation_token=preview.confirmation_token, expected=restated)
    assert err.value.code == "confirmation_mismatch" and "quantity previewed '5', given '500'" in err.value.message
    assert broker_orders(sim, account) == [] and not Order.objects.exists()
    assert AuditEvent.objects.filter(event_type="confirmation.refused", payload__reason="mismatch").exists()
    # The token was not spent: confirming what was actually previewed still works.
    order = order_place(actor=system_actor, account_number=account.account_number, idempotency_key="k-m",
                        confirmation_token=preview.confirmation_token, expected=dict(preview.order))
    assert order.status == S.SUBMITTED and order.quantity == 5
