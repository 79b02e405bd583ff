"""BrokerClient's market-data calls beyond quotes and bars: one method per tigeropen call, each
through BrokerClient._call (rate limiter, circuit breaker, error translation), each returning the
value types of broker.data_types."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from broker.data_types import (
    BrokerSeats,
    CapitalDistribution,
    CapitalFlow,
    CapitalFlowPoint,
    CashEntry,
    CashHistory,
    CorporateAction,
    DailyValue,
    Industry,
    ReportValue,
    CalendarDay,
    CurrencyBalance,
    DelayedQuote,
    Depth,
    DepthLevel,
    FutureContract,
    FutureQuote,
    OptionAnalysis,
    OptionBar,
    OptionDepth,
    OptionDepthLevel,
    OptionGreeks,
    OptionSymbol,
    OptionTick,
    SeatLevel,
    ScanPage,
    ScanRow,
    SegmentAssets,
    Timeline,
    TimelinePoint,
    Transfer,
)
from broker.types import Bar, currency_for, dec, from_millis, market_for


def _records(frame) -> list[dict]:
    if frame is None:
        return []
    if hasattr(frame, "to_dict"):
        return frame.to_dict("records")
    return list(frame)


def _venue_levels(rows) -> list[OptionDepthLevel]:
    return [OptionDepthLevel(price=dec(price), volume=dec(volume) or Decimal(0), time=from_millis(at) if at else None,
                             exchange=str(venue) if venue else None)
            for price, volume, at, venue in rows or [] if dec(price) is not None]


def _levels(rows) -> list[DepthLevel]:
    return [DepthLevel(price=dec(price), volume=dec(volume) or Decimal(0), orders=int(count) if count is not None else None)
            for price, volume, count in rows or [] if dec(price) is not None]


class QuoteDataCalls:
    """Mixed into broker.client.BrokerClient (self._call, self._quote)."""

    def depth(self, symbols: list[str]) -> list[Depth]:
        """Level-2 order book per symbol; one market per call (Tiger's rule), so symbols are grouped."""
        books: dict[str, dict] = {}
        for market in dict.fromkeys(market_for(s) for s in symbols):
            group = [s for s in symbols if market_for(s) == market]
            book = self._call("quote_depth", self._quote.get_depth_quote, group, market) or {}
            # The SDK returns the book itself for one symbol, a dict of books for several.
            books.update({book["symbol"]: book} if "asks" in book else book)
        return [Depth(symbol=s, currency=currency_for(s), asks=_levels(books[s].get("asks")),
                      bids=_levels(books[s].get("bids"))) for s in symbols if s in books]

    def timeline(self, symbols: list[str], *, day=None, include_hour_trading: bool = False) -> list[Timeline]:
        """Minute prices of today's session (``day`` None) or of a past trading day."""
        if day is None:
            frame = self._call("timeline", self._quote.get_timeline, list(symbols),
                               include_hour_trading=include_hour_trading)
        else:
            frame = self._call("history_timeline", self._quote.get_timeline_history, list(symbols), day.isoformat())
        rows: dict[str, list[dict]] = {s: [] for s in symbols}
        for r in _records(frame):
            rows.setdefault(r["symbol"], []).append(r)
        return [
            Timeline(symbol=s, currency=currency_for(s),
                     pre_close=dec(rows[s][0].get("pre_close")) if rows[s] else None,
                     points=[TimelinePoint(time=from_millis(r["time"]), price=dec(r.get("price")),
                                           avg_price=dec(r.get("avg_price")), volume=dec(r.get("volume")),
                                           session=str(r.get("trade_session") or "Regular")) for r in rows[s]])
            for s in symbols
        ]

    def delayed_quotes(self, symbols: list[str]) -> list[DelayedQuote]:
        frame = self._call("quote_delay", self._quote.get_stock_delay_briefs, list(symbols))
        return [
            DelayedQuote(symbol=r["symbol"], currency=currency_for(r["symbol"]), time=from_millis(r.get("time")),
                         open=dec(r.get("open")), high=dec(r.get("high")), low=dec(r.get("low")),
                         close=dec(r.get("close")), pre_close=dec(r.get("pre_close")), volume=dec(r.get("volume")),
                         halted=bool(dec(r.get("halted")))) for r in _records(frame)
        ]

    def capital_flow(self, symbol: str, *, period: str, limit: int = 200, begin: datetime | None = None,
                     end: datetime | None = None) -> CapitalFlow:
        frame = self._call("capital_flow", self._quote.get_capital_flow, symbol, market_for(symbol), period,
                           begin_time=_ms(begin), end_time=_ms(end), limit=limit)
        points = [CapitalFlowPoint(time=from_millis(r["timestamp"]), label=str(r.get("time") or ""),
                                   net_inflow=dec(r.get("net_inflow"))) for r in _records(frame)]
        return CapitalFlow(symbol=symbol, currency=currency_for(symbol), period=period, points=points)

    def capital_distribution(self, symbol: str) -> CapitalDistribution:
        d = self._call("capital_distribution", self._quote.get_capital_distribution, symbol, market_for(symbol))
        get = (lambda k: dec(getattr(d, k, None))) if d is not None else (lambda k: None)
        return CapitalDistribution(
            symbol=symbol, currency=currency_for(symbol), net_inflow=get("net_inflow"),
            inflow={k: get(f"in_{k}") for k in ("all", "big", "mid", "small")},
            outflow={k: get(f"out_{k}") for k in ("all", "big", "mid", "small")},
        )

    def broker_seats(self, symbol: str, *, limit: int = 40) -> BrokerSeats:
        b = self._call("stock_broker", self._quote.get_stock_broker, symbol, limit=limit)

        def side(levels):
            return [SeatLevel(level=int(lv.level), price=dec(lv.price),
                              brokers=[(str(x.id), str(x.name)) for x in (lv.broker or [])]) for lv in levels or []]

        if b is None:
            return BrokerSeats(symbol=symbol, currency=currency_for(symbol))
        return BrokerSeats(symbol=symbol, currency=currency_for(symbol), bid=side(b.bid_broker), ask=side(b.ask_broker))


class OptionDataCalls:
    """Mixed into broker.client.BrokerClient: option chains with Greeks, analysis, bars and ticks (US options)."""

    def option_greeks(self, symbol: str, expiry) -> list[OptionGreeks]:
        frame = self._call("option_chain", self._quote.get_option_chain, symbol, expiry.isoformat(),
                           return_greek_value=True)
        return [
            OptionGreeks(
                identifier=str(r.get("identifier", "")).strip(), symbol=symbol, expiry=expiry, strike=dec(r["strike"]),
                put_call=str(r["put_call"]).upper(), bid=dec(r.get("bid_price")), ask=dec(r.get("ask_price")),
                latest_price=dec(r.get("latest_price")), volume=dec(r.get("volume")),
                open_interest=dec(r.get("open_interest")), implied_vol=dec(r.get("implied_vol")),
                **{g: _signed(r.get(g)) for g in ("delta", "gamma", "theta", "vega", "rho")},
                multiplier=dec(r.get("multiplier")),
            )
            for r in _records(frame)
        ]

    def option_symbols(self, market: str = "HK") -> list[OptionSymbol]:
        """The exchange's option symbols and their underlying stocks (Tiger lists them for HK)."""
        frame = self._call("all_hk_option_symbols", self._quote.get_option_symbols, market=market)
        return [OptionSymbol(symbol=str(r["symbol"]), name=str(r.get("name") or ""),
                             underlying=str(r.get("underlying_symbol") or "")) for r in _records(frame)]

    def option_depth(self, identifiers: list[str]) -> list[OptionDepth]:
        """Each option's book by venue; one market per call (Tiger's rule), so identifiers are grouped."""
        books: dict[str, dict] = {}
        for market in dict.fromkeys(market_for(i) for i in identifiers):
            group = [i for i in identifiers if market_for(i) == market]
            result = self._call("option_depth", self._quote.get_option_depth, group, market=market) or {}
            # One book for one identifier, else books keyed by an identifier the SDK rebuilds from the
            # expiry in the machine's time zone (a day early for HK): the order is the request's.
            found = [result] if "asks" in result else list(result.values())
            books.update(zip(group, found))
        return [OptionDepth(identifier=i, currency=currency_for(i), asks=_venue_levels(books[i].get("asks")),
                            bids=_venue_levels(books[i].get("bids"))) for i in identifiers if i in books]

    def option_analysis(self, symbols: list[str], *, period: str) -> list[OptionAnalysis]:
        rows = self._call("option_analysis", self._quote.get_option_analysis, list(symbols), period=period,
                          require_volatility_list=True) or []
        out = []
        for a in rows:
            metric = getattr(a, "iv_metric", None)
            out.append(OptionAnalysis(
                symbol=str(a.symbol), implied_vol_30d=dec(getattr(a, "implied_vol_30_days", None)),
                historical_vol=dec(getattr(a, "his_volatility", None)), iv_hv_ratio=dec(getattr(a, "iv_his_v_ratio", None)),
                call_put_ratio=dec(getattr(a, "call_put_ratio", None)),
                iv_period=getattr(metric, "period", None), iv_rank=dec(getattr(metric, "rank", None)),
                iv_percentile=dec(getattr(metric, "percentile", None)),
                history=[(from_millis(v.timestamp), dec(getattr(v, "implied_vol", None)),
                          dec(getattr(v, "his_volatility", None))) for v in getattr(a, "volatility_list", None) or []],
            ))
        return out

    def option_bars(self, identifiers: list[str], *, period: str, limit: int) -> dict[str, list[OptionBar]]:
        frame = self._call("option_kline", self._quote.get_option_bars, list(identifiers), period=period, limit=limit)
        bars: dict[str, list[OptionBar]] = {i: [] for i in identifiers}
        for r in _records(frame):
            bars.setdefault(_ident(r["identifier"], identifiers), []).append(OptionBar(
                time=from_millis(r["time"]), open=dec(r.get("open")), high=dec(r.get("high")), low=dec(r.get("low")),
                close=dec(r.get("close")), volume=dec(r.get("volume")), open_interest=dec(r.get("open_interest"))))
        return bars

    def option_ticks(self, identifiers: list[str]) -> dict[str, list[OptionTick]]:
        frame = self._call("option_trade_tick", self._quote.get_option_trade_ticks, list(identifiers))
        ticks: dict[str, list[OptionTick]] = {i: [] for i in identifiers}
        for r in _records(frame):
            ticks.setdefault(_ident(r["identifier"], identifiers), []).append(OptionTick(
                time=from_millis(r["time"]), price=dec(r.get("price")), volume=dec(r.get("volume"))))
        return ticks


class HistoryDataCalls:
    """Mixed into broker.client.BrokerClient: the account's cash ledger, transfers and segment assets."""

    def cash_history(self, *, start=None, end=None, currency: str | None = None, kind: str | None = None,
                     offset: int = 0, limit: int = 100) -> CashHistory:
        frame = self._call("fund_details", self._trade.get_fund_details, ["SEC"], account=self.account_number,
                           fund_type=kind, currency=currency, start=offset, limit=limit,
                           start_date=start.isoformat() if start else None, end_date=end.isoformat() if end else None)
        rows = _records(frame)
        return CashHistory(total=int(rows[0]["item_count"]) if rows else 0, entries=[
            CashEntry(entry_id=str(r["id"]), kind=str(r.get("type") or ""), description=str(r.get("desc") or ""),
                      currency=str(r["currency"]), amount=dec(r["amount"]), business_date=_date(r.get("business_date")),
                      time=from_millis(r.get("updated_at")), segment=str(r.get("seg_type") or "SEC"))
            for r in rows])

    def transfers(self) -> list[Transfer]:
        frame = self._call("transfer_fund", self._trade.get_funding_history)
        return [
            Transfer(transfer_id=str(r["id"]), kind=str(r.get("type") or ""), currency=str(r["currency"]),
                     amount=dec(r["amount"]), business_date=_date(r.get("business_date")),
                     completed=bool(r.get("completed_status")), time=from_millis(r.get("updated_at")))
            for r in _records(frame)
        ]

    def segment_assets(self, *, base_currency: str = "USD") -> list[SegmentAssets]:
        portfolio = self._call("prime_assets", self._trade.get_prime_assets, account=self.account_number,
                               base_currency=base_currency)
        out = []
        # Securities (S) first, then futures (C).
        for category, seg in sorted((portfolio.segments if portfolio else {}).items(), key=lambda kv: kv[0] != "S"):
            out.append(SegmentAssets(
                segment=category, capability=seg.capability, currency=seg.currency,
                net_liquidation=dec(seg.net_liquidation), cash=dec(seg.cash_balance), buying_power=dec(seg.buying_power),
                gross_position_value=dec(seg.gross_position_value), equity_with_loan=dec(seg.equity_with_loan),
                init_margin=dec(seg.init_margin), maint_margin=dec(seg.maintain_margin),
                unrealized_pnl=dec(seg.unrealized_pl), realized_pnl=dec(seg.realized_pl),
                currencies=[CurrencyBalance(currency=c, cash=dec(a.cash_balance), available=dec(a.cash_available_for_trade),
                                            fx_rate=dec(a.forex_rate)) for c, a in sorted(seg.currency_assets.items())],
            ))
        return out


# Our scanner field names -> tigeropen StockField members (the fields the simulator and we support).
SCANNER_FIELDS = {"price": "CurPrice", "open": "OpenPrice", "pre_close": "PreClosePrice", "high": "HighPrice",
                  "low": "LowPrice", "volume": "Volume", "amount": "Amount", "change_pct": "current_ChangeRate"}


class DiscoveryDataCalls:
    """Mixed into broker.client.BrokerClient: symbol names, the trading calendar, the market scanner."""

    def symbol_names(self, market: str) -> list[tuple[str, str]]:
        return [(str(s), str(n)) for s, n in self._call("all_symbol_names", self._quote.get_symbol_names, market=market) or []]

    def trading_calendar(self, market: str, start, end) -> list[CalendarDay]:
        rows = self._call("trading_calendar", self._quote.get_trading_calendar, market, begin_date=start.isoformat(),
                          end_date=end.isoformat()) or []
        return [CalendarDay(day=_date(r["date"]), trading=r.get("type") == "TRADING") for r in rows]

    def market_scan(self, market: str, *, filters: list[tuple[str, Decimal | None, Decimal | None]],
                    sort_by: str | None, descending: bool, page: int, page_size: int) -> ScanPage:
        from tigeropen.common.consts import SortDirection
        from tigeropen.common.consts.filter_fields import StockField
        from tigeropen.quote.domain.filter import SortFilterData, StockFilter

        sdk_filters = [StockFilter(StockField[SCANNER_FIELDS[name]], filter_min=_num(lo), filter_max=_num(hi))
                       for name, lo, hi in filters]
        sort = (SortFilterData(StockField[SCANNER_FIELDS[sort_by]], SortDirection.DESC if descending else SortDirection.ASC)
                if sort_by else None)
        result = self._call("market_scanner", self._quote.market_scanner, market=market, filters=sdk_filters or None,
                            sort_field_data=sort, page=page, page_size=page_size)
        by_member = {member: name for name, member in SCANNER_FIELDS.items()}
        rows = [ScanRow(symbol=str(item.symbol), market=str(item.market),
                        values={by_member[f.name]: dec(v) for f, v in item.field_data.items() if f.name in by_member})
                for item in (result.items if result else [])]
        return ScanPage(rows=rows, total=int(result.total_count or 0) if result else 0,
                        page=int(result.page or 0) if result else 0, pages=int(result.total_page or 0) if result else 0)


class FundamentalDataCalls:
    """Mixed into broker.client.BrokerClient: financial daily and report figures, corporate actions,
    industry lists."""

    def financial_daily(self, symbols: list[str], fields: list[str], start, end) -> list[DailyValue]:
        frame = self._call("financial_daily", self._quote.get_financial_daily, list(symbols), market_for(symbols[0]),
                           fields, start.isoformat(), end.isoformat())
        # Tiger stamps each day at a midnight hours off UTC (Beijing's here): the nearest UTC midnight is the day.
        return [DailyValue(symbol=r["symbol"], field=r["field"], day=(from_millis(r["date"]) + timedelta(hours=12)).date(),
                           value=dec(r.get("value")))
                for r in _records(frame)]

    def financial_report(self, symbols: list[str], fields: list[str], period: str, start, end) -> list[ReportValue]:
        frame = self._call("financial_report", self._quote.get_financial_report, list(symbols), market_for(symbols[0]),
                           fields, period, begin_date=start.isoformat(), end_date=end.isoformat())
        return [ReportValue(symbol=r["symbol"], currency=str(r.get("currency") or currency_for(r["symbol"])),
                            field=r["field"], value=dec(r.get("value")), period_end=_date(r.get("period_end_date")),
                            filed=_date(r.get("filing_date"))) for r in _records(frame)]

    def corporate_actions(self, kind: str, symbols: list[str], market: str, start, end) -> list[CorporateAction]:
        args = (market, start.isoformat(), end.isoformat())
        if kind == "split":
            frame = self._call("corporate_action", self._quote.get_corporate_split, list(symbols), *args)
            return [CorporateAction(symbol=r["symbol"], kind="split", day=_date(r.get("execute_date")), details={
                "from_factor": dec(r.get("from_factor")), "to_factor": dec(r.get("to_factor")),
                "ratio": dec(r.get("ratio"))}) for r in _records(frame)]
        if kind == "dividend":
            frame = self._call("corporate_action", self._quote.get_corporate_dividend, list(symbols), *args)
            return [CorporateAction(symbol=r["symbol"], kind="dividend", day=_date(r.get("execute_date")), details={
                "amount": dec(r.get("amount")), "currency": r.get("currency"),
                "announced_date": _date(r.get("announced_date")), "record_date": _date(r.get("record_date")),
                "pay_date": _date(r.get("pay_date"))}) for r in _records(frame)]
        frame = self._call("corporate_action", self._quote.get_corporate_earnings_calendar, *args)
        wanted = set(symbols)
        return [CorporateAction(symbol=r["symbol"], kind="earnings", day=_date(r.get("report_date")), details={
            "report_time": r.get("report_time"), "fiscal_quarter_ending": _date(r.get("fiscal_quarter_ending")),
            "expected_eps": dec(r.get("expected_eps")), "actual_eps": dec(r.get("actual_eps"))})
            for r in _records(frame) if not wanted or r["symbol"] in wanted]

    def industries(self, level: str) -> list[Industry]:
        rows = self._call("industry_list", self._quote.get_industry_list, level) or []
        return [Industry(industry_id=str(r["id"]), level=str(r["industry_level"]), name=str(r.get("name_en") or ""))
                for r in rows]


class FutureDataCalls:
    """Mixed into broker.client.BrokerClient: futures contracts, quotes and bars."""

    def future_contracts(self, *, exchange: str | None = None, future_type: str | None = None) -> list[FutureContract]:
        if future_type:
            frame = self._call("future_current_contract", self._quote.get_current_future_contract, future_type)
        else:
            frame = self._call("future_contract_by_exchange_code", self._quote.get_future_contracts, exchange)
        return [FutureContract(code=str(r["contract_code"]), type=str(r.get("type") or ""), name=str(r.get("name") or ""),
                               exchange=str(r.get("exchange") or ""), currency=str(r.get("currency") or "USD"),
                               multiplier=dec(r.get("multiplier")), min_tick=dec(r.get("min_tick")),
                               contract_month=str(r.get("contract_month") or "") or None,
                               last_trading_date=_compact_date(r.get("last_trading_date")))
                for r in _records(frame)]

    def future_quotes(self, codes: list[str]) -> list[FutureQuote]:
        frame = self._call("future_real_time_quote", self._quote.get_future_brief, list(codes))
        return [FutureQuote(code=str(r["identifier"]), latest_price=dec(r.get("latest_price")), bid=dec(r.get("bid_price")),
                            ask=dec(r.get("ask_price")), open=dec(r.get("open")), high=dec(r.get("high")),
                            low=dec(r.get("low")), settlement=dec(r.get("settlement")), volume=dec(r.get("volume")),
                            open_interest=dec(r.get("open_interest")), time=from_millis(r.get("latest_time")))
                for r in _records(frame)]

    def future_bars(self, codes: list[str], *, limit: int, period: str = "day") -> dict[str, list]:
        frame = self._call("future_kline", self._quote.get_future_bars, list(codes), period=period, limit=limit)
        bars: dict[str, list] = {c: [] for c in codes}
        for r in _records(frame):
            bars.setdefault(str(r["identifier"]), []).append(Bar(
                time=from_millis(r["time"]), open=dec(r["open"]), high=dec(r["high"]), low=dec(r["low"]),
                close=dec(r["close"]), volume=dec(r["volume"]), amount=None))
        return bars


def _compact_date(value):
    """Tiger's yyyyMMdd (or yyyy-MM-dd) date text."""
    from datetime import date

    text = str(value or "").replace("-", "")
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) >= 8 and text[:8].isdigit() else None


def _num(value):
    return None if value is None else float(value)


def _date(value):
    from datetime import date

    return date.fromisoformat(str(value)[:10]) if value else None


def _signed(value) -> Decimal | None:
    """A Greek: -0.0 is 0 (a far out-of-the-money put's delta prints as -0.0)."""
    d = dec(value)
    return d + 0 if d is not None else None


def _ident(identifier: str, asked: list[str]) -> str:
    """The identifier as the caller wrote it (Tiger pads the root to six characters with spaces)."""
    squeezed = " ".join(str(identifier).split())
    return next((a for a in asked if " ".join(a.split()) == squeezed), str(identifier))


def _ms(value: datetime | None) -> int:
    return -1 if value is None else int(value.timestamp() * 1000)
