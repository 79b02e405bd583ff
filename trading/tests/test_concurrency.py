"""Races on PostgreSQL (row locks; SQLite cannot show this, and TestCase's one transaction hides it)."""

import uuid
from decimal import Decimal

import pytest

from core.errors import ApplicationError
from trading import services
from trading.models import Order, OrderStatus
from trading.risk import RiskRefused
from trading.selectors import open_exposure
from tigermcp.testing import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_orders_never_breach_the_exposure_limit(system_actor, account, sim, last_price):
    limit_price = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    policy = services.risk_policy_for(account=account)
    policy.max_open_exposure = limit_price * 10 * 4  # room for exactly four 10-share orders
    policy.duplicate_window_seconds = 0
    services.risk_policy_save(actor=system_actor, policy=policy)
    tokens = [services.order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL",
                                     side="BUY", quantity="10", order_type="LMT",
                                     limit_price=str(limit_price)).confirmation_token for _ in range(10)]

    def place(i):
        return services.order_place(actor=system_actor, account_number=account.account_number,
                                    confirmation_token=tokens[i], idempotency_key=f"race-{i}")

    results = run_threads(10, place)
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, RiskRefused)]
    assert len(placed) == 4 and len(refused) == 6, results
    assert all(r.decision.rule == "max_open_exposure" for r in refused)
    assert open_exposure(account=account) <= policy.max_open_exposure
    assert len(sim.exchange.accounts[account.account_number].orders) == 4


def test_racing_retries_with_one_key_place_one_broker_order(system_actor, account, sim):
    token = services.order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL",
                                   side="BUY", quantity="3", order_type="MKT").confirmation_token
    key = uuid.uuid4().hex

    def place(i):
        return services.order_place(actor=system_actor, account_number=account.account_number,
                                    confirmation_token=token, idempotency_key=key)

    results = run_threads(8, place)
    orders = {r.pk for r in results if isinstance(r, Order)}
    errors = [r for r in results if not isinstance(r, Order)]
    assert len(orders) == 1
    assert all(isinstance(e, ApplicationError) and e.code == "order_in_progress" for e in errors), errors
    assert len(sim.exchange.accounts[account.account_number].orders) == 1
    assert Order.objects.get().status == OrderStatus.SUBMITTED
