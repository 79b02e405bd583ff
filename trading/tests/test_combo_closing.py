"""Combos that close what the account holds: under the kill switch (and "closing only") a combo whose
every leg takes off a held leg is let through like a closing single order, through the services, the
real SDK and the simulator; a combo that opens any leg is refused."""

from decimal import Decimal

import pytest

from trading import services
from trading.models import OrderStatus
from trading.risk import RiskRefused
from trading.tests.test_combo_orders import _leg, _strikes

pytestmark = pytest.mark.django_db
S = OrderStatus


def _vertical(system_actor, account, *, side, quantity, order_type="MKT", limit_price=None, key=None, legs):
    n = account.account_number
    preview = services.order_preview(actor=system_actor, account_number=n, symbol="AAPL", side=side, quantity=quantity,
                                     order_type=order_type, limit_price=limit_price, combo_type="VERTICAL", legs=legs)
    order = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                 idempotency_key=key)
    return preview, order


def _held(sim, account) -> dict:
    return {p.symbol: p.quantity for p in sim.exchange.accounts[account.account_number].positions.values() if p.quantity}


def test_selling_a_held_vertical_passes_the_kill_switch_and_anything_more_does_not(system_actor, account, sim):
    expiry, strikes, mid = _strikes(system_actor, account)
    low, high = strikes[mid], strikes[mid + 2]
    legs = [_leg(expiry, low, "CALL", "BUY"), _leg(expiry, high, "CALL", "SELL")]
    _, bought = _vertical(system_actor, account, side="BUY", quantity="2", order_type="LMT", limit_price="9.00",
                          key="open-1", legs=legs)
    sim.match()
    long_call, short_call = (f"AAPL  {expiry:%y%m%d}C{int(k * 1000):08d}" for k in (low, high))
    assert _held(sim, account) == {long_call: 2, short_call: -2}

    services.kill_switch_set(actor=system_actor, active=True, account_number=account.account_number, reason="stop")
    # Buying the vertical again opens legs; selling three when two are held opens a third.
    for side, quantity in (("BUY", "1"), ("SELL", "3")):
        with pytest.raises(RiskRefused) as err:
            _vertical(system_actor, account, side=side, quantity=quantity, legs=legs)
        assert (err.value.decision.rule, err.value.decision.value) == ("kill_switch", "risk-increasing")
    # A vertical on other strikes closes nothing it holds.
    with pytest.raises(RiskRefused) as err:
        _vertical(system_actor, account, side="SELL", quantity="1",
                  legs=[_leg(expiry, low, "CALL", "BUY"), _leg(expiry, strikes[mid + 1], "CALL", "SELL")])
    assert err.value.decision.rule == "kill_switch"

    # Selling one of the two held: reducing. While it works, a sale of two takes off more than is left.
    preview, first = _vertical(system_actor, account, side="SELL", quantity="1", order_type="LMT",
                               limit_price="500", key="close-1", legs=legs)
    assert preview.risk["risk_increasing"] is False and first.risk_decision["risk_increasing"] is False
    assert first.status == S.SUBMITTED  # asks far above the market: rests
    with pytest.raises(RiskRefused) as err:
        _vertical(system_actor, account, side="SELL", quantity="2", legs=legs)
    assert err.value.decision.rule == "kill_switch"
    # A single order selling the long call now counts the working combo's leg: one left to close.
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL", side="SELL",
                               quantity="2", order_type="MKT", expiry=expiry.isoformat(), strike=str(low), right="CALL")
    assert err.value.decision.rule == "kill_switch"
    # Cancelled (cancelling takes no risk), the two can be sold at the market: accepted by risk and by the
    # simulator, the sale fills both legs and the account is flat.
    cancel = services.order_cancel_preview(actor=system_actor, account_number=account.account_number, order_id=first.pk)
    services.order_cancel(actor=system_actor, account_number=account.account_number, order_id=first.pk,
                          confirmation_token=cancel.confirmation_token)
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    first.refresh_from_db()
    assert first.status == S.CANCELLED
    _, rest = _vertical(system_actor, account, side="SELL", quantity="2", key="close-2", legs=legs)
    assert rest.risk_decision["risk_increasing"] is False
    sim.match()
    services.orders_reconcile(actor=system_actor, account_number=account.account_number)
    rest.refresh_from_db()
    assert rest.status == S.FILLED and rest.filled_quantity == 2
    assert _held(sim, account) == {}
