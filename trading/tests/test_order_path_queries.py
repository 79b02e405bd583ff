"""The order path's SQL statements per preview and place: constants, so that a statement added to the
path is a decision and not a drift (bench.order_path measures its time; issue 16)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trading.models import OrderStatus
from trading.services import order_place, order_preview

# Production's transactions, not the test case's savepoints around them: the counts are the bench's.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Preview (the access check is served from the process's copy, accounts.grant_copies): the policy with
# the trading state and the kill switch (one statement, before the lock); under the account's lock one
# statement for the orders in the last minute, the kill switch and the open exposure, then the duplicate
# window and the risk decision's audit event (the head read and locked, then the event, whose INSERT
# moves the head: audit 0005); the confirmation token and its event (head, event).
PREVIEW_STATEMENTS = 9
# Place: the token with the order already under the idempotency key (one statement); the policy, state
# and kill switch (one); under the lock the same reads with the key again (a twin may have committed
# meanwhile), the duplicate window, the token spent, three audit events and the PENDING_SUBMIT row (the
# head read once: the transaction holds it, so its later events are one INSERT each); then the kill
# switch before sending; the acknowledgement under the order's lock (the row read with its broker id's
# holder in one statement, its UPDATE of the changed columns, its event: head and INSERT); the live
# update's read of the committed row; the kill switch after sending.
PLACE_STATEMENTS = 18


def test_preview_and_place_run_a_fixed_number_of_sql_statements(system_actor, account, last_price):
    limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    number = account.account_number

    def preview(quantity):
        return order_preview(actor=system_actor, account_number=number, symbol="AAPL", side="BUY",
                             quantity=quantity, order_type="LMT", limit_price=str(limit))

    # The account's first order creates its risk policy and trading state: not the steady state.
    order_place(actor=system_actor, account_number=number, confirmation_token=preview("1").confirmation_token)
    with CaptureQueriesContext(connection) as previewing:
        token = preview("2").confirmation_token
    with CaptureQueriesContext(connection) as placing:
        order = order_place(actor=system_actor, account_number=number, confirmation_token=token)
    assert order.status == OrderStatus.SUBMITTED, order.status_reason
    statements = [q["sql"] for q in previewing.captured_queries + placing.captured_queries]
    # Audit events and transitions are written inside their callers' transactions, not savepoints.
    assert not [sql for sql in statements if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    counts = [(len([q for q in captured if q["sql"] not in ("BEGIN", "COMMIT")]),
               len([q for q in captured if q["sql"] == "COMMIT"])) for captured in (previewing, placing)]
    # Two transactions each: the risk decision under the lock and the token; the PENDING_SUBMIT row
    # committed before sending, and the acknowledgement.
    assert counts == [(PREVIEW_STATEMENTS, 2), (PLACE_STATEMENTS, 2)], statements
