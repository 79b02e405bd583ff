"""Single-leg option orders: normalised from either spelling, checked against the chain (with the
nearest valid expiries and strikes in the error), valued through the multiplier by risk, and taken
through preview -> confirm -> fill or rest -> cancel with the real SDK against the simulator."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from broker.types import OrderIntent
from core.errors import InvalidInput
from trading import services
from trading.tests.factories import cancel_and_check, preview_and_place
from trading.intents import (BAD_OPTION_IDENTIFIER, NO_OPTION_FIELDS_HERE, OPTION_NEEDS_CONTRACT, OPTION_ORDER_TYPE,
                             WHOLE_CONTRACTS, normalise_intent)
from trading.models import Order, OrderStatus, RiskPolicy
from trading.risk import RiskRefused

S = OrderStatus
FUTURE = date.today() + timedelta(days=60)
IDENT = f"AAPL  {FUTURE:%y%m%d}C00190000"


def intent(**fields):
    values = {"account_number": "1", "side": "BUY", "quantity": "2", "order_type": "LMT", "limit_price": "3.5"}
    return normalise_intent(**{**values, **fields})


def test_identifier_and_underlying_expiry_strike_right_are_the_same_order():
    by_identifier = intent(identifier=IDENT)
    by_fields = intent(symbol="aapl", expiry=FUTURE.isoformat(), strike="190.0", right="c", sec_type="opt")
    assert by_identifier == by_fields and by_identifier.hash() == by_fields.hash()
    assert by_identifier.sec_type == "OPT" and by_identifier.symbol == "AAPL" and by_identifier.identifier == IDENT
    assert OrderIntent.from_canonical(by_identifier.canonical()) == by_identifier
    assert by_identifier.hash() != intent(identifier=IDENT.replace("C0019", "P0019")).hash()
    # A stock's canonical form carries no option key: orders placed before options keep their hash.
    stock = intent(symbol="AAPL")
    assert not {"expiry", "strike", "right", "multiplier"} & set(stock.canonical()) and stock.units == 1


@pytest.mark.parametrize("fields, message", [
    ({"sec_type": "OPT", "symbol": "AAPL"}, OPTION_NEEDS_CONTRACT),
    ({"identifier": "AAPL 190C"}, BAD_OPTION_IDENTIFIER.format(value="AAPL 190C")),
    ({"symbol": "AAPL", "sec_type": "STK", "strike": "190"}, NO_OPTION_FIELDS_HERE),
    ({"identifier": IDENT, "quantity": "1.5"}, WHOLE_CONTRACTS.format(value="1.5")),
    ({"identifier": IDENT, "order_type": "STP", "limit_price": None, "stop_price": "3"}, OPTION_ORDER_TYPE.format(value="STP")),
])
def test_option_input_errors_say_how_to_fix_them(fields, message):
    with pytest.raises(InvalidInput) as err:
        intent(**fields)
    assert err.value.message == message


def test_an_identifier_and_a_different_contract_beside_it_are_refused():
    with pytest.raises(InvalidInput) as err:
        intent(identifier=IDENT, strike="195")
    assert "either by identifier or by expiry, strike and right" in err.value.message
    with pytest.raises(InvalidInput) as err:
        intent(identifier=IDENT, symbol="TSLA")
    assert "is an option on AAPL, not on symbol TSLA" in err.value.message


# --- through the services, the SDK and the simulator ----------------------------------------------


def _chain_call(system_actor, account, index=4):
    """A listed AAPL call, near the money, from the account's own chain."""
    from marketdata.services import option_chain_get, option_expirations_get

    n = account.account_number
    expiry = option_expirations_get(actor=system_actor, symbol="AAPL", account_number=n)[index]
    calls = [o for o in option_chain_get(actor=system_actor, symbol="AAPL", expiry=expiry, account_number=n)
             if o.put_call == "CALL"]
    return calls[len(calls) // 2]


@pytest.mark.django_db
def test_a_market_buy_by_identifier_fills_and_cash_moves_through_the_multiplier(system_actor, account, sim):
    call = _chain_call(system_actor, account)
    cash_before = sim.exchange.accounts[account.account_number].cash["USD"]
    preview, order = preview_and_place(system_actor, account, "opt-1", identifier=call.identifier, side="BUY", quantity="2",
                            order_type="MKT")
    assert preview.order["sec_type"] == "OPT" and preview.order["multiplier"] == "100"
    assert Decimal(preview.risk["notional"]) == 2 * 100 * Decimal(preview.risk["reference_price"])
    assert preview.broker_preview["is_pass"] is True
    assert order.status in (S.SUBMITTED, S.FILLED) and order.multiplier == 100 and order.identifier == call.identifier
    at_broker = sim.exchange.accounts[account.account_number].orders[int(order.broker_id)]
    assert at_broker.symbol == call.identifier and at_broker.status == "Filled"
    spent = cash_before - sim.exchange.accounts[account.account_number].cash["USD"]
    assert spent == at_broker.filled_value * 100 + at_broker.commission
    placed = AuditEvent.objects.filter(event_type="order.transition", payload__order_id=order.pk).first()
    assert placed.payload["identifier"] == call.identifier and placed.payload["multiplier"] == "100.000000"


@pytest.mark.django_db
def test_a_limit_option_order_by_fields_rests_and_cancels(system_actor, account, sim):
    call = _chain_call(system_actor, account)
    low = max(Decimal("0.01"), (call.bid * Decimal("0.5")).quantize(Decimal("0.01")))
    _preview, order = preview_and_place(system_actor, account, "opt-2", symbol="AAPL", expiry=call.expiry.isoformat(),
                             strike=str(call.strike), right="CALL", side="BUY", quantity="1", order_type="LMT",
                             limit_price=str(low))
    assert order.status == S.SUBMITTED and order.sec_type == "OPT" and order.right == "CALL"
    cancel_and_check(system_actor, account, order, sim)


@pytest.mark.django_db
def test_an_unlisted_expiry_or_strike_names_the_nearest_valid_ones(system_actor, account):
    call = _chain_call(system_actor, account)
    n = account.account_number
    off_day = call.expiry + timedelta(days=1)
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, symbol="AAPL", expiry=off_day, strike=call.strike,
                               right="CALL", side="BUY", quantity="1", order_type="MKT")
    assert err.value.code == "unknown_option_expiry"
    assert f"No AAPL options expire on {off_day}" in err.value.message and call.expiry.isoformat() in err.value.message
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, symbol="AAPL", expiry=call.expiry,
                               strike=call.strike + Decimal("2.5"), right="CALL", side="BUY", quantity="1",
                               order_type="MKT")
    assert err.value.code == "unknown_option_strike"
    assert "Nearest strikes: " in err.value.message and f"{call.strike.normalize():f}" in err.value.message
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, identifier=call.identifier, multiplier="10",
                               side="BUY", quantity="1", order_type="MKT")
    assert err.value.code == "wrong_option_multiplier" and "covers 100 shares" in err.value.message
    with pytest.raises(InvalidInput) as err:
        services.order_preview(actor=system_actor, account_number=n, identifier="AAPL  200117C00190000", side="BUY",
                               quantity="1", order_type="MKT")
    assert err.value.code == "option_expired" and "expiring 2020-01-17 has expired" in err.value.message


@pytest.mark.django_db
def test_risk_counts_premium_through_the_multiplier_and_caps_contracts(system_actor, account):
    call = _chain_call(system_actor, account)
    policy = services.risk_policy_for(account=account)
    policy.max_option_contracts = 3
    policy.max_order_notional = call.ask * 100 * 2  # two contracts' premium, not two hundred dollars' worth
    services.risk_policy_save(actor=system_actor, policy=policy)
    n = account.account_number
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, identifier=call.identifier, side="BUY",
                               quantity="4", order_type="LMT", limit_price=str(call.ask))
    assert err.value.decision.rule == "max_option_contracts"
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, identifier=call.identifier, side="BUY",
                               quantity="3", order_type="LMT", limit_price=str(call.ask))
    assert err.value.decision.rule == "max_notional"
    assert Decimal(err.value.decision.value) == 3 * 100 * call.ask
    ok = services.order_preview(actor=system_actor, account_number=n, identifier=call.identifier, side="BUY",
                                quantity="2", order_type="LMT", limit_price=str(call.ask))
    assert "max_option_contracts" in ok.risk["checked"]


@pytest.mark.django_db
def test_selling_calls_needs_shares_or_long_calls_unless_the_policy_allows_naked_calls(system_actor, account, sim):
    call = _chain_call(system_actor, account)
    n = account.account_number
    sell = {"identifier": call.identifier, "side": "SELL", "quantity": "1", "order_type": "MKT"}
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, **sell)
    assert err.value.decision.rule == "naked_short_call" and err.value.decision.limit == "0"
    assert "100 per contract" in err.value.decision.message

    preview_and_place(system_actor, account, "shares", symbol="AAPL", side="BUY", quantity="100", order_type="MKT")
    assert sim.exchange.accounts[n].positions["AAPL"].quantity == 100
    covered = services.order_preview(actor=system_actor, account_number=n, **sell)  # 100 shares cover one call
    assert "naked_short_call" in covered.risk["checked"]
    with pytest.raises(RiskRefused) as err:
        services.order_preview(actor=system_actor, account_number=n, **{**sell, "quantity": "2"})
    assert err.value.decision.rule == "naked_short_call" and err.value.decision.limit == "1"

    policy = services.risk_policy_for(account=account)
    policy.allow_naked_short_calls = True
    services.risk_policy_save(actor=system_actor, policy=policy)
    allowed = services.order_preview(actor=system_actor, account_number=n, **{**sell, "quantity": "2"})
    assert allowed.risk["accepted"] is True and "naked_short_call" not in allowed.risk["checked"]
    assert RiskPolicy.objects.get(account=account).snapshot()["allow_naked_short_calls"] is True


@pytest.mark.django_db
def test_puts_may_be_sold_without_shares(system_actor, account):
    call = _chain_call(system_actor, account)
    put = call.identifier.replace(f"{call.expiry:%y%m%d}C", f"{call.expiry:%y%m%d}P")
    preview = services.order_preview(actor=system_actor, account_number=account.account_number, identifier=put,
                                     side="SELL", quantity="1", order_type="MKT")
    assert preview.risk["accepted"] is True and preview.order["right"] == "PUT"
    assert not Order.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_a_resting_option_order_is_modified_through_preview_and_confirm(system_actor, account, sim):
    call = _chain_call(system_actor, account)
    low = max(Decimal("0.01"), (call.bid * Decimal("0.5")).quantize(Decimal("0.01")))
    _preview, order = preview_and_place(system_actor, account, "opt-mod", identifier=call.identifier, side="BUY", quantity="1",
                             order_type="LMT", limit_price=str(low))
    n = account.account_number
    change = services.order_modify_preview(actor=system_actor, account_number=n, order_id=order.pk, quantity="2")
    assert Decimal(change.risk["notional"]) == 2 * 100 * low
    done = services.order_modify(actor=system_actor, account_number=n, order_id=order.pk,
                                 confirmation_token=change.confirmation_token)
    at_broker = sim.exchange.accounts[n].orders[int(order.broker_id)]
    assert done.quantity == 2 and at_broker.quantity == 2 and at_broker.symbol == call.identifier


def test_reconciliation_never_hints_that_an_option_is_the_stock_order_of_its_underlying():
    from broker.types import BrokerOrder
    from trading.services.reconciliation import _matches

    stock = Order(symbol="AAPL", side="BUY", order_type="LMT", quantity=Decimal(1), limit_price=Decimal("3"))
    option = Order(symbol="AAPL", sec_type="OPT", expiry=FUTURE, strike=Decimal(190), right="CALL",
                   side="BUY", order_type="LMT", quantity=Decimal(1), limit_price=Decimal("3"))
    at_tiger = BrokerOrder(
        broker_id="1", order_id=1, account="A", symbol="AAPL", side="BUY", order_type="LMT", quantity=Decimal(1),
        filled_quantity=Decimal(0), limit_price=Decimal("3"), stop_price=None, avg_fill_price=None,
        time_in_force="DAY", outside_rth=False, status="Submitted", currency="USD", commission=None,
        realized_pnl=None, can_modify=True, is_open=True, remark="", reference="", open_time=None, update_time=None,
        sec_type="OPT", identifier=IDENT, multiplier=Decimal(100))
    assert _matches(option, at_tiger) and not _matches(stock, at_tiger)
