"""The risk rules as every door meets them: through order_preview / order_place, with the policy
versioned and every decision audited."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from trading import services
from trading.models import AccountTradingState, OrderStatus, RiskPolicyVersion
from trading.risk import RiskRefused
from trading.services import risk_policy_for, risk_policy_save, trading_day

pytestmark = pytest.mark.django_db
S = OrderStatus


def edit(account, actor, **fields):
    policy = risk_policy_for(account=account)
    for k, v in fields.items():
        setattr(policy, k, v)
    return risk_policy_save(actor=actor, policy=policy)


def test_each_save_is_a_new_version_with_snapshot_and_audit(system_actor, account):
    p = risk_policy_for(account=account)
    assert p.version == 1
    p = edit(account, system_actor, denied_symbols="TSLA, gme")
    assert p.version == 2
    assert RiskPolicyVersion.objects.get(policy=p, version=2).snapshot["denied_symbols"] == ["GME", "TSLA"]
    event = AuditEvent.objects.filter(event_type="risk_policy.updated").latest("seq")
    assert event.payload["version"] == 2 and event.account_number == account.account_number


@pytest.mark.parametrize("fields, order, rule", [
    ({"denied_symbols": "AAPL"}, {}, "denied_symbol"),
    ({"allowed_symbols": "MSFT"}, {}, "allowed_symbol"),
    ({"allowed_order_types": "LMT"}, {}, "order_type"),
    ({"allowed_markets": "HK"}, {}, "market"),
    ({"max_order_quantity": Decimal("5")}, {}, "max_quantity"),
    ({"max_order_notional": Decimal("100")}, {}, "max_notional"),
    ({"max_open_exposure": Decimal("100")}, {}, "max_open_exposure"),
])
def test_refusals_name_the_rule_and_are_audited_with_the_policy_version(system_actor, account, sim, place, fields, order, rule):
    edit(account, system_actor, **fields)
    with pytest.raises(RiskRefused) as err:
        place(**order)
    assert err.value.code == "risk_refused" and err.value.extra["rule"] == rule
    assert err.value.extra["policy_version"] == 2
    event = AuditEvent.objects.filter(event_type="risk.decision").latest("seq")
    assert event.payload["accepted"] is False and event.payload["rule"] == rule and event.payload["policy_version"] == 2
    assert event.payload["stage"] == "preview"
    assert sim.exchange.accounts[account.account_number].orders == {}


def test_price_collar_uses_the_broker_last_price(system_actor, account, place, last_price):
    with pytest.raises(RiskRefused) as err:
        place(order_type="LMT", limit_price=str((last_price() * Decimal("1.2")).quantize(Decimal("0.01"))))
    assert err.value.decision.rule == "price_collar"


def test_orders_per_minute_and_duplicate_window_count_placed_orders(system_actor, account, place):
    edit(account, system_actor, max_orders_per_minute=2, duplicate_window_seconds=30)
    place(quantity="1")
    with pytest.raises(RiskRefused) as err:
        place(quantity="1")
    assert err.value.decision.rule == "duplicate_intent"
    place(quantity="2")
    with pytest.raises(RiskRefused) as err:
        place(quantity="3")
    assert err.value.decision.rule == "orders_per_minute"


def test_risk_is_checked_again_at_place_time(system_actor, account, sim):
    """A preview that passed does not place an order that the limits refuse by confirm time."""
    preview = services.order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL",
                                     side="BUY", quantity="10", order_type="MKT")
    edit(account, system_actor, max_order_quantity=Decimal("5"))
    with pytest.raises(RiskRefused) as err:
        services.order_place(actor=system_actor, account_number=account.account_number,
                             confirmation_token=preview.confirmation_token, idempotency_key="late")
    assert err.value.decision.rule == "max_quantity" and err.value.decision.policy_version == 2
    assert sim.exchange.accounts[account.account_number].orders == {}
    # The token is spent all the same: a refused confirm cannot be replayed later.
    with pytest.raises(Exception, match="already used"):
        services.order_place(actor=system_actor, account_number=account.account_number,
                             confirmation_token=preview.confirmation_token, idempotency_key="late2")


def test_daily_loss_limit_switches_to_closing_only_for_the_day(system_actor, account, sim, place):
    bought = place(quantity="10")
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    bought.refresh_from_db()
    assert bought.status == S.FILLED
    # Pretend the day started 20,000 USD richer: today's loss is above the 10,000 default limit.
    state = AccountTradingState.objects.get(account=account)
    assert state.trading_day == trading_day() and state.day_start_equity is not None
    AccountTradingState.objects.filter(pk=state.pk).update(day_start_equity=state.day_start_equity + 20000)
    with pytest.raises(RiskRefused) as err:
        place(quantity="1")
    assert err.value.decision.rule == "closing_only"
    state.refresh_from_db()
    assert state.closing_only_day == trading_day()
    assert AuditEvent.objects.filter(event_type="risk.closing_only_activated").count() == 1
    # Closing the position is still allowed; closing-only stays on even if equity recovers.
    assert place(side="SELL", quantity="10").status == S.SUBMITTED
    AccountTradingState.objects.filter(pk=state.pk).update(day_start_equity=state.day_start_equity - 20000)
    with pytest.raises(RiskRefused, match="closing orders only"):
        place(quantity="2")


def test_exposure_counts_open_and_pending_orders(system_actor, account, place, last_price):
    limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    edit(account, system_actor, max_open_exposure=limit * 25, duplicate_window_seconds=0)
    place(order_type="LMT", limit_price=str(limit), quantity="10")
    place(order_type="LMT", limit_price=str(limit), quantity="10")
    with pytest.raises(RiskRefused) as err:
        place(order_type="LMT", limit_price=str(limit), quantity="10")
    assert err.value.decision.rule == "max_open_exposure"
    assert Decimal(err.value.decision.value) == limit * 30
