"""A confirmation token confirms only for the actor who previewed it."""

import pytest
from django.contrib.auth import get_user_model

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import api_token_create, grant_set
from audit.models import AuditEvent
from core.errors import PermissionDenied
from trading.models import Order
from trading.services import (TOKEN_OTHER_ACTOR, order_cancel, order_cancel_preview, order_place,
                              order_preview)

pytestmark = pytest.mark.django_db

ORDER = {"symbol": "AAPL", "side": "BUY", "quantity": "3", "order_type": "MKT"}


def _traders(account, kind):
    system = Actor.system("cli")
    if kind == "user":
        made = [get_user_model().objects.create_user(f"trader{i}", password="pw-trader-123456") for i in (1, 2)]
        for user in made:
            grant_set(actor=system, account=account, scope=Scope.TRADE, user=user)
        return [Actor.for_user(u, door="api") for u in made]
    # Two API tokens with the same name: the binding is the holder, not its label.
    made = [api_token_create(actor=system, name="bot")[0] for _ in (1, 2)]
    for token in made:
        grant_set(actor=system, account=account, scope=Scope.TRADE, api_token=token)
    return [Actor.for_api_token(t) for t in made]


@pytest.mark.parametrize("kind", ["user", "api_token"])
def test_a_token_previewed_by_one_actor_cannot_be_placed_by_another(account, sim, kind):
    alice, bob = _traders(account, kind)
    preview = order_preview(actor=alice, account_number=account.account_number, **ORDER)
    with pytest.raises(PermissionDenied) as refused:
        order_place(actor=bob, account_number=account.account_number,
                    confirmation_token=preview.confirmation_token, idempotency_key="bob-1")
    assert refused.value.code == "confirmation_other_actor" and refused.value.message == TOKEN_OTHER_ACTOR
    assert not Order.objects.exists() and not sim.exchange.accounts[account.account_number].orders
    event = AuditEvent.objects.filter(event_type="confirmation.refused").get()
    assert event.payload["reason"] == "other_actor" and event.actor_label == bob.label
    # The refusal did not spend the token: its previewer can still confirm it.
    order = order_place(actor=alice, account_number=account.account_number,
                        confirmation_token=preview.confirmation_token, idempotency_key="alice-1")
    assert order.status == "SUBMITTED"


def test_a_cancel_token_is_bound_to_its_previewer_too(account, place):
    alice, bob = _traders(account, "user")
    order = place(actor=alice, symbol="AAPL", side="BUY", quantity="1", order_type="LMT", limit_price="1.00")
    preview = order_cancel_preview(actor=alice, account_number=account.account_number, order_id=order.pk)
    with pytest.raises(PermissionDenied) as refused:
        order_cancel(actor=bob, account_number=account.account_number, order_id=order.pk,
                     confirmation_token=preview.confirmation_token)
    assert refused.value.code == "confirmation_other_actor"
    order.refresh_from_db()
    assert order.status == "SUBMITTED"
