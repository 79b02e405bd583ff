"""Discovery: symbol names, the trading calendar, and the market scanner over the simulator's own
instruments and quotes (a filtered or sorted field is the value get_stock_briefs shows)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import protocol as p
from .instruments import UNIVERSE
from .market_calendar import CALENDARS

MAX_CALENDAR_DAYS = 366 * 2
# StockField index -> (name Tiger reports, the quote's value). Others are refused as unsupported.
SCANNER_FIELDS = {
    2: ("latestPrice", lambda q: q.regular_latest), 5: ("open", lambda q: q.open),
    6: ("preClose", lambda q: q.pre_close), 7: ("high", lambda q: q.high), 8: ("low", lambda q: q.low),
    11: ("volume", lambda q: Decimal(q.volume)),
    12: ("amount", lambda q: (q.regular_latest * q.volume).quantize(Decimal("0.01"))),
    59: ("curChangeRate", lambda q: ((q.regular_latest - q.pre_close) / q.pre_close * 100).quantize(Decimal("0.0001"))
         if q.pre_close else Decimal(0)),
}
FIELD_INDEX = {"StockField_" + n: i for n, i in (("CurPrice", 2), ("OpenPrice", 5), ("PreClosePrice", 6),
                                                  ("HighPrice", 7), ("LowPrice", 8), ("Volume", 11), ("Amount", 12),
                                                  ("current_ChangeRate", 59))}


class DiscoveryMethods:
    """Mixed into Gateway."""

    def discovery_handlers(self) -> dict:
        return {"all_symbol_names": self.all_symbol_names, "trading_calendar": self.trading_calendar,
                "market_scanner": self.market_scanner}

    def all_symbol_names(self, tiger_id, biz, fault):
        market = (biz.get("market") or "ALL").upper()
        return [{"symbol": s, "name": i.name} for s, i in UNIVERSE.items() if market in ("ALL", i.market)]

    def trading_calendar(self, tiger_id, biz, fault):
        market = (biz.get("market") or "").upper()
        if market not in CALENDARS:
            raise p.biz_error(f"market {market or '(empty)'} is not supported")
        cal = CALENDARS[market]
        today = cal.local(self._now()).date()

        def day(value, default):
            if value in (None, ""):
                return default
            try:
                return dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                raise p.biz_error(f"date {value!r} must be yyyy-MM-dd")

        begin = day(biz.get("begin_date"), today)
        end = day(biz.get("end_date"), begin + dt.timedelta(days=30))  # not included, as Tiger's
        if (end - begin).days > MAX_CALENDAR_DAYS:
            raise p.biz_error(f"the range may span at most {MAX_CALENDAR_DAYS} days")
        out, cursor = [], begin
        while cursor < end:
            out.append({"date": cursor.isoformat(), "type": "TRADING" if cal.is_trading_day(cursor) else "NON_TRADING"})
            cursor += dt.timedelta(days=1)
        return out

    def market_scanner(self, tiger_id, biz, fault):
        market = (biz.get("market") or "US").upper()
        filters = []
        for f in biz.get("base_filter_list") or []:
            index = FIELD_INDEX.get(f.get("field_name"))
            if index is None:
                raise p.biz_error(f"filter field {f.get('field_name')} is not supported")
            if f.get("is_no_filter"):
                continue
            filters.append((index, f.get("filter_min"), f.get("filter_max")))
        for kind in ("accumulate_filter_list", "financial_filter_list", "multi_tags_filter_list"):
            if biz.get(kind):
                raise p.biz_error(f"{kind} is not supported")
        now = self._now()
        rows = []
        for symbol, inst in UNIVERSE.items():
            if inst.market != market:
                continue
            q = self.ex.quote(symbol, now)
            values = {i: SCANNER_FIELDS[i][1](q) for i, _, _ in filters}
            if all((lo is None or values[i] >= Decimal(str(lo))) and (hi is None or values[i] <= Decimal(str(hi)))
                   for i, lo, hi in filters):
                rows.append((symbol, q, values))
        sort = biz.get("sort_field_data") or {}
        if sort.get("field_name") is not None:
            index = int(sort["field_name"])
            if index not in SCANNER_FIELDS:
                raise p.biz_error(f"sort field {index} is not supported")
            rows.sort(key=lambda r: SCANNER_FIELDS[index][1](r[1]), reverse=str(sort.get("sort_dir")) == "SortDir_Descend")
            for _, q, values in rows:
                values.setdefault(index, SCANNER_FIELDS[index][1](q))
        page, size = int(biz.get("page") or 0), max(1, min(int(biz.get("page_size") or 100), 200))
        chunk = rows[page * size:(page + 1) * size]
        return {"page": page, "pageSize": size, "totalCount": len(rows), "totalPage": (len(rows) + size - 1) // size,
                "items": [{"symbol": s, "market": market,
                           "baseDataList": [{"index": i, "name": SCANNER_FIELDS[i][0], "value": v} for i, v in values.items()],
                           "accumulateDataList": [], "financialDataList": [], "multiTagDataList": []}
                          for s, _, values in chunk]}
