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


def test_instances_take_each_calls_integer_and_time_and_convert_their_annotations():
    from datetime import timedelta
    from decimal import Decimal

    from django.db.models import F
    from django.utils import timezone

    from core.hot_queries import hot_instances

    account = make_account()
    old = make_order(account=account, created_at=timezone.now() - timedelta(hours=1), reference_price=Decimal("1.25"))
    new = make_order(account=account, reference_price=Decimal("2.50"))

    def since(pk_above, time):
        return hot_instances(("test_since", account.pk), lambda pk, at: Order.objects.filter(
            account_id=account.pk, pk__gt=pk, created_at__gte=at).annotate(price=F("reference_price")).order_by("pk"),
            pk_above, time)

    rows = since(0, timezone.now() - timedelta(days=1))
    assert [(o.pk, o.price, o.reference_price) for o in rows] == [(old.pk, Decimal("1.25"), Decimal("1.25")),
                                                                 (new.pk, Decimal("2.50"), Decimal("2.50"))]
    assert [o.pk for o in since(old.pk, timezone.now() - timedelta(days=1))] == [new.pk]
    assert [o.pk for o in since(0, timezone.now() - timedelta(minutes=5))] == [new.pk]


def test_an_update_runs_with_each_calls_values_and_counts_its_rows():
    from core.hot_queries import hot_update

    account = make_account()
    first, second = make_order(account=account), make_order(account=account)

    def reason(pk, text):
        return hot_update(("test_reason",), lambda pk_, text_: (Order.objects.filter(pk=pk_, status_reason=""),
                                                                {"status_reason": text_}), pk, text)

    assert reason(first.pk, "one") == 1
    assert reason(first.pk, "again") == 0  # no longer blank
    assert reason(second.pk, "two") == 1
    assert list(Order.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk").values_list("status_reason", flat=True)) \
        == ["one", "two"]


def test_an_insert_writes_the_row_as_save_would():
    from core.hot_queries import hot_insert

    account = make_account()
    order = make_order(account=account)
    twin = Order.objects.get(pk=order.pk)
    twin.pk, twin.client_ref, twin.idempotency_key, twin.updated_at = None, "b" * 32, "other key", None
    hot_insert(twin)
    assert twin.pk not in (None, order.pk) and not twin._state.adding
    stored = Order.objects.get(pk=twin.pk)
    assert (stored.client_ref, stored.idempotency_key, stored.quantity, stored.account_id) == \
        ("b" * 32, "other key", order.quantity, account.pk)
    assert stored.updated_at is not None  # auto_now's pre_save ran
