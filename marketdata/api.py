"""REST doors over the market-data and portfolio services (token or session auth, JSON with Decimal
strings). No logic here: validate the query (a serializer per view), call the service, present the result."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from marketdata import services
from accounts.api import AccountOut
from marketdata.selectors import (HISTORY_CURRENCIES, account_summary_get, health_report_for, pnl_history_get,
                                  positions_get, snapshot_latest_for)
from core.api_errors import validated_query
from core.api_shapes import ChoiceField, MoneyOut, decimal_text, money, price
from core.formatting import price_text

class AccountQuery(serializers.Serializer):
    account = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                    help_text="Account number; omit for your default account.")


class SymbolsQuery(AccountQuery):
    symbols = serializers.CharField(max_length=2000, help_text="Comma-separated, e.g. AAPL,MSFT,00700.")


class BarsQuery(SymbolsQuery):
    period = serializers.CharField(required=False, default="day", max_length=10)
    limit = serializers.IntegerField(required=False, default=100)
    begin_time = serializers.DateTimeField(required=False, help_text="ISO 8601, e.g. 2026-11-20T14:30:00Z.")
    end_time = serializers.DateTimeField(required=False, help_text="ISO 8601, e.g. 2026-11-20T20:00:00Z.")
    page_token = serializers.CharField(required=False, max_length=200)


class MarketStatusQuery(AccountQuery):
    market = serializers.CharField(required=False, default="US", max_length=8)


class PortfolioQuery(serializers.Serializer):
    base_currency = serializers.CharField(required=False, default="USD", max_length=3)
    fresh_only = serializers.BooleanField(required=False, default=False,
                                          help_text="Read every account from Tiger now; no background snapshot.")


def _text(field_help: str = "", **kw):
    return serializers.CharField(allow_null=True, help_text=field_help or None, **kw)


class QuoteOut(serializers.Serializer):
    symbol = serializers.CharField()
    currency = serializers.CharField()
    latest_price = _text()
    bid = _text()
    ask = _text()
    bid_size = _text()
    ask_size = _text()
    open = _text()
    high = _text()
    low = _text()
    pre_close = _text()
    volume = _text()
    latest_time = _text("ISO 8601 UTC.")
    status = _text()


class StockQuotesOut(serializers.Serializer):
    quotes = QuoteOut(many=True)
    hints = serializers.ListField(child=serializers.CharField(), help_text="For symbols with no quote: what to try.")


def _quote_data(q) -> dict:
    return {"symbol": q.symbol, "currency": q.currency, "latest_time": q.latest_time.isoformat() if q.latest_time else None,
            "status": q.status, **{k: price_text(getattr(q, k)) for k in ("latest_price", "bid", "ask", "open", "high",
                                                                          "low", "pre_close")},
            **{k: decimal_text(getattr(q, k)) for k in ("bid_size", "ask_size", "volume")}}


class QuotesApi(APIView):
    @extend_schema(parameters=[SymbolsQuery], responses=StockQuotesOut)
    def get(self, request):
        from broker.types import symbol_hint

        q = validated_query(request, SymbolsQuery)
        quotes = services.quotes_get(actor=actor_from_request(request), symbols=q["symbols"], account_number=q.get("account"))
        found = {x.symbol.upper() for x in quotes}
        asked = [s.strip().upper() for s in q["symbols"].replace(",", " ").split() if s.strip()]
        hints = [symbol_hint(s) for s in dict.fromkeys(asked) if s not in found]
        return Response(StockQuotesOut({"quotes": [_quote_data(x) for x in quotes], "hints": hints}).data)


class BarOut(serializers.Serializer):
    time = serializers.CharField()
    open = serializers.CharField()
    high = serializers.CharField()
    low = serializers.CharField()
    close = serializers.CharField()
    volume = _text()
    amount = _text("Turnover in the symbol's currency.")


class NullableBarOut(serializers.Serializer):
    """A derivative's bar: a figure is null where the period had no trade (option and futures bars)."""
    time = serializers.DateTimeField()
    open = serializers.CharField(allow_null=True)
    high = serializers.CharField(allow_null=True)
    low = serializers.CharField(allow_null=True)
    close = serializers.CharField(allow_null=True)
    volume = serializers.CharField(allow_null=True)


class StockBarsOut(serializers.Serializer):
    period = serializers.CharField()
    bars = serializers.DictField(child=BarOut(many=True), help_text="Symbol -> bars, oldest first.")
    next_page_token = _text("Pass back as page_token for older bars.")


class BarsApi(APIView):
    @extend_schema(parameters=[BarsQuery], responses=StockBarsOut)
    def get(self, request):
        q = validated_query(request, BarsQuery)
        result = services.bars_get(
            actor=actor_from_request(request), symbols=q["symbols"], period=q["period"], limit=q["limit"],
            begin_time=q.get("begin_time"), end_time=q.get("end_time"), page_token=q.get("page_token"),
            account_number=q.get("account"),
        )
        bars = {s: [{"time": b.time.isoformat(), **{k: decimal_text(getattr(b, k)) for k in (
            "open", "high", "low", "close", "volume", "amount")}} for b in rows] for s, rows in result.bars.items()}
        return Response(StockBarsOut({"period": result.period, "bars": bars, "next_page_token": result.next_page_token}).data)


class MarketStatusOut(serializers.Serializer):
    market = serializers.CharField()
    status = serializers.CharField()
    open_time = _text("Next open, as Tiger gives it.")


class MarketsOut(serializers.Serializer):
    markets = MarketStatusOut(many=True)


class MarketStatusApi(APIView):
    @extend_schema(parameters=[MarketStatusQuery], responses=MarketsOut)
    def get(self, request):
        q = validated_query(request, MarketStatusQuery)
        rows = services.market_status_get(actor=actor_from_request(request), market=q["market"],
                                          account_number=q.get("account"))
        return Response(MarketsOut({"markets": [{"market": m.market, "status": m.status,
                                                 "open_time": m.open_time} for m in rows]}).data)


class PortfolioPositionOut(serializers.Serializer):
    symbol = serializers.CharField()
    sec_type = serializers.CharField()
    market = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    quantity = serializers.CharField()
    average_cost = _text()
    latest_price = _text()
    market_value = _text()
    unrealized_pnl = _text()
    realized_pnl = _text()


class PortfolioAccountOut(serializers.Serializer):
    account_number = serializers.CharField()
    label = serializers.CharField()
    environment = serializers.CharField()
    currency = serializers.CharField()
    net_liquidation = _text()
    cash = _text()
    buying_power = _text()
    unrealized_pnl = _text()
    realized_pnl = _text()
    market_value = _text()
    cash_by_currency = serializers.DictField(child=serializers.CharField())
    positions = PortfolioPositionOut(many=True)
    latency_ms = serializers.IntegerField()
    fx_rates = serializers.DictField(child=serializers.CharField())
    net_liquidation_base = _text()
    cash_base = _text()
    market_value_base = _text()
    as_of = _text("When this account's figures were read from Tiger (ISO 8601 UTC).")
    age_seconds = serializers.IntegerField(required=False, allow_null=True, help_text="How old the figures are.")
    source = serializers.CharField(required=False, help_text="live (read now) | snapshot (kept fresh in the background).")


class PortfolioFailureOut(serializers.Serializer):
    account_number = serializers.CharField()
    label = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class HoldingAccountOut(serializers.Serializer):
    account_number = serializers.CharField()
    quantity = serializers.CharField()


class CombinedPositionOut(serializers.Serializer):
    symbol = serializers.CharField()
    market = serializers.CharField(allow_blank=True)
    currency = serializers.CharField()
    sec_type = serializers.CharField()
    quantity = serializers.CharField()
    market_value = serializers.CharField()
    market_value_base = serializers.CharField()
    unrealized_pnl = serializers.CharField()
    accounts = HoldingAccountOut(many=True)


class ExposureOut(serializers.Serializer):
    symbol = serializers.CharField(required=False)
    market = serializers.CharField(required=False)
    market_value = serializers.CharField()
    currency = serializers.CharField()
    percent_of_gross = serializers.CharField()


class PortfolioOut(serializers.Serializer):
    base_currency = serializers.CharField()
    as_of = serializers.CharField()
    totals = serializers.DictField(child=MoneyOut(), help_text="net_liquidation, cash, market_value, unrealized_pnl, realized_pnl.")
    accounts = PortfolioAccountOut(many=True)
    errors = PortfolioFailureOut(many=True)
    positions = CombinedPositionOut(many=True)
    exposure_by_symbol = ExposureOut(many=True)
    exposure_by_market = ExposureOut(many=True)
    fx_rates = serializers.DictField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    duration_ms = serializers.IntegerField()


class PortfolioApi(APIView):
    @extend_schema(parameters=[PortfolioQuery], responses=PortfolioOut)
    def get(self, request):
        q = validated_query(request, PortfolioQuery)
        aggregate = services.portfolio_aggregate(actor=actor_from_request(request), base_currency=q["base_currency"],
                                                 fresh_only=q["fresh_only"])
        return Response(PortfolioOut(services.aggregate_as_data(aggregate)).data)


class SnapshotOut(PortfolioOut):
    taken_at = serializers.CharField()


class SnapshotLatestApi(APIView):
    @extend_schema(responses=SnapshotOut)
    def get(self, request):
        snapshot = snapshot_latest_for(actor_from_request(request))
        return Response(SnapshotOut({"taken_at": snapshot.taken_at.isoformat(), **snapshot.data}).data)


class PnlHistoryQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day, e.g. 2026-03-01; default 30 days before end.")
    end = serializers.DateField(required=False, help_text="Last day; default today.")
    currency = ChoiceField(choices=HISTORY_CURRENCIES, required=False,
                                       help_text="Currency of the amounts; default the account's base currency.")


class ValueDayOut(serializers.Serializer):
    date = serializers.DateField()
    net_value = MoneyOut(help_text="Net liquidation at the day's end (today: now).")
    pnl = MoneyOut(help_text="Change from the previous day, net of deposits and withdrawals.")
    pnl_ratio = serializers.CharField(allow_null=True, help_text="pnl / previous day's value; 0.0125 = +1.25 %.")
    cash = MoneyOut()
    position_value = MoneyOut()


class PnlHistoryOut(serializers.Serializer):
    account_number = serializers.CharField()
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    pnl = MoneyOut(help_text="P&L over the whole range.")
    pnl_ratio = serializers.CharField(allow_null=True)
    days = ValueDayOut(many=True, help_text="One row per trading day, oldest first.")


class PnlHistoryApi(APIView):
    """Daily net value and P&L of one account (Tiger's analytics_asset)."""

    @extend_schema(operation_id="accounts_pnl_history", parameters=[PnlHistoryQuery], responses=PnlHistoryOut)
    def get(self, request, account_number: str):
        q = validated_query(request, PnlHistoryQuery)
        account, h = pnl_history_get(actor=actor_from_request(request), account_number=account_number,
                                     start=q.get("start"), end=q.get("end"), currency=q.get("currency"))
        c = h.currency
        return Response(PnlHistoryOut({
            "account_number": account.account_number, "currency": c, "start": h.start, "end": h.end,
            "pnl": money(h.pnl, c), "pnl_ratio": decimal_text(h.pnl_ratio),
            "days": [{"date": d.day, "net_value": money(d.net_value, c), "pnl": money(d.pnl, c),
                      "pnl_ratio": decimal_text(d.pnl_ratio), "cash": money(d.cash, c),
                      "position_value": money(d.position_value, c)} for d in h.days],
        }).data)


# --- one account: detail with balances, positions ---------------------------------------------------


class BalancesOut(serializers.Serializer):
    currency = serializers.CharField(help_text="Currency of the totals below.")
    net_liquidation = MoneyOut()
    cash = MoneyOut()
    buying_power = MoneyOut()
    unrealized_pnl = MoneyOut()
    realized_pnl = MoneyOut()
    cash_by_currency = MoneyOut(many=True)


class AccountReadQuery(serializers.Serializer):
    fresh_only = serializers.BooleanField(required=False, default=False,
                                          help_text="Read Tiger now instead of sharing a read up to "
                                                    "TIGER_ACCOUNT_READ_TTL seconds old.")


class PositionsQuery(AccountReadQuery):
    sec_type = ChoiceField(choices=["STK", "OPT", "FUT"], required=False, default="STK",
                           help_text="STK stock positions (default), OPT option or FUT futures positions: Tiger lists "
                                     "them apart.")


class AccountReadAgeOut(serializers.Serializer):
    as_of = serializers.CharField(help_text="When Tiger gave these figures (ISO 8601 UTC).")
    age_seconds = serializers.IntegerField(help_text="How old the figures are.")
    source = ChoiceField(choices=("live", "cache"), help_text="live (read from Tiger for this request) | cache "
                                                            "(a read shared with other requests).")


def read_age(read) -> dict:
    return {"as_of": read.as_of.isoformat(), "age_seconds": read.age_seconds(), "source": read.source}


class AccountDetailOut(AccountReadAgeOut):
    account = AccountOut()
    balances = BalancesOut(help_text="From Tiger, at most TIGER_ACCOUNT_READ_TTL seconds old unless fresh_only.")


class AccountDetailApi(APIView):
    """One account the caller may read, with its balances from Tiger."""

    @extend_schema(operation_id="accounts_get", parameters=[AccountReadQuery], responses=AccountDetailOut)
    def get(self, request, account_number: str):
        q = validated_query(request, AccountReadQuery)
        account, read = account_summary_get(actor=actor_from_request(request), account_number=account_number,
                                            fresh_only=q["fresh_only"])
        a = read.value
        c = a.currency
        balances = {"currency": c, **{k: money(getattr(a, k), c) for k in (
            "net_liquidation", "cash", "buying_power", "unrealized_pnl", "realized_pnl")},
            "cash_by_currency": [money(v, k) for k, v in sorted(a.cash_by_currency.items())]}
        return Response(AccountDetailOut({"account": account, "balances": balances, **read_age(read)}).data)


class PositionOut(serializers.Serializer):
    symbol = serializers.CharField(help_text="The ticker; for an option, its underlying.")
    sec_type = serializers.CharField()
    identifier = serializers.CharField(allow_null=True, help_text="Options: Tiger's option identifier.")
    multiplier = serializers.CharField(allow_null=True, help_text="Options: shares per contract.")
    market = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    quantity = serializers.CharField()
    average_cost = MoneyOut()
    latest_price = MoneyOut()
    market_value = MoneyOut()
    unrealized_pnl = MoneyOut()
    realized_pnl = MoneyOut()


class PositionsOut(AccountReadAgeOut):
    account_number = serializers.CharField()
    positions = PositionOut(many=True)


class PositionsApi(APIView):
    """Positions held in one account, from Tiger: at most TIGER_ACCOUNT_READ_TTL seconds old (a fill
    of one of its orders clears them), or read now with fresh_only."""

    @extend_schema(operation_id="accounts_positions", parameters=[PositionsQuery], responses=PositionsOut)
    def get(self, request, account_number: str):
        q = validated_query(request, PositionsQuery)
        account, read = positions_get(actor=actor_from_request(request), account_number=account_number,
                                      fresh_only=q["fresh_only"], sec_type=q["sec_type"])
        rows = read.value
        positions = [{"symbol": p.symbol, "sec_type": p.sec_type, "market": p.market, "currency": p.currency,
                      "identifier": p.identifier, "multiplier": decimal_text(p.multiplier) if p.identifier else None,
                      "quantity": decimal_text(p.quantity),
                      **{k: price(getattr(p, k), p.currency) for k in ("average_cost", "latest_price")},
                      **{k: money(getattr(p, k), p.currency) for k in ("market_value", "unrealized_pnl", "realized_pnl")}}
                     for p in rows]
        return Response(PositionsOut({"account_number": account.account_number, "positions": positions,
                                      **read_age(read)}).data)


# --- contracts and option chains ------------------------------------------------------------------


class ContractQuery(AccountQuery):
    symbol = serializers.CharField(max_length=32, help_text="Ticker, e.g. AAPL or 00700.")


class ContractOut(serializers.Serializer):
    symbol = serializers.CharField()
    sec_type = serializers.CharField()
    currency = serializers.CharField()
    exchange = serializers.CharField(allow_null=True)
    market = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    multiplier = serializers.CharField(allow_null=True)
    lot_size = serializers.CharField(allow_null=True)
    shortable = serializers.BooleanField(allow_null=True)
    tradeable = serializers.BooleanField(allow_null=True)


class ContractApi(APIView):
    """One stock's contract: exchange, currency, lot size, whether it is tradeable and shortable."""

    @extend_schema(operation_id="contracts_get", parameters=[ContractQuery], responses=ContractOut)
    def get(self, request):
        q = validated_query(request, ContractQuery)
        c = services.contract_get(actor=actor_from_request(request), symbol=q["symbol"],
                                  account_number=q.get("account") or None)
        data = {k: getattr(c, k) for k in ("symbol", "sec_type", "currency", "exchange", "market", "name",
                                            "shortable", "tradeable")}
        data.update(multiplier=decimal_text(c.multiplier), lot_size=decimal_text(c.lot_size))
        return Response(ContractOut(data).data)


class OptionChainQuery(ContractQuery):
    expiry = serializers.DateField(required=False,
                                   help_text="Expiry date, e.g. 2026-12-18; omit to list the expirations only.")


class OptionOut(serializers.Serializer):
    identifier = serializers.CharField()
    strike = MoneyOut()
    put_call = serializers.CharField()
    bid = MoneyOut()
    ask = MoneyOut()
    latest_price = MoneyOut()
    volume = serializers.CharField(allow_null=True)
    open_interest = serializers.CharField(allow_null=True)


class OptionChainOut(serializers.Serializer):
    symbol = serializers.CharField()
    expiry = serializers.DateField(allow_null=True, help_text="Null when only the expirations were asked for.")
    expirations = serializers.ListField(child=serializers.DateField())
    options = OptionOut(many=True)


class OptionChainApi(APIView):
    """A stock's option expirations and, for one expiry, its chain (US options, priced in USD)."""

    @extend_schema(operation_id="options_chain", parameters=[OptionChainQuery], responses=OptionChainOut)
    def get(self, request):
        q = validated_query(request, OptionChainQuery)
        actor, account = actor_from_request(request), q.get("account") or None
        expirations = services.option_expirations_get(actor=actor, symbol=q["symbol"], account_number=account)
        options = []
        if q.get("expiry"):
            rows = services.option_chain_get(actor=actor, symbol=q["symbol"], expiry=q["expiry"], account_number=account)
            options = [{"identifier": o.identifier, "put_call": o.put_call, "volume": decimal_text(o.volume),
                        "open_interest": decimal_text(o.open_interest),
                        **{k: price(getattr(o, k), "USD") for k in ("strike", "bid", "ask", "latest_price")}}
                       for o in rows]
        symbol = q["symbol"].strip().upper()
        return Response(OptionChainOut({"symbol": symbol, "expiry": q.get("expiry"), "expirations": expirations,
                                        "options": options}).data)


# --- health -----------------------------------------------------------------------------------------


class ComponentOut(serializers.Serializer):
    status = serializers.CharField()


class AccountHealthOut(serializers.Serializer):
    account = serializers.CharField()
    label = serializers.CharField()
    status = serializers.CharField(help_text="ok | failing | circuit_open | stale | unknown (not checked yet).")
    checked_at = serializers.CharField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    last_error = serializers.CharField(allow_blank=True)
    last_error_code = serializers.CharField(required=False, allow_blank=True)


class HealthOut(serializers.Serializer):
    status = serializers.CharField(help_text="ok | degraded (an account or component) | down.")
    checked_at = serializers.CharField()
    components = serializers.DictField(child=ComponentOut(), help_text="database, redis, celery and registered checks.")
    accounts = AccountHealthOut(many=True, help_text="Only the accounts the caller may read.")


class HealthApi(APIView):
    """TigerMCP's health with per-account detail for the accounts the caller may read (the public
    /health shows components only)."""

    @extend_schema(operation_id="health_get", responses=HealthOut)
    def get(self, request):
        report = health_report_for(actor_from_request(request))
        components = {k: {"status": str(v.get("status"))} for k, v in report.items() if isinstance(v, dict)}
        return Response(HealthOut({"status": report["status"], "checked_at": report["checked_at"],
                                   "components": components, "accounts": report["accounts"]}).data)
