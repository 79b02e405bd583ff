"""Attached orders (a bracket) and OCA groups through the real SDK: the legs are orders of their own
naming their entry (parentId), held until it fills, then working; one filling cancels the other."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tigeropen.common.consts import OrderStatus
from tigeropen.common.exceptions import ApiException
from tigeropen.common.util.contract_utils import stock_contract
from tigeropen.common.util.order_utils import limit_order_with_legs, market_order, oca_order, order_leg

from tigersim import exchange as ex

AAPL = stock_contract("AAPL", "USD")
CENT = Decimal("0.01")


def acct(sim, number):
    return sim.exchange.accounts[number]


def step_until(sim, done, steps=300):
    for _ in range(steps):
        if done():
            return True
        sim.clock.advance(60)
        sim.match()
    return done()


def legs_of(trade, parent_id):
    return sorted((o for o in trade.get_orders(symbol="AAPL") if o.parent_id == parent_id),
                  key=lambda o: o.order_type)


def test_a_filled_entry_starts_its_legs_and_the_take_profit_fill_cancels_the_stop_loss(sim, demo, trade):
    q = sim.quote("AAPL")
    entry = limit_order_with_legs(demo.account, AAPL, "BUY", 10, float(q.ask), order_legs=[
        order_leg("PROFIT", float(q.ask + CENT)), order_leg("LOSS", float((q.latest * Decimal("0.5")).quantize(CENT)))])
    trade.place_order(entry)
    assert len(entry.sub_ids) == 2  # the SDK keeps the legs' ids from the place reply
    assert trade.get_order(id=entry.id).status == OrderStatus.FILLED
    limit, stop = legs_of(trade, entry.id)
    assert {limit.id, stop.id} == set(entry.sub_ids)
    assert (limit.order_type, limit.action, limit.quantity) == ("LMT", "SELL", 10)
    assert (stop.order_type, stop.action, stop.quantity) == ("STP", "SELL", 10)
    assert limit.status == stop.status == OrderStatus.HELD  # working now that the entry filled
    # Both legs sell the same 10 shares: the position is held once, not twice.
    assert sum(1 for o in sim.exchange.working(acct(sim, demo.account)) if o.action == "SELL") == 1
    assert step_until(sim, lambda: acct(sim, demo.account).orders[limit.id].status == ex.FILLED)
    assert trade.get_order(id=stop.id).status == OrderStatus.CANCELLED
    assert acct(sim, demo.account).orders[stop.id].reason == ex.REASON_OCA
    assert acct(sim, demo.account).positions["AAPL"].quantity == 0


def test_legs_wait_for_their_entry_and_go_with_it_when_it_is_cancelled(sim, demo, trade):
    q = sim.quote("AAPL")
    low = (q.latest * Decimal("0.8")).quantize(CENT)
    entry = limit_order_with_legs(demo.account, AAPL, "BUY", 5, float(low), order_legs=[
        order_leg("PROFIT", float(low + 10)), order_leg("LOSS", float(low - 10))])
    trade.place_order(entry)
    sim.match()
    assert trade.get_order(id=entry.id).status == OrderStatus.HELD
    legs = legs_of(trade, entry.id)
    assert [o.status for o in legs] == [OrderStatus.PENDING_NEW] * 2  # held: not working yet
    # A held leg holds nothing: the account can still sell what it has and buy as before.
    assert sim.exchange.working(acct(sim, demo.account)) and all(
        o.parent_id is None for o in sim.exchange.working(acct(sim, demo.account)))
    trade.cancel_order(id=entry.id)
    sim.match()
    assert trade.get_order(id=entry.id).status == OrderStatus.CANCELLED
    for leg in legs_of(trade, entry.id):
        assert leg.status == OrderStatus.CANCELLED
        assert leg.reason == ex.REASON_PARENT.format(id=entry.id)


def test_a_partly_filled_entry_that_is_cancelled_protects_what_it_bought(sim, demo, trade):
    q = sim.quote("AAPL")
    entry = limit_order_with_legs(demo.account, AAPL, "BUY", 10, float(q.ask + 1), order_legs=[
        order_leg("LOSS", float((q.latest * Decimal("0.5")).quantize(CENT)))])
    sim.faults.inject("place_order", "partial_fill", quantity=4)
    trade.place_order(entry)
    trade.cancel_order(id=entry.id)
    sim.match()
    [stop] = legs_of(trade, entry.id)
    assert stop.status == OrderStatus.HELD and stop.quantity == 4 and stop.order_type == "STP"


@pytest.mark.parametrize("legs, message", [
    ([order_leg("PROFIT", 1.0)], "take-profit price 1.0 must be above"),
    ([order_leg("LOSS", 100000.0)], "stop-loss price 100000.0 must be below"),
])
def test_legs_on_the_wrong_side_of_the_entry_are_refused(sim, demo, trade, legs, message):
    limit = float((sim.quote("AAPL").latest).quantize(CENT))
    with pytest.raises(ApiException) as err:
        trade.place_order(limit_order_with_legs(demo.account, AAPL, "BUY", 1, limit, order_legs=legs))
    assert message in err.value.msg
    assert not acct(sim, demo.account).orders  # nothing half-placed


def test_an_oca_order_works_every_leg_and_a_fill_cancels_the_others(sim, demo, trade):
    trade.place_order(market_order(demo.account, AAPL, "BUY", 10))
    q = sim.quote("AAPL")
    oca = oca_order(demo.account, AAPL, "SELL", quantity=10, order_legs=[
        order_leg("LMT", float(q.latest + CENT)), order_leg("STP", float((q.latest * Decimal("0.5")).quantize(CENT)))])
    trade.place_order(oca)  # each leg sells the 10 shares held: checked alone, not added up
    ids = [oca.id, *oca.sub_ids]
    assert len(ids) == 2
    placed = [acct(sim, demo.account).orders[i] for i in ids]
    assert {o.order_type for o in placed} == {"LMT", "STP"} and {o.oca_group for o in placed} == {oca.id}
    assert all(trade.get_order(id=i).status == OrderStatus.HELD for i in ids)
    limit = next(o for o in placed if o.order_type == "LMT")
    stop = next(o for o in placed if o.order_type == "STP")
    assert step_until(sim, lambda: limit.status == ex.FILLED)
    assert trade.get_order(id=stop.id).status == OrderStatus.CANCELLED and stop.reason == ex.REASON_OCA
    assert acct(sim, demo.account).positions["AAPL"].quantity == 0


@settings(max_examples=30, deadline=None)
@given(quantities=st.lists(st.integers(1, 40), min_size=1, max_size=4), both=st.lists(st.booleans(), min_size=4,
                                                                                        max_size=4))
def test_working_brackets_hold_their_shares_and_buying_power_once(quantities, both):
    import datetime as dt

    from tigersim.clock import SimClock
    from tigersim.server import Simulator

    sim = Simulator(seed=42, clock=SimClock(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.timezone.utc), frozen=True),
                    match_interval=None)
    account = sim.exchange.accounts[sim.ensure_demo().account]
    q = sim.quote("AAPL")
    reserved_before = sim.exchange._reserved_base(account, sim.clock.now())
    for quantity, two_legs in zip(quantities, both):
        biz = {"symbol": "AAPL", "action": "BUY", "order_type": "LMT", "total_quantity": quantity,
               "limit_price": str(q.ask), "attach_type": "BRACKETS" if two_legs else "LOSS",
               "stop_loss_price": str((q.latest / 2).quantize(CENT)),
               **({"profit_taker_price": str(q.ask * 2)} if two_legs else {})}
        entry, *legs = sim.exchange.place_bracket(account, biz)
        sim.exchange.accept(entry)
        sim.exchange.match()
        assert entry.status == ex.FILLED and all(leg.status == ex.SUBMITTED for leg in legs)
    held = account.positions["AAPL"].quantity
    assert held == sum(quantities)
    # Every share is being sold once by its bracket (two legs or one): nothing left to sell, nothing short.
    assert sim.exchange._salable(account, "AAPL") == 0
    assert sum(o.remaining for o in sim.exchange.working(account) if o.action == "SELL") == held
    # Sells that close a long hold no buying power, however many legs work.
    assert sim.exchange._reserved_base(account, sim.clock.now()) == reserved_before
