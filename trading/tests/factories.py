import uuid
from decimal import Decimal

from django.utils import timezone

from trading.models import Order, OrderStatus


def make_order(*, account, status=OrderStatus.PENDING_SUBMIT, **fields) -> Order:
    """A bare order row for state-machine and selector tests (placement goes through services)."""
    values = dict(
        client_ref=uuid.uuid4().hex, account=account, idempotency_key=uuid.uuid4().hex, payload_hash="0" * 64,
        symbol="AAPL", side="BUY", order_type="LMT", quantity=Decimal("10"), limit_price=Decimal("100"),
        reference_price=Decimal("100"), status=status, actor_type="system", actor_label="test", door="cli",
        created_at=timezone.now(),
    )
    values.update(fields)
    order = Order(**values)
    order.full_clean()
    order.save()
    return order


def preview_and_place(system_actor, account, key, **order):
    """(preview, order): an order previewed and placed through the services, as every door does."""
    from trading import services

    n = account.account_number
    preview = services.order_preview(actor=system_actor, account_number=n, **order)
    return preview, services.order_place(actor=system_actor, account_number=n,
                                         confirmation_token=preview.confirmation_token, idempotency_key=key)


def cancel_and_check(system_actor, account, order, sim) -> None:
    """Cancel `order` through preview and confirm; ours and the simulator's then say it is cancelling."""
    from trading import services

    n = account.account_number
    cancel = services.order_cancel_preview(actor=system_actor, account_number=n, order_id=order.pk)
    done = services.order_cancel(actor=system_actor, account_number=n, order_id=order.pk,
                                 confirmation_token=cancel.confirmation_token)
    assert done.status in (OrderStatus.CANCEL_PENDING, OrderStatus.CANCELLED)
    assert sim.exchange.accounts[n].orders[int(order.broker_id)].status in ("PendingCancel", "Cancelled")


def hk_call(system_actor, account, root="TCH.HK"):
    """A call near the middle of an HK option root's second expiry (the services' chain)."""
    from marketdata.services import option_chain_get, option_expirations_get

    n = account.account_number
    expiry = option_expirations_get(actor=system_actor, symbol=root, account_number=n)[1]
    calls = [o for o in option_chain_get(actor=system_actor, symbol=root, expiry=expiry, account_number=n)
             if o.put_call == "CALL"]
    return calls[len(calls) // 2]
