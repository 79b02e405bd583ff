"""Fundamentals: daily valuation (financial_daily), quarterly and annual reports (financial_report),
corporate actions (splits, dividends, the earnings calendar) and industry lists, in Tiger's shapes,
derived from tigersim.fundamentals and the price model."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from . import protocol as p
from .fundamentals import (COMPANIES, FILING_LAG_DAYS, INDUSTRIES, SPLITS, dividend_dates, quarter_ends,
                           quarterly_eps)
from .instruments import get_instrument
from .market_calendar import CALENDARS

BEIJING = dt.timezone(dt.timedelta(hours=8))  # Tiger dates daily fundamentals at midnight, Beijing time
DAILY_FIELDS = ("shares_outstanding", "market_capitalization", "p_to_ltm_diluted_eps_before_extra")
REPORT_FIELDS = ("total_revenue", "gross_profit", "operating_income", "net_income", "diluted_eps_excl_extra_items",
                 "basic_eps")
MAX_DAYS = 400


def _day(value, name: str) -> dt.date:
    if value in (None, "", -1):
        raise p.field_empty(name)
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, BEIJING).date()
    except (TypeError, ValueError, OverflowError, OSError):
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise p.biz_error(f"{name} {value!r} must be a date")


class FundamentalMethods:
    """Mixed into Gateway."""

    def fundamental_handlers(self) -> dict:
        return {"financial_daily": self.financial_daily, "financial_report": self.financial_report,
                "corporate_action": self.corporate_action, "industry_list": self.industry_list}

    def _companies(self, biz) -> list[str]:
        out = []
        for symbol in biz.get("symbols") or []:
            inst = get_instrument(symbol)
            if inst is None:
                raise p.GatewayError(p.CODE_COMMON_PARAM, f"invalid symbols: {symbol}")
            out.append(inst.symbol)
        if not out:
            raise p.field_empty("symbols")
        return out

    def _eps(self, symbol: str, quarter_end: dt.date) -> Decimal:
        return quarterly_eps(self.ex.prices.seed, symbol, get_instrument(symbol).base_price, quarter_end)

    def ltm_eps(self, symbol: str, day: dt.date) -> Decimal:
        """Sum of the last four quarters' EPS filed on or before ``day``."""
        filed = [q for q in quarter_ends(day - dt.timedelta(days=500), day)
                 if q + dt.timedelta(days=FILING_LAG_DAYS) <= day][-4:]
        return sum((self._eps(symbol, q) for q in filed), Decimal(0))

    def financial_daily(self, tiger_id, biz, fault):
        symbols = self._companies(biz)
        fields = [f for f in biz.get("fields") or []]
        if not fields:
            raise p.field_empty("fields")
        for f in fields:
            if f not in DAILY_FIELDS:
                raise p.biz_error(f"field {f} is not supported")
        begin, end = _day(biz.get("begin_date"), "begin_date"), _day(biz.get("end_date"), "end_date")
        if (end - begin).days > MAX_DAYS:
            raise p.biz_error(f"the range may span at most {MAX_DAYS} days")
        now = self._now()
        out = []
        for symbol in symbols:
            inst = get_instrument(symbol)
            cal = CALENDARS[inst.market]
            company = COMPANIES.get(symbol)
            day = begin
            while day <= min(end, cal.session_date(now)):
                if cal.is_trading_day(day) and company is not None:
                    bar = self.ex.prices.day_bar(inst, day, now)
                    close = bar.close if bar else self.ex.prices.close_price(inst, day)
                    shares = Decimal(company.shares_millions) * 1_000_000
                    eps = self.ltm_eps(symbol, day)
                    values = {"shares_outstanding": shares, "market_capitalization": shares * close,
                              "p_to_ltm_diluted_eps_before_extra": (close / eps).quantize(Decimal("0.0001")) if eps else None}
                    stamp = int(dt.datetime.combine(day, dt.time(0), tzinfo=BEIJING).timestamp() * 1000)
                    out += [{"symbol": symbol, "field": f, "date": stamp, "value": values[f]} for f in fields]
                day += dt.timedelta(days=1)
        return out

    def financial_report(self, tiger_id, biz, fault):
        symbols = self._companies(biz)
        fields = biz.get("fields") or []
        if not fields:
            raise p.field_empty("fields")
        for f in fields:
            if f not in REPORT_FIELDS:
                raise p.biz_error(f"field {f} is not supported")
        period = biz.get("period_type") or "Annual"
        if period not in ("Annual", "Quarterly", "LTM"):
            raise p.biz_error(f"period_type {period} is not supported")
        today = self._now().date()
        begin = _day(biz.get("begin_date"), "begin_date") if biz.get("begin_date") else today - dt.timedelta(days=730)
        end = _day(biz.get("end_date"), "end_date") if biz.get("end_date") else today
        out = []
        for symbol in symbols:
            company = COMPANIES.get(symbol)
            if company is None:
                continue  # funds file no income statements
            inst = get_instrument(symbol)
            shares = Decimal(company.shares_millions) * 1_000_000
            filed = [q for q in quarter_ends(begin - dt.timedelta(days=366), end)
                     if q + dt.timedelta(days=FILING_LAG_DAYS) <= today]
            if period == "Quarterly":
                periods = [(q, [q]) for q in filed if q >= begin]
            elif period == "Annual":
                periods = [(q, [x for x in filed if x.year == q.year]) for q in filed if q.month == 12 and q >= begin]
            else:
                periods = [(q, filed[i - 3:i + 1]) for i, q in enumerate(filed) if i >= 3 and q >= begin]
            for period_end, quarters in periods:
                eps = sum((self._eps(symbol, q) for q in quarters), Decimal(0))
                net = eps * shares
                revenue = (net / company.net_margin).quantize(Decimal(1))
                values = {"net_income": net, "diluted_eps_excl_extra_items": eps, "basic_eps": eps, "total_revenue": revenue,
                          "gross_profit": (revenue * Decimal("0.45")).quantize(Decimal(1)),
                          "operating_income": (revenue * (company.net_margin + Decimal("0.05"))).quantize(Decimal(1))}
                filing = period_end + dt.timedelta(days=FILING_LAG_DAYS)
                out += [{"symbol": symbol, "currency": inst.currency, "field": f, "value": values[f],
                         "periodEndDate": period_end.isoformat(), "filingDate": filing.isoformat()} for f in fields]
        return out

    def corporate_action(self, tiger_id, biz, fault):
        kind = (biz.get("action_type") or "").lower()
        begin, end = _day(biz.get("begin_date"), "begin_date"), _day(biz.get("end_date"), "end_date")
        market = (biz.get("market") or "US").upper()
        if kind == "earning":
            return self._earnings(market, begin, end)
        symbols = self._companies(biz)
        out: dict[str, list] = {}
        for symbol in symbols:
            inst = get_instrument(symbol)
            base = {"market": inst.market, "exchange": inst.exchange}
            if kind == "split":
                out[symbol] = [{**base, "symbol": symbol, "actionType": "SPLIT", "fromFactor": a, "toFactor": b,
                                "ratio": Decimal(b) / Decimal(a), "executeDate": day.isoformat()}
                               for s, day, a, b in SPLITS if s == symbol and begin <= day <= end]
            elif kind == "dividend":
                out[symbol] = [{**base, "symbol": symbol, "actionType": "DIVIDEND", "amount": amount,
                                "currency": inst.currency, "announcedDate": (ex - dt.timedelta(days=21)).isoformat(),
                                "executeDate": ex.isoformat(), "recordDate": (ex + dt.timedelta(days=1)).isoformat(),
                                "payDate": (ex + dt.timedelta(days=14)).isoformat()}
                               for ex, amount in dividend_dates(symbol, begin, end)]
            else:
                raise p.biz_error(f"action_type {kind or '(empty)'} is not supported")
        return out

    def _earnings(self, market: str, begin: dt.date, end: dt.date) -> dict:
        today = self._now().date()
        out: dict[str, list] = {}
        for symbol in COMPANIES:
            inst = get_instrument(symbol)
            if inst.market != market:
                continue
            for q in quarter_ends(begin - dt.timedelta(days=FILING_LAG_DAYS), end):
                report = q + dt.timedelta(days=FILING_LAG_DAYS)
                if not begin <= report <= end:
                    continue
                eps = self._eps(symbol, q)
                out.setdefault(report.isoformat(), []).append({
                    "symbol": symbol, "reportDate": report.isoformat(), "reportTime": "After Market Close",
                    "executeDate": report.isoformat(), "expectedEps": (eps * Decimal("0.97")).quantize(Decimal("0.01")),
                    "actualEps": eps if report <= today else None, "fiscalQuarterEnding": q.isoformat(),
                    "market": inst.market, "exchange": inst.exchange, "actionType": "EARNINGS_CALENDAR"})
        return out

    def industry_list(self, tiger_id, biz, fault):
        level = (biz.get("industry_level") or "GGROUP").upper()
        if level not in INDUSTRIES:
            raise p.biz_error(f"industry_level {level} is not supported")
        return [{"industryLevel": level, "id": i, "nameCN": name, "nameEN": name} for i, name in INDUSTRIES[level]]
