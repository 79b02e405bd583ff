"""A fill ends the account's cached positions and balances (broker.account_reads): once TigerMCP has
seen the fill, a read shows the new positions, never the cached pre-fill ones. The fill happens at the
simulator (the order's owner raising its limit there, as in Tiger's app), and reconciliation sees it."""

from decimal import Decimal

import pytest

from marketdata.selectors import account_summary_get, positions_get
from trading.models import OrderStatus
from trading.services import orders_reconcile

pytestmark = pytest.mark.django_db


def limit_price(sim, factor: str) -> str:
    return str((sim.quote("AAPL").regular_latest * Decimal(factor)).quantize(Decimal("0.01")))


def test_a_fill_seen_by_reconciliation_ends_the_cached_reads(system_actor, account, sim, place, settings,
                                                              django_capture_on_commit_callbacks):
    settings.TIGER_ACCOUNT_READ_TTL = 60
    n = account.account_number
    order = place(order_type="LMT", limit_price=limit_price(sim, "0.95"), quantity="10")  # working, not filling
    assert order.status == OrderStatus.SUBMITTED
    _, before = positions_get(actor=system_actor, account_number=n)
    _, cash_before = account_summary_get(actor=system_actor, account_number=n)
    assert before.value == []

    sim_account = sim.exchange.accounts[n]
    sim.exchange.modify(sim_account, {"id": int(order.broker_id), "limit_price": limit_price(sim, "1.05")})
    sim.match()
    assert sim_account.orders[int(order.broker_id)].filled == 10
    # TigerMCP has not seen the fill yet: the shared read still answers.
    assert positions_get(actor=system_actor, account_number=n)[1].as_of == before.as_of

    with django_capture_on_commit_callbacks(execute=True):
        orders_reconcile(actor=system_actor, account_number=n)
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED
    _, after = positions_get(actor=system_actor, account_number=n)
    assert after.source == "live" and [(p.symbol, p.quantity) for p in after.value] == [("AAPL", Decimal("10"))]
    _, cash_after = account_summary_get(actor=system_actor, account_number=n)
    assert cash_after.source == "live" and cash_after.value.cash < cash_before.value.cash


def test_a_transition_rolled_back_keeps_the_cached_reads(system_actor, account, sim, place, settings,
                                                         django_capture_on_commit_callbacks):
    """The reads end after the commit, not before: a transaction that rolls back ends nothing."""
    from django.db import transaction

    settings.TIGER_ACCOUNT_READ_TTL = 60
    n = account.account_number
    order = place(order_type="LMT", limit_price=limit_price(sim, "0.95"), quantity="10")
    _, before = positions_get(actor=system_actor, account_number=n)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                order.set_status(OrderStatus.CANCEL_PENDING, actor=system_actor, reason="test")
                raise RuntimeError("rolled back")
    assert callbacks == []
    assert positions_get(actor=system_actor, account_number=n)[1].as_of == before.as_of
    with django_capture_on_commit_callbacks(execute=True):
        order.refresh_from_db()
        order.set_status(OrderStatus.CANCEL_PENDING, actor=system_actor, reason="test")
    assert positions_get(actor=system_actor, account_number=n)[1].source == "live"
