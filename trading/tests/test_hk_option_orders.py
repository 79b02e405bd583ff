"""Hong Kong stock options through the services, the real SDK and the simulator: named by Tiger's
identifier (TCH.HK…), by HKEX's option symbol or by the stock's code with expiry, strike and right;
valued in HKD through the contract's own size (100 shares for 00700, 500 for 09988); previewed,
placed, filled or rested, and cancelled on Hong Kong's session."""

from decimal import Decimal

import pytest

from core.errors import InvalidInput
from trading import services
from trading.tests.factories import cancel_and_check, hk_call, preview_and_place
from trading.models import OrderStatus
from trading.risk import RiskRefused

S = OrderStatus


@pytest.mark.django_db
def test_an_hk_option_by_identifier_fills_in_hkd_through_its_contract_size(system_actor, account, sim, hk_session):
    call = hk_call(system_actor, account)
    assert call.identifier.startswith("TCH.HK") and call.multiplier == 100
    hkd_before = sim.exchange.accounts[account.account_number].cash.get("HKD", Decimal(0))
    preview, order = preview_and_place(system_actor, account, "hk-opt-1", identifier=call.identifier, side="BUY", quantity="2",
                            order_type="MKT")
    assert (preview.order["symbol"], preview.order["sec_type"], preview.order["currency"], preview.order["market"],
            preview.order["multiplier"]) == ("TCH.HK", "OPT", "HKD", "HK", "100")
    assert preview.risk["currency"] == "HKD"
    assert Decimal(preview.risk["notional"]) == 2 * 100 * Decimal(preview.risk["reference_price"])
    assert preview.broker_preview["is_pass"] is True
    assert order.status in (S.SUBMITTED, S.FILLED) and order.currency == "HKD" and order.multiplier == 100
    at_broker = sim.exchange.accounts[account.account_number].orders[int(order.broker_id)]
    assert at_broker.symbol == call.identifier and at_broker.status == "Filled" and at_broker.currency == "HKD"
    spent = hkd_before - sim.exchange.accounts[account.account_number].cash.get("HKD", Decimal(0))
    assert spent == at_broker.filled_value * 100 + at_broker.commission


@pytest.mark.django_db
def test_an_hk_option_by_stock_code_rests_and_cancels(system_actor, account, sim, hk_session):
    call = hk_call(system_actor, account, root="ALB.HK")
    low = max(Decimal("0.01"), (call.bid * Decimal("0.5")).quantize(Decimal("0.01")))
    preview, order = preview_and_place(system_actor, account, "hk-opt-2", symbol="09988", expiry=call.expiry.isoformat(),
                            strike=str(call.strike), right="CALL", side="BUY", quantity="1", order_type="LMT",
                            limit_price=str(low))
    # The stock's code names HKEX's option symbol: the same contract as its identifier.
    assert preview.order["symbol"] == "ALB.HK" and preview.order["multiplier"] == "500"
    assert order.status == S.SUBMITTED and order.identifier == call.identifier
    assert Decimal(preview.risk["notional"]) == 500 * low
    cancel_and_check(system_actor, account, order, sim)


@pytest.mark.django_db
def test_hkd_limits_hold_an_hk_option_through_its_contract_size(system_actor, account, hk_session):
    call = hk_call(system_actor, account, root="ALB.HK")
    policy = services.risk_policy_for(account=account)
    # HKD's own limits: two contracts' premium (500 shares each), not two hundred dollars' worth.
    policy.limits_mode = "per_currency"
    policy.currency_limits = {"HKD": {"max_order_notional": f"{call.ask * 500 * 2:f}", "max_open_exposure": "10000000"}}
    services.risk_policy_save(actor=system_actor, policy=policy)

    def buy(contracts: str):
        return services.order_preview(actor=system_actor, account_number=account.account_number, side="BUY",
                                      identifier=call.identifier, quantity=contracts, order_type="LMT",
                                      limit_price=str(call.ask))

    with pytest.raises(RiskRefused) as err:
        buy("3")
    assert err.value.decision.rule == "max_notional"
    assert Decimal(err.value.decision.value) == 3 * 500 * call.ask and "HKD" in err.value.decision.message
    assert buy("2").risk["accepted"] is True


@pytest.mark.django_db
def test_an_hk_stock_without_options_is_refused_with_what_to_do(system_actor, account, hk_session):
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=account.account_number, symbol="00939",
                               expiry="2026-12-30", strike="6", right="CALL", side="BUY", quantity="1",
                               order_type="MKT")
    assert err.value.code == "no_options" and "00939 has no listed options" in err.value.message


@pytest.mark.django_db
def test_shares_of_the_hk_stock_cover_calls_on_its_option_symbol(system_actor, account, sim, hk_session):
    call = hk_call(system_actor, account)  # TCH.HK: 100 shares of 00700 per contract
    n = account.account_number
    sell = {"identifier": call.identifier, "side": "SELL", "quantity": "1", "order_type": "MKT"}
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, **sell)
    assert err.value.decision.rule == "naked_short_call" and "100 per contract" in err.value.decision.message
    preview_and_place(system_actor, account, "hk-shares", symbol="00700", side="BUY", quantity="100", order_type="MKT")
    assert sim.exchange.accounts[n].positions["00700"].quantity == 100
    covered = services.order_preview(actor=system_actor, account_number=n, **sell)
    assert "naked_short_call" in covered.risk["checked"]
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, **{**sell, "quantity": "2"})
    assert err.value.decision.rule == "naked_short_call" and err.value.decision.limit == "1"
