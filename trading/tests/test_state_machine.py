import pytest

from audit.models import AuditEvent
from trading.models import ILLEGAL_TRANSITION, TERMINAL, TRANSITIONS, InvalidOrderTransition, OrderStatus
from trading.tests.factories import make_order

pytestmark = pytest.mark.django_db
S = OrderStatus
ALL = list(S.values)


@pytest.fixture
def account():
    from accounts.tests.factories import make_account

    return make_account()


@pytest.mark.parametrize("current, new", [(c, n) for c in ALL for n in ALL if n in TRANSITIONS[c]])
def test_each_legal_transition_saves_and_writes_one_audit_event(account, system_actor, current, new):
    order = make_order(account=account, status=current)
    before = AuditEvent.objects.count()
    order.set_status(new, actor=system_actor, reason="because")
    order.refresh_from_db()
    assert order.status == new
    assert (order.terminal_at is not None) == (new in TERMINAL)
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [e.event_type for e in events] == ["order.transition"]
    assert events[0].payload["from"] == current and events[0].payload["to"] == new
    assert events[0].payload["order_id"] == order.pk and events[0].account_number == account.account_number


@pytest.mark.parametrize("current, new", [(c, n) for c in ALL for n in ALL if n not in TRANSITIONS[c]])
def test_each_illegal_transition_raises_and_changes_nothing(account, system_actor, current, new):
    order = make_order(account=account, status=current)
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidOrderTransition) as err:
        order.set_status(new, actor=system_actor)
    allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (terminal)"
    assert err.value.message == ILLEGAL_TRANSITION.format(order=order.pk, current=current, new=new, allowed=allowed)
    order.refresh_from_db()
    assert order.status == current
    assert AuditEvent.objects.count() == before


def test_terminal_states_have_no_way_out():
    assert all(not TRANSITIONS[s] for s in TERMINAL)
    # Nothing leads back to PENDING_SUBMIT: once committed, never "un-sent".
    assert all(S.PENDING_SUBMIT not in nxt for nxt in TRANSITIONS.values())
