"""REST doors over the quote services beyond the brief (marketdata.services.quote_data): depth,
timelines, delayed quotes, capital flow and distribution, HK broker seats. Decimals are strings,
each result names its currency, times are ISO 8601 UTC."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from core.api_errors import validated_query
from core.api_shapes import decimal_text
from marketdata import services
from marketdata.api import AccountQuery, SymbolsQuery

D = decimal_text


class SymbolQuery(AccountQuery):
    symbol = serializers.CharField(max_length=32, help_text="Ticker, e.g. AAPL or 00700.")


# --- depth --------------------------------------------------------------------------------------


class DepthLevelOut(serializers.Serializer):
    price = serializers.CharField()
    volume = serializers.CharField()
    orders = serializers.IntegerField(allow_null=True)


class DepthBookOut(serializers.Serializer):
    symbol = serializers.CharField()
    currency = serializers.CharField()
    asks = DepthLevelOut(many=True, help_text="Best (lowest) first.")
    bids = DepthLevelOut(many=True, help_text="Best (highest) first.")


class DepthOut(serializers.Serializer):
    books = DepthBookOut(many=True)


def _levels(levels):
    return [{"price": D(x.price), "volume": D(x.volume), "orders": x.orders} for x in levels]


class DepthApi(APIView):
    """Level-2 order book of up to 10 symbols."""

    @extend_schema(operation_id="quotes_depth", parameters=[SymbolsQuery], responses=DepthOut)
    def get(self, request):
        q = validated_query(request, SymbolsQuery)
        books = services.depth_get(actor=actor_from_request(request), symbols=q["symbols"], account_number=q.get("account"))
        return Response(DepthOut({"books": [{"symbol": b.symbol, "currency": b.currency, "asks": _levels(b.asks),
                                             "bids": _levels(b.bids)} for b in books]}).data)


# --- timelines ----------------------------------------------------------------------------------


class TimelineQuery(SymbolsQuery):
    date = serializers.DateField(required=False, help_text="A past trading day, e.g. 2026-11-20; omit for today.")


class TimelinePointOut(serializers.Serializer):
    time = serializers.DateTimeField()
    price = serializers.CharField(allow_null=True)
    avg_price = serializers.CharField(allow_null=True)
    volume = serializers.CharField(allow_null=True)
    session = serializers.CharField()


class TimelineItemOut(serializers.Serializer):
    symbol = serializers.CharField()
    currency = serializers.CharField()
    pre_close = serializers.CharField(allow_null=True)
    points = TimelinePointOut(many=True, help_text="One per minute, oldest first.")


class TimelineOut(serializers.Serializer):
    date = serializers.DateField(allow_null=True, help_text="The past day shown; null for today's session.")
    timelines = TimelineItemOut(many=True)


class TimelineApi(APIView):
    """Minute prices, the day's average price and volume: today's session or a past day's."""

    @extend_schema(operation_id="quotes_timeline", parameters=[TimelineQuery], responses=TimelineOut)
    def get(self, request):
        q = validated_query(request, TimelineQuery)
        rows = services.timeline_get(actor=actor_from_request(request), symbols=q["symbols"], day=q.get("date"),
                                     account_number=q.get("account"))
        return Response(TimelineOut({"date": q.get("date"), "timelines": [
            {"symbol": t.symbol, "currency": t.currency, "pre_close": D(t.pre_close),
             "points": [{"time": p.time, "price": D(p.price), "avg_price": D(p.avg_price), "volume": D(p.volume),
                         "session": p.session} for p in t.points]} for t in rows]}).data)


# --- delayed quotes -----------------------------------------------------------------------------


class DelayedQuoteOut(serializers.Serializer):
    symbol = serializers.CharField()
    currency = serializers.CharField()
    delayed = serializers.BooleanField(help_text="Always true: about 15 minutes old.")
    time = serializers.DateTimeField(allow_null=True)
    latest_price = serializers.CharField(allow_null=True)
    open = serializers.CharField(allow_null=True)
    high = serializers.CharField(allow_null=True)
    low = serializers.CharField(allow_null=True)
    pre_close = serializers.CharField(allow_null=True)
    volume = serializers.CharField(allow_null=True)
    halted = serializers.BooleanField()


class DelayedQuotesOut(serializers.Serializer):
    quotes = DelayedQuoteOut(many=True)


class DelayedQuotesApi(APIView):
    """Quotes delayed about 15 minutes, for accounts without a real-time quote permission."""

    @extend_schema(operation_id="quotes_delayed", parameters=[SymbolsQuery], responses=DelayedQuotesOut)
    def get(self, request):
        q = validated_query(request, SymbolsQuery)
        rows = services.delayed_quotes_get(actor=actor_from_request(request), symbols=q["symbols"],
                                           account_number=q.get("account"))
        return Response(DelayedQuotesOut({"quotes": [
            {"symbol": r.symbol, "currency": r.currency, "delayed": True, "time": r.time, "latest_price": D(r.close),
             "open": D(r.open), "high": D(r.high), "low": D(r.low), "pre_close": D(r.pre_close),
             "volume": D(r.volume), "halted": r.halted} for r in rows]}).data)


# --- capital ------------------------------------------------------------------------------------


class CapitalFlowQuery(SymbolQuery):
    period = serializers.ChoiceField(choices=services.CAPITAL_PERIODS, required=False, default="day")
    limit = serializers.IntegerField(required=False, default=30, min_value=1, max_value=1200)


class CapitalFlowPointOut(serializers.Serializer):
    time = serializers.DateTimeField()
    label = serializers.CharField(help_text="The period as the market writes it (local date or time).")
    net_inflow = serializers.CharField(allow_null=True)


class CapitalFlowOut(serializers.Serializer):
    symbol = serializers.CharField()
    currency = serializers.CharField()
    period = serializers.CharField()
    points = CapitalFlowPointOut(many=True)


class CapitalFlowApi(APIView):
    """Net money flowing into a stock per period (intraday: cumulative through today)."""

    @extend_schema(operation_id="quotes_capital_flow", parameters=[CapitalFlowQuery], responses=CapitalFlowOut)
    def get(self, request):
        q = validated_query(request, CapitalFlowQuery)
        f = services.capital_flow_get(actor=actor_from_request(request), symbol=q["symbol"], period=q["period"],
                                      limit=q["limit"], account_number=q.get("account"))
        return Response(CapitalFlowOut({"symbol": f.symbol, "currency": f.currency, "period": f.period, "points": [
            {"time": p.time, "label": p.label, "net_inflow": D(p.net_inflow)} for p in f.points]}).data)


class FlowSplitOut(serializers.Serializer):
    all = serializers.CharField(allow_null=True)
    big = serializers.CharField(allow_null=True)
    mid = serializers.CharField(allow_null=True)
    small = serializers.CharField(allow_null=True)


class CapitalDistributionOut(serializers.Serializer):
    symbol = serializers.CharField()
    currency = serializers.CharField()
    net_inflow = serializers.CharField(allow_null=True)
    inflow = FlowSplitOut()
    outflow = FlowSplitOut()


class CapitalDistributionApi(APIView):
    """Today's money into and out of a stock by order size."""

    @extend_schema(operation_id="quotes_capital_distribution", parameters=[SymbolQuery], responses=CapitalDistributionOut)
    def get(self, request):
        q = validated_query(request, SymbolQuery)
        d = services.capital_distribution_get(actor=actor_from_request(request), symbol=q["symbol"],
                                              account_number=q.get("account"))
        return Response(CapitalDistributionOut({
            "symbol": d.symbol, "currency": d.currency, "net_inflow": D(d.net_inflow),
            "inflow": {k: D(v) for k, v in d.inflow.items()}, "outflow": {k: D(v) for k, v in d.outflow.items()},
        }).data)


# --- HK broker seats ----------------------------------------------------------------------------


class BrokerSeatsQuery(SymbolQuery):
    limit = serializers.IntegerField(required=False, default=40, min_value=1, max_value=40)


class SeatOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class SeatLevelOut(serializers.Serializer):
    level = serializers.IntegerField()
    price = serializers.CharField(allow_null=True)
    brokers = SeatOut(many=True)


class BrokerSeatsOut(serializers.Serializer):
    symbol = serializers.CharField()
    currency = serializers.CharField()
    bid = SeatLevelOut(many=True)
    ask = SeatLevelOut(many=True)


class BrokerSeatsApi(APIView):
    """Hong Kong broker queue at the best bid and ask levels (HK stocks only)."""

    @extend_schema(operation_id="quotes_broker_seats", parameters=[BrokerSeatsQuery], responses=BrokerSeatsOut)
    def get(self, request):
        q = validated_query(request, BrokerSeatsQuery)
        s = services.broker_seats_get(actor=actor_from_request(request), symbol=q["symbol"], limit=q["limit"],
                                      account_number=q.get("account"))

        def side(levels):
            return [{"level": lv.level, "price": D(lv.price), "brokers": [{"id": i, "name": n} for i, n in lv.brokers]}
                    for lv in levels]

        return Response(BrokerSeatsOut({"symbol": s.symbol, "currency": s.currency, "bid": side(s.bid),
                                        "ask": side(s.ask)}).data)
