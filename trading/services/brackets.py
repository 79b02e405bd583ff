"""A bracket's attached orders (legs), and an OCA group's other orders: one Order row each, bound to
the broker id Tiger gave it.

Tiger creates a bracket's legs with its entry and reports each as an order of its own, naming the
entry (parentId) and carrying its user mark. Each becomes a row (parent = the entry, leg = PROFIT or
LOSS), recorded when the entry is acknowledged, or by reconciliation when the acknowledgement was
lost; from then on statuses and fills reach it like any order's, through Order.set_status.
"""

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from broker.types import OcaOrder
from trading.models import Leg, Order, OrderType, Side
from trading.services.common import S

LEG_ACKNOWLEDGED = "attached to order #{parent} (Tiger id {broker_id}); Tiger holds it until that order fills"


def _leg_row(parent: Order, leg: str, broker_id: str, index: int = 0) -> Order:
    if leg == Leg.OCA:  # the group's index-th other order: its own type, prices and quantity
        other = OcaOrder.from_canonical(parent.oca_orders[index])
        terms = dict(side=parent.side, order_type=other.order_type, quantity=other.quantity or parent.quantity,
                     limit_price=other.limit_price, stop_price=other.stop_price, outside_rth=parent.outside_rth,
                     reference_price=other.limit_price or other.stop_price or Decimal("0"))
        decision = {"accepted": True, "risk_increasing": parent.risk_decision.get("risk_increasing", True),
                    "message": f"one of order #{parent.pk}'s OCA group: counted once, with the group"}
        key = f"leg:{parent.pk}:{leg}:{index}"
    else:
        profit = leg == Leg.PROFIT
        price = parent.take_profit_price if profit else parent.stop_loss_price
        terms = dict(side=Side.SELL if parent.side == Side.BUY else Side.BUY,
                     order_type=OrderType.LMT if profit else OrderType.STP, quantity=parent.quantity,
                     limit_price=price if profit else None, stop_price=None if profit else price, outside_rth=False,
                     reference_price=price or Decimal("0"))
        decision = {"accepted": True, "risk_increasing": False, "message": f"closes what order #{parent.pk} opens"}
        key = f"leg:{parent.pk}:{leg}"
    return Order(
        client_ref=uuid.uuid4().hex, account=parent.account, parent=parent, leg=leg,
        idempotency_key=key, payload_hash=parent.payload_hash,
        symbol=parent.symbol, sec_type=parent.sec_type, market=parent.market, currency=parent.currency,
        multiplier=parent.multiplier, **terms,
        time_in_force="GTC" if parent.time_in_force == "GTC" else "DAY",
        status=S.PENDING_SUBMIT, broker_id=broker_id,
        actor_type=parent.actor_type, actor_id=parent.actor_id, actor_label=parent.actor_label, door=parent.door,
        request_id=parent.request_id, risk_decision=decision,
        policy_version=parent.policy_version, created_at=timezone.now(),
    )


def legs_record(parent: Order, legs, *, actor) -> list[Order]:
    """Rows for the legs Tiger acknowledged ((broker id, PROFIT|LOSS|OCA) pairs) not yet recorded;
    SUBMITTED. An OCA group's others come in the order they were sent (the n-th is oca_orders[n]), or
    as (broker id, OCA, n) triples."""
    made = []
    with transaction.atomic():
        known = set(Order.objects.filter(parent=parent).values_list("idempotency_key", flat=True))
        taken = set(Order.objects.filter(account_id=parent.account_id, broker_id__in=[item[0] for item in legs])
                    .values_list("broker_id", flat=True))
        oca_index = 0
        for broker_id, leg, *given in legs:  # an OCA order may name its place in the group
            index = given[0] if given else oca_index
            if leg == Leg.OCA:
                oca_index += 1
                if index >= len(parent.oca_orders):
                    continue
            key = f"leg:{parent.pk}:{leg}:{index}" if leg == Leg.OCA else f"leg:{parent.pk}:{leg}"
            if key in known or broker_id in taken or leg not in Leg.values:
                continue
            row = _leg_row(parent, leg, str(broker_id), index)
            row.full_clean(validate_unique=False, validate_constraints=False)
            row.save()
            audit_record(actor=actor, event_type="order.transition", account=parent.account,
                         payload={**row.audit_payload(), "from": None, "to": S.PENDING_SUBMIT, "parent": parent.pk,
                                  "leg": leg})
            row.set_status(S.SUBMITTED, actor=actor, reason=LEG_ACKNOWLEDGED.format(parent=parent.pk, broker_id=broker_id))
            known.add(key)
            made.append(row)
    return made


def same_terms(bo, order_type, limit_price, stop_price, quantity) -> bool:
    """Whether Tiger's order has these terms: how an OCA group's orders, which share one mark, are told
    apart before Tiger's ids for them are known (a group's orders differ in type, price or quantity)."""
    return (bo.order_type == order_type and bo.limit_price == limit_price and bo.stop_price == stop_price
            and bo.quantity == quantity)


def legs_from_broker(parent: Order, broker_orders) -> list[tuple]:
    """(broker id, PROFIT|LOSS) of the orders Tiger lists as attached to `parent` (limit: take-profit);
    for an OCA group's first order, (broker id, OCA, n) of the group's n-th other order, found by its
    mark and terms."""
    if not parent.broker_id:
        return []
    if parent.oca_orders:
        found = []
        for index, other in enumerate(OcaOrder.from_canonical(o) for o in parent.oca_orders):
            for bo in broker_orders:
                if bo.reference == parent.remark and bo.broker_id != parent.broker_id and same_terms(
                        bo, other.order_type, other.limit_price, other.stop_price, other.quantity or parent.quantity):
                    found.append((bo.broker_id, Leg.OCA, index))
                    break
        return found
    return [(bo.broker_id, Leg.PROFIT if bo.order_type == OrderType.LMT else Leg.LOSS)
            for bo in broker_orders if bo.parent_id == parent.broker_id and bo.reference == parent.remark]
