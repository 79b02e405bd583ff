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
