"""Money limits across currencies through the services, the real SDK and the simulator: an HKD order
on a USD-base policy is converted at the rate Tiger's assets report; per-currency limits refuse a
currency without limits; rates that cannot be read refuse the order (retryable), never skip a limit."""

from decimal import ROUND_UP, Decimal

import pytest

from audit.models import AuditEvent
from trading import services
from trading.models import RiskPolicyVersion
from trading.risk import RiskRefused
from trading.tests.test_risk_service import edit

pytestmark = pytest.mark.django_db
HKD_IN_USD = Decimal("0.128205")  # the simulator's forexRate for HKD on a USD account (7.8 HKD a dollar)


def cents_up(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_UP)


@pytest.fixture
def hk_limit(last_price):
    """A whole-dollar HKD limit price 10 % under the market (on HKEX's tick ladder, never filled at once)."""
    return (last_price("00700") * 9 / 10).quantize(Decimal("1"))


def preview_hk(actor, account, limit, quantity="100"):
    return services.order_preview(actor=actor, account_number=account.account_number, symbol="00700", side="BUY",
                                  quantity=quantity, order_type="LMT", limit_price=str(limit))


def test_an_hkd_order_on_a_usd_base_policy_passes_converted_at_tigers_rate(system_actor, account, sim, place,
                                                                            hk_limit):
    raw = hk_limit * 100  # HKD
    converted = cents_up(raw * HKD_IN_USD)
    # A limit between the converted value and the raw HKD figure: only a conversion lets it through.
    edit(account, system_actor, allowed_markets="US,HK", max_order_notional=converted + 1)
    preview = preview_hk(system_actor, account, hk_limit)
    risk = preview.risk
    assert risk["accepted"] and (risk["currency"], risk["limit_currency"]) == ("HKD", "USD")
    assert risk["fx_rate"] == "0.128205" and Decimal(risk["converted_notional"]) == converted
    assert Decimal(risk["notional"]) == raw and risk["limits"]["max_notional"] == f"{(converted + 1).normalize():f} USD"
    event = AuditEvent.objects.filter(event_type="risk.decision").latest("seq")
    assert event.payload["fx_rate"] == "0.128205" and event.payload["fx_rates"]["HKD"] == "0.128205"
    order = services.order_place(actor=system_actor, account_number=account.account_number,
                                 confirmation_token=preview.confirmation_token, idempotency_key="hk-1")
    assert order.currency == "HKD" and Decimal(order.risk_decision["converted_notional"]) == converted
    assert int(order.broker_id) in sim.exchange.accounts[account.account_number].orders


def test_an_hkd_order_over_the_converted_limit_is_refused(system_actor, account, sim, hk_limit):
    converted = cents_up(hk_limit * 100 * HKD_IN_USD)
    edit(account, system_actor, allowed_markets="US,HK", max_order_notional=converted - 1)
    with pytest.raises(RiskRefused) as err:
        preview_hk(system_actor, account, hk_limit)
    d = err.value.decision
    assert (d.rule, Decimal(d.limit), Decimal(d.value)) == ("max_notional", converted - 1, converted)
    assert f"{hk_limit * 100} HKD at 0.128205 USD per HKD, Tiger's rate" in d.message
    assert sim.exchange.accounts[account.account_number].orders == {}


def test_a_working_hkd_order_counts_converted_in_the_usd_exposure(system_actor, account, place, last_price, hk_limit):
    us_limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    hk_open = cents_up(hk_limit * 100 * HKD_IN_USD)
    # Room for the HKD order and one 10-share US order, not for a second.
    edit(account, system_actor, allowed_markets="US,HK", duplicate_window_seconds=0,
         max_open_exposure=hk_open + us_limit * 15)
    place(symbol="00700", quantity="100", order_type="LMT", limit_price=str(hk_limit))
    place(order_type="LMT", limit_price=str(us_limit), quantity="10")
    with pytest.raises(RiskRefused) as err:
        place(order_type="LMT", limit_price=str(us_limit), quantity="10")
    d = err.value.decision
    assert d.rule == "max_open_exposure" and Decimal(d.value) == cents_up(hk_limit * 100 * HKD_IN_USD + us_limit * 20)


def test_per_currency_limits_refuse_a_currency_without_limits_and_count_each_currency_apart(
        system_actor, account, sim, place, last_price, hk_limit):
    edit(account, system_actor, allowed_markets="US,HK", limits_mode="per_currency", duplicate_window_seconds=0)
    with pytest.raises(RiskRefused) as err:
        preview_hk(system_actor, account, hk_limit)
    assert err.value.decision.rule == "currency" and err.value.extra["value"] == "HKD"
    assert "add HKD to the policy's currency limits" in err.value.message
    # HKD limits for exactly one lot: a USD order does not use them up, a second HKD lot does.
    room = str(hk_limit * 100)
    policy = edit(account, system_actor, currency_limits={"HKD": {"max_order_notional": room, "max_open_exposure": room}})
    snapshot = RiskPolicyVersion.objects.get(policy=policy, version=policy.version).snapshot
    assert snapshot["limits_mode"] == "per_currency"
    assert snapshot["currency_limits"] == {"HKD": {"max_order_notional": room, "max_open_exposure": room}}
    us_limit = (last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    place(order_type="LMT", limit_price=str(us_limit), quantity="10")
    preview = preview_hk(system_actor, account, hk_limit)
    assert preview.risk["limit_currency"] == "HKD" and preview.risk["fx_rate"] == ""
    services.order_place(actor=system_actor, account_number=account.account_number,
                         confirmation_token=preview.confirmation_token, idempotency_key="hk-2")
    with pytest.raises(RiskRefused) as err:
        preview_hk(system_actor, account, hk_limit)
    assert err.value.decision.rule == "max_open_exposure" and err.value.decision.value == str(hk_limit * 200)


def test_fx_rates_that_cannot_be_read_refuse_the_order_as_retryable(system_actor, account, sim, hk_limit):
    edit(account, system_actor, allowed_markets="US,HK", daily_loss_limit=None)
    sim.faults.inject("prime_assets", "http_error", status=503)
    with pytest.raises(RiskRefused) as err:
        preview_hk(system_actor, account, hk_limit)
    d = err.value.decision
    assert d.rule == "fx_rate" and d.limit == "HKD in USD" and "retry in a moment" in d.message
    assert err.value.extra["retryable"] is True
    event = AuditEvent.objects.filter(event_type="risk.decision").latest("seq")
    assert event.payload["rule"] == "fx_rate" and event.payload["accepted"] is False
    # Once Tiger answers again the same order passes.
    assert preview_hk(system_actor, account, hk_limit).risk["fx_rate"] == "0.128205"


def test_a_usd_order_on_a_usd_policy_reads_no_fx_rates(system_actor, account, sim, place):
    edit(account, system_actor, daily_loss_limit=None)
    sim.faults.inject("prime_assets", "http_error", status=503, times=None)
    try:
        preview = services.order_preview(actor=system_actor, account_number=account.account_number, symbol="AAPL",
                                         side="BUY", quantity="1", order_type="MKT")
    finally:
        sim.faults.clear()
    assert preview.risk["accepted"] and preview.risk["limit_currency"] == "USD" and preview.risk["fx_rate"] == ""


def test_modifying_a_working_hkd_order_is_checked_converted_without_its_old_self(system_actor, account, place,
                                                                                hk_limit):
    one_lot = cents_up(hk_limit * 100 * HKD_IN_USD)
    # Room for two lots: the order grown from one lot to two passes (its old lot is not counted
    # twice), to three it does not.
    edit(account, system_actor, allowed_markets="US,HK", max_open_exposure=one_lot * 2)
    order = place(symbol="00700", quantity="100", order_type="LMT", limit_price=str(hk_limit))
    preview = services.order_modify_preview(actor=system_actor, account_number=account.account_number,
                                            order_id=order.pk, quantity="200")
    assert preview.risk["fx_rate"] == "0.128205"
    assert Decimal(preview.risk["exposure"]) == cents_up(hk_limit * 200 * HKD_IN_USD)
    with pytest.raises(RiskRefused) as err:
        services.order_modify_preview(actor=system_actor, account_number=account.account_number, order_id=order.pk,
                                      quantity="300")
    assert err.value.decision.rule == "max_open_exposure"
