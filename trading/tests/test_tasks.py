import pytest

pytestmark = pytest.mark.django_db


def test_reconciliation_task_calls_trading(sim, make_tiger_account):
    from trading.tasks import orders_reconcile

    make_tiger_account(developer=sim.create_developer())
    # No open orders anywhere: trading's service runs and reports no account to reconcile.
    assert orders_reconcile.delay().get() == 0
