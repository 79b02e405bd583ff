"""Account history: the cash ledger (fund_details) and deposits and withdrawals (transfer_fund).
Both are replayed from the account's own fills, so the ledger of a currency adds up to its cash
balance: the opening deposit is today's cash with every fill undone (as analytics_asset counts it),
dated the day the simulator's price history begins."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import protocol as p
from .market_calendar import CALENDARS
from .prices import EPOCH

UTC = dt.timezone.utc
ZERO = Decimal("0")
MAX_LEDGER_PAGE = 100
FUND_TYPES = {"ALL", "DEPOSIT_WITHDRAW", "TRADE", "FEE"}
SEGMENTS = ("SEC", "FUT")


class HistoryMethods:
    """Mixed into Gateway (``self.ex`` is the exchange, ``self._account`` the account check)."""

    def history_handlers(self) -> dict:
        return {"fund_details": self.fund_details, "transfer_fund": self.transfer_fund,
                "segment_fund_available": self.segment_fund_available,
                "transfer_segment_fund": self.transfer_segment_fund, "segment_fund_history": self.segment_fund_history}

    def _ledger(self, acct) -> list[dict]:
        """Every cash movement of the account, oldest first."""
        rows, opening = [], dict(acct.cash)
        for order in acct.orders.values():
            for n, fill in enumerate(order.fills):
                buy = order.action == "BUY"
                value = fill.quantity * fill.price
                trade = -value if buy else value
                ccy = order.currency
                opening[ccy] = opening.get(ccy, ZERO) - trade + fill.commission
                cal = CALENDARS[order.market]
                day = dt.datetime.fromtimestamp(fill.time_ms / 1000, cal.tz).date().isoformat()
                text = f"{order.action} {fill.quantity} {order.symbol} @ {fill.price}"
                base = {"currency": ccy, "businessDate": day, "updatedAt": fill.time_ms, "segType": "SEC"}
                rows.append({**base, "id": f"{order.id}-{n}-t", "type": "TRADE", "desc": text, "amount": trade})
                if fill.commission:
                    rows.append({**base, "id": f"{order.id}-{n}-c", "type": "FEE", "desc": f"Commission: {text}",
                                 "amount": -fill.commission})
        funded = int(dt.datetime.combine(EPOCH, dt.time(0), tzinfo=UTC).timestamp() * 1000)
        deposits = [{"id": f"dep-{acct.account}-{ccy}", "type": "DEPOSIT_WITHDRAW", "desc": "Deposit",
                     "currency": ccy, "amount": amount, "businessDate": EPOCH.isoformat(), "updatedAt": funded,
                     "segType": "SEC"}
                    for ccy, amount in sorted(opening.items()) if amount]
        return deposits + sorted(rows, key=lambda r: (r["updatedAt"], r["id"]))

    def fund_details(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        seg_types = biz.get("seg_types") or []
        if not seg_types:
            raise p.field_empty("seg_types")
        fund_type = (biz.get("fund_type") or "ALL").upper()
        if fund_type not in FUND_TYPES:
            raise p.biz_error(f"fund_type {fund_type} is not supported")
        currency = (biz.get("currency") or "").upper()
        start = max(0, int(biz.get("start") or 0))
        limit = max(1, min(int(biz.get("limit") or MAX_LEDGER_PAGE), MAX_LEDGER_PAGE))
        rows = [r for r in self._ledger(acct) if r["segType"] in seg_types
                and (fund_type == "ALL" or r["type"] == fund_type) and (not currency or r["currency"] == currency)
                and (not biz.get("start_date") or r["businessDate"] >= str(biz["start_date"])[:10])
                and (not biz.get("end_date") or r["businessDate"] <= str(biz["end_date"])[:10])]
        page = rows[start:start + limit]
        return {"items": page, "page": start // limit, "limit": limit, "itemCount": len(rows),
                "pageCount": (len(rows) + limit - 1) // limit, "timestamp": self.ex.clock.now_ms()}

    def transfer_fund(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        out = []
        for row in self._ledger(acct):
            if row["type"] != "DEPOSIT_WITHDRAW":
                continue
            out.append({"id": row["id"], "refId": row["id"], "type": "DEPOSIT" if row["amount"] > 0 else "WITHDRAW",
                        "typeDesc": "Deposit" if row["amount"] > 0 else "Withdrawal", "currency": row["currency"],
                        "amount": abs(row["amount"]), "businessDate": row["businessDate"], "completedStatus": True,
                        "createdAt": row["updatedAt"], "updatedAt": row["updatedAt"]})
        return out

    def segment_fund_available(self, tiger_id, biz, fault):
        """Cash each currency could move out of ``from_segment`` (SEC or FUT)."""
        acct = self._account(tiger_id, biz)
        segment = str(biz.get("from_segment") or "").upper()
        if segment not in SEGMENTS:
            raise p.biz_error(f"from_segment must be one of {', '.join(SEGMENTS)}")
        cash = acct.cash if segment == "SEC" else acct.futures_cash
        currency = str(biz.get("currency") or "").upper()
        return [{"fromSegment": segment, "currency": ccy, "amount": max(ZERO, amount)}
                for ccy, amount in sorted(cash.items()) if not currency or ccy == currency]

    def transfer_segment_fund(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        for name in ("from_segment", "to_segment", "currency", "amount"):
            if not biz.get(name):
                raise p.field_empty(name)
        try:
            amount = Decimal(str(biz["amount"]))
        except ArithmeticError:
            raise p.biz_error(f"amount {biz['amount']!r} is not a number")
        try:
            record = self.ex.transfer_segment(acct, str(biz["from_segment"]).upper(), str(biz["to_segment"]).upper(),
                                              str(biz["currency"]).upper(), amount, self.ex.clock.now_ms())
        except ValueError as exc:
            raise p.biz_error(str(exc))
        return dict(record)

    def segment_fund_history(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        limit = max(1, min(int(biz.get("limit") or MAX_LEDGER_PAGE), MAX_LEDGER_PAGE))
        return [dict(r) for r in reversed(acct.segment_transfers)][:limit]
