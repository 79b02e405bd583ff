"""Futures orders: normalised (a product or a contract code), checked against Tiger's contract list
(the front contract for a product, errors naming the listed codes), valued through the multiplier
by risk, and taken through preview -> confirm -> fill or rest -> cancel with the real SDK against
the simulator."""

from decimal import Decimal

import pytest

from core.errors import InvalidInput
from trading import services
from trading.tests.factories import cancel_and_check, preview_and_place
from trading.intents import NO_OPTION_FIELDS_FOR_FUTURES, NO_RTH_FOR_FUTURES, WHOLE_FUTURES, normalise_intent
from trading.models import OrderStatus
from trading.risk import RiskRefused

S = OrderStatus
FRONT = "ES2612"  # the simulator's clock is 2026-11-23: December's contract trades until the 18th


def intent(**fields):
    values = {"account_number": "1", "side": "BUY", "quantity": "1", "order_type": "MKT", "sec_type": "FUT",
              "symbol": "ES"}
    return normalise_intent(**{**values, **fields})


@pytest.mark.parametrize("fields, message", [
    ({"strike": "5000"}, NO_OPTION_FIELDS_FOR_FUTURES),
    ({"quantity": "1.5"}, WHOLE_FUTURES.format(value="1.5")),
    ({"order_type": "LMT", "limit_price": "5000", "outside_rth": True}, NO_RTH_FOR_FUTURES),
])
def test_future_input_errors_say_how_to_fix_them(fields, message):
    with pytest.raises(InvalidInput) as err:
        intent(**fields)
    assert err.value.message == message


def test_a_future_intent_keeps_its_contract_fields_in_the_hash():
    a, b = intent(symbol="es2612"), intent(symbol="ES2703")
    assert a.sec_type == "FUT" and a.symbol == "ES2612" and a.hash() != b.hash()
    assert intent(symbol="ES2612", multiplier="50").units == 50 and a.units == 1  # unresolved: no multiplier yet


@pytest.mark.django_db
def test_a_product_names_its_front_contract_and_a_market_buy_fills_through_the_multiplier(
        system_actor, futures_account, sim):
    n = futures_account.account_number
    preview, order = preview_and_place(system_actor, futures_account, "fut-1", sec_type="FUT", symbol="ES", side="BUY",
                            quantity="2", order_type="MKT")
    assert preview.order["sec_type"] == "FUT" and preview.order["symbol"] == FRONT
    assert preview.order["multiplier"] == "50" and preview.order["expiry"] == "2026-12-18"
    assert Decimal(preview.risk["notional"]) == 2 * 50 * Decimal(preview.risk["reference_price"])
    assert preview.broker_preview["is_pass"] is True
    assert order.status in (S.SUBMITTED, S.FILLED) and order.symbol == FRONT and order.multiplier == 50
    at_broker = sim.exchange.accounts[n].orders[int(order.broker_id)]
    assert at_broker.symbol == FRONT and at_broker.status == "Filled"
    assert sim.exchange.accounts[n].positions[FRONT].quantity == 2
    # Idempotent: the same key returns the same order, nothing resent.
    again = services.order_place(actor=system_actor, account_number=n,
                                 confirmation_token=preview.confirmation_token, idempotency_key="fut-1")
    assert again.pk == order.pk and again.replayed
    assert len(sim.exchange.accounts[n].orders) == 1


@pytest.mark.django_db
def test_a_named_month_limit_rests_and_cancels(system_actor, futures_account, sim):
    n = futures_account.account_number
    bid = sim.quote("NQ2703").bid
    low = (bid * Decimal("0.95") / Decimal("0.25")).quantize(Decimal(1)) * Decimal("0.25")
    _preview, order = preview_and_place(system_actor, futures_account, "fut-2", sec_type="FUT", symbol="NQ2703", side="BUY",
                             quantity="1", order_type="LMT", limit_price=str(low))
    assert order.status == S.SUBMITTED and order.sec_type == "FUT" and order.multiplier == 20
    cancel_and_check(system_actor, futures_account, order, sim)


@pytest.mark.django_db
def test_an_hsi_future_is_in_hkd_on_the_hk_market(system_actor, futures_account):
    preview = services.order_preview(actor=system_actor, account_number=futures_account.account_number,
                                     sec_type="FUT", symbol="HSI", side="BUY", quantity="1", order_type="MKT")
    assert (preview.order["currency"], preview.order["market"], preview.order["multiplier"]) == ("HKD", "HK", "50")


@pytest.mark.django_db
def test_unlisted_expired_and_off_tick_contracts_name_what_is_valid(system_actor, futures_account):
    n = futures_account.account_number
    order = {"sec_type": "FUT", "side": "BUY", "quantity": "1", "order_type": "MKT"}
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, symbol="ES2708", **order)
    assert err.value.code == "unknown_future_contract"
    assert "Listed: ES2612, ES2703, ES2706, ES2709" in err.value.message and "front contract is ES2612" in err.value.message
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, symbol="ES2609", **order)
    assert err.value.code == "future_expired" and "has expired" in err.value.message
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, symbol="CL", **order)
    assert err.value.code == "unknown_future_product" and "ES, HSI, NQ" in err.value.message
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, symbol="ES", multiplier="10", **order)
    assert err.value.code == "wrong_future_multiplier" and "worth 50 times" in err.value.message
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, symbol="ES",
                               **{**order, "order_type": "LMT", "limit_price": "5000.1"})
    assert err.value.code == "off_tick" and "5000 or 5000.25" in err.value.message


@pytest.mark.django_db
def test_risk_values_contracts_through_the_multiplier_and_caps_them(system_actor, futures_account, sim):
    n = futures_account.account_number
    latest = sim.quote(FRONT).latest
    policy = services.risk_policy_for(account=futures_account)
    policy.max_future_contracts = 3
    policy.max_order_notional = latest * 50 * 2 + 1000  # two contracts' value, not two index points' worth
    services.risk_policy_save(actor=system_actor, policy=policy)
    order = {"sec_type": "FUT", "symbol": "ES", "side": "BUY", "order_type": "MKT"}
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, quantity="4", **order)
    assert err.value.decision.rule == "max_future_contracts"
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, quantity="3", **order)
    assert err.value.decision.rule == "max_notional"
    ok = services.order_preview(actor=system_actor, account_number=n, quantity="2", **order)
    assert "max_future_contracts" in ok.risk["checked"]


@pytest.mark.django_db
def test_a_restatement_naming_the_product_confirms_the_front_contract(system_actor, futures_account):
    n = futures_account.account_number
    order = {"sec_type": "FUT", "symbol": "ES", "side": "BUY", "quantity": "1", "order_type": "MKT"}
    preview = services.order_preview(actor=system_actor, account_number=n, **order)
    placed = services.order_place(actor=system_actor, account_number=n, confirmation_token=preview.confirmation_token,
                                  idempotency_key="fut-restated", expected=order)
    assert placed.symbol == FRONT


@pytest.mark.django_db
def test_a_resting_futures_order_is_modified_through_preview_and_confirm(system_actor, futures_account, sim):
    n = futures_account.account_number
    low = (sim.quote(FRONT).bid * Decimal("0.95")).quantize(Decimal(1))
    _preview, order = preview_and_place(system_actor, futures_account, "fut-mod", sec_type="FUT", symbol=FRONT, side="BUY",
                             quantity="1", order_type="LMT", limit_price=str(low))
    with pytest.raises(InvalidInput) as err:  # the contract's own tick, in a modification too
        services.order_modify_preview(actor=system_actor, account_number=n, order_id=order.pk,
                                      limit_price=str(low + Decimal("0.1")))
    assert err.value.code == "off_tick"
    change = services.order_modify_preview(actor=system_actor, account_number=n, order_id=order.pk, quantity="2",
                                           limit_price=str(low + Decimal("0.25")))
    assert Decimal(change.risk["notional"]) == 2 * 50 * (low + Decimal("0.25"))
    done = services.order_modify(actor=system_actor, account_number=n, order_id=order.pk,
                                 confirmation_token=change.confirmation_token)
    at_broker = sim.exchange.accounts[n].orders[int(order.broker_id)]
    assert done.quantity == 2 and at_broker.quantity == 2 and at_broker.limit_price == low + Decimal("0.25")
    assert at_broker.symbol == FRONT
