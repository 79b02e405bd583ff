"""core.hot_queries.hot_rows_for: a query compiled once, run with each call's own values."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import make_account
from core.hot_queries import hot_rows_for
from trading.models import Order
from trading.tests.factories import make_order

pytestmark = pytest.mark.django_db


def by_key(account, key):
    return hot_rows_for(("test_order_by_key", account.pk), lambda stand_in: Order.objects.filter(
        account_id=account.pk, idempotency_key=stand_in).values_list("pk"), key)[1]


def test_each_call_runs_with_its_own_value_in_one_statement():
    account = make_account()
    first, second = make_order(account=account), make_order(account=account)
    assert by_key(account, first.idempotency_key) == [(first.pk,)]
    with CaptureQueriesContext(connection) as queries:
        assert by_key(account, second.idempotency_key) == [(second.pk,)]
        assert by_key(account, "no such key") == []
    assert len(queries.captured_queries) == 2


def test_a_value_the_query_does_not_take_as_a_parameter_is_refused():
    account = make_account()
    with pytest.raises(ValueError, match="each value must be one parameter"):
        hot_rows_for(("test_unused_value", account.pk), lambda stand_in: Order.objects.filter(account_id=account.pk),
                     "unused")
