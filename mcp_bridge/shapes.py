"""Service results as the tools' typed output: each mapping written once, used by every tool."""

from __future__ import annotations

from core.formatting import price_text
from mcp_bridge.adapter import iso
from mcp_bridge.schemas import (
    AccountSummary,
    LegOut,
    FillOut,
    PnlHistoryResult,
    ValueDayOut,
    OrderOut,
    PositionOut,
    PositionsResult,
    OrderSummary,
    PreviewResult,
    QuoteOut,
    RiskCheck,
    dstr,
    money,
    price,
    untrusted,
)
from trading.models import OPEN, OrderStatus
from trading.risk import money_notes
from trading.services.reconciliation import map_tiger_status

# `remark` is one thing in every tool: Tiger's text about the order (a reject or expiry reason, or a
# note set outside TigerMCP), never TigerMCP's own reference ("tm:…") or bookkeeping ("acknowledged by Tiger").
REASON_STATES = frozenset({OrderStatus.REJECTED, OrderStatus.EXPIRED})

PREVIEW_NEXT = ("Show this order to the user (it is on a {environment} account). Only after they agree, call {tool} "
                "with the same parameters and confirmation_token before {expires}.")

REFUSED_NEXT = "Refused by risk rule '{rule}': {message} Nothing was placed. Change the order accordingly, or ask an admin about the account's risk policy."


def position_out(p) -> PositionOut:
    c = p.currency
    return PositionOut(
        symbol=p.symbol, sec_type=p.sec_type, market=p.market, currency=c, quantity=dstr(p.quantity),
        identifier=p.identifier, multiplier=dstr(p.multiplier) if p.identifier else None,
        average_cost=price(p.average_cost, c), latest_price=price(p.latest_price, c),
        market_value=money(p.market_value, c), unrealized_pnl=money(p.unrealized_pnl, c),
        realized_pnl=money(p.realized_pnl, c),
    )


def read_age(read) -> dict:
    """A broker.account_reads.AccountRead's age fields (schemas.AccountReadAge)."""
    return {"as_of": iso(read.as_of), "age_seconds": read.age_seconds(), "source": read.source}


def positions_out(account, read) -> PositionsResult:
    return PositionsResult(account=account.account_number, positions=[position_out(p) for p in read.value],
                           **read_age(read))


def summary_out(account, read) -> AccountSummary:
    a = read.value
    c = a.currency
    return AccountSummary(
        account=account.account_number, environment=account.environment, currency=c, **read_age(read),
        net_liquidation=money(a.net_liquidation, c), cash=money(a.cash, c), buying_power=money(a.buying_power, c),
        unrealized_pnl=money(a.unrealized_pnl, c), realized_pnl=money(a.realized_pnl, c),
        cash_by_currency=[money(v, k) for k, v in sorted(a.cash_by_currency.items())],
    )


def pnl_history_out(account, h) -> PnlHistoryResult:
    c = h.currency
    days = [ValueDayOut(date=d.day.isoformat(), net_value=money(d.net_value, c), pnl=money(d.pnl, c),
                        pnl_ratio=dstr(d.pnl_ratio), cash=money(d.cash, c), position_value=money(d.position_value, c))
            for d in h.days]
    return PnlHistoryResult(account=account.account_number, currency=c,
                            start=h.start.isoformat(), end=h.end.isoformat(),
                            pnl=money(h.pnl, c), pnl_ratio=dstr(h.pnl_ratio), days=days)


def price_out(value, currency):
    return None if value is None else price(value, currency)


def _fill_facts(filled, avg_fill_price, commission, currency) -> dict:
    """One rule in every tool: avg_fill_price and commission are null until something filled (Tiger
    reports "0" for both before that), then a price and an amount."""
    if not filled:
        return {"avg_fill_price": None, "commission": None}
    return {"avg_fill_price": price_out(avg_fill_price, currency),
            "commission": None if commission is None else money(commission, currency)}


def broker_order_out(o, order_ref=None) -> OrderOut:
    c = o.currency or "USD"
    status = map_tiger_status(o)
    # Tiger echoes our reference back as the remark when it has no reason of its own.
    reason = None if o.remark == o.reference and o.reference.startswith("tm:") else o.remark
    return OrderOut(
        order_ref=str(order_ref) if order_ref else None, broker_id=o.broker_id, account=o.account, symbol=o.symbol,
        sec_type=o.sec_type, identifier=o.identifier, multiplier=dstr(o.multiplier), side=o.side, order_type=o.order_type, quantity=dstr(o.quantity), filled_quantity=dstr(o.filled_quantity),
        limit_price=price_out(o.limit_price, c), stop_price=price_out(o.stop_price, c),
        trailing_amount=price_out(o.trailing_amount, c), trailing_percent=dstr(o.trailing_percent),
        parent_broker_id=o.parent_id, amount=None if o.amount is None else money(o.amount, c),
        combo_type=o.combo_type, legs=[LegOut(side=l.side, ratio=str(l.ratio), sec_type=l.sec_type,
                                              expiry=l.expiry.isoformat() if l.expiry else None, strike=dstr(l.strike),
                                              right=l.right, filled_quantity=dstr(l.filled_quantity),
                                              avg_fill_price=dstr(l.avg_fill_price)) for l in o.legs] or None,
        time_in_force=o.time_in_force, expire_time=iso(o.expire_time), outside_rth=o.outside_rth, status=status,
        can_modify=o.can_modify,
        is_open=o.is_open, remark=untrusted(reason), open_time=iso(o.open_time), update_time=iso(o.update_time),
        **_fill_facts(o.filled_quantity, o.avg_fill_price, o.commission, c),
    )


def fill_out(f, order_ref=None) -> FillOut:
    return FillOut(
        fill_id=f.fill_id, order_ref=str(order_ref) if order_ref else None, broker_id=f.broker_order_id,
        account=f.account, symbol=f.symbol, sec_type=f.sec_type, market=f.market, side=f.side,
        quantity=dstr(f.quantity), price=price(f.price, f.currency), amount=money(f.amount, f.currency),
        time=iso(f.time),
    )


def our_order_out(order) -> OrderOut:
    c = order.currency
    return OrderOut(
        order_ref=str(order.pk), broker_id=order.broker_id or None, account=order.account.account_number,
        symbol=order.symbol, sec_type=order.sec_type, identifier=order.identifier,
        multiplier=dstr(order.multiplier) if order.sec_type != "STK" else None,
        side=order.side, order_type=order.order_type, quantity=dstr(order.quantity),
        filled_quantity=dstr(order.filled_quantity), limit_price=price_out(order.limit_price, c),
        stop_price=price_out(order.stop_price, c),
        trailing_amount=price_out(order.trailing_amount, c), trailing_percent=dstr(order.trailing_percent),
        take_profit_price=price_out(order.take_profit_price, c), stop_loss_price=price_out(order.stop_loss_price, c),
        amount=None if order.amount is None else money(order.amount, c),
        leg=order.leg or None, parent_broker_id=(order.parent.broker_id or None) if order.parent_id else None,
        combo_type=order.combo_type or None,
        legs=[LegOut(side=l["side"], ratio=str(l["ratio"]), sec_type=l["sec_type"], expiry=l.get("expiry"),
                     strike=l.get("strike"), right=l.get("right")) for l in order.combo_legs] or None,
        time_in_force=order.time_in_force, expire_time=iso(order.expire_time), outside_rth=order.outside_rth,
        trading_session_type=order.trading_session_type or None, status=order.status,
        is_open=order.status in OPEN,
        remark=untrusted(order.status_reason if order.status in REASON_STATES else None), open_time=iso(order.created_at),
        **_fill_facts(order.filled_quantity, order.avg_fill_price, order.commission, c),
        update_time=iso(order.terminal_at or order.submitted_at),
    )


def _scalar(v):
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, int):
        return str(v)
    return dstr(v)


def flat(d: dict) -> dict:
    """Preview payloads as flat string fields; a modification's nested new order is merged in."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update({ik: _scalar(iv) for ik, iv in v.items() if not isinstance(iv, (dict, list))})
        elif not isinstance(v, list):
            out[k] = _scalar(v)
    return out


def quote_out(q) -> QuoteOut:
    return QuoteOut(symbol=q.symbol, currency=q.currency, latest_price=price_text(q.latest_price), bid=price_text(q.bid),
                    ask=price_text(q.ask), bid_size=dstr(q.bid_size), ask_size=dstr(q.ask_size), open=price_text(q.open),
                    high=price_text(q.high), low=price_text(q.low), pre_close=price_text(q.pre_close), volume=dstr(q.volume),
                    latest_time=iso(q.latest_time), status=q.status)


def _passed_checks(rules: list[str], decision: dict) -> list[RiskCheck]:
    """Passed rules; a money limit says the order's amount against it, in which currency, and for an
    order in another currency Tiger's rate and the converted amount."""
    notes = money_notes(decision)
    return [RiskCheck(rule=r, passed=True, message=f"passed: {notes[r]}" if r in notes else "passed") for r in rules]


def preview_out(preview, tool: str) -> PreviewResult:
    risk = preview.risk or {}
    checks = _passed_checks(risk.get("checked", []), risk)
    broker = dict(preview.broker_preview or {})
    warning = broker.pop("warning", None)
    return PreviewResult(
        allowed=True, account=preview.account_number, environment=preview.environment, order=flat(preview.order),
        risk=checks, broker_preview=flat(broker) if broker else None, broker_warning=untrusted(warning),
        preview=OrderSummary(**preview.preview) if preview.preview else None,
        confirmation_token=preview.confirmation_token, expires_at=preview.expires_at,
        next_step=PREVIEW_NEXT.format(environment=preview.environment, tool=tool, expires=preview.expires_at),
    )


def refused_out(account, exc, order: dict) -> PreviewResult:
    d = exc.decision
    return PreviewResult(
        allowed=False, account=account.account_number, environment=account.environment, order=flat(order),
        risk=_passed_checks(d.checked, d.as_dict()) + [RiskCheck(rule=d.rule, passed=False, message=d.message)],
        broker_preview=None, confirmation_token=None, expires_at=None,
        next_step=REFUSED_NEXT.format(rule=d.rule, message=d.message),
    )
