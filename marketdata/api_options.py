"""REST doors over the option services (marketdata.services.options): expirations, the chain with
Greeks, IV/HV analysis, option bars, trades and depth, HK option symbols. US options in USD, HK
options (TCH.HK, …) in HKD."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from broker.types import currency_for
from core.api_errors import validated_query
from core.api_shapes import decimal_text
from marketdata import services
from marketdata.api import AccountQuery, NullableBarOut, SymbolsQuery
from marketdata.api_quotes import SymbolQuery

D = decimal_text
GREEKS = ("implied_vol", "delta", "gamma", "theta", "vega", "rho")


class ExpirationsOut(serializers.Serializer):
    symbol = serializers.CharField()
    expirations = serializers.ListField(child=serializers.DateField())


class ExpirationsApi(APIView):
    """Expiry dates of a stock's listed options."""

    @extend_schema(operation_id="options_expirations", parameters=[SymbolQuery], responses=ExpirationsOut)
    def get(self, request):
        q = validated_query(request, SymbolQuery)
        dates = services.option_expirations_get(actor=actor_from_request(request), symbol=q["symbol"],
                                                account_number=q.get("account"))
        return Response(ExpirationsOut({"symbol": q["symbol"].strip().upper(), "expirations": dates}).data)


class GreeksQuery(SymbolQuery):
    expiry = serializers.DateField(help_text="From /api/options/expirations/, e.g. 2026-12-18.")


class OptionGreeksOut(serializers.Serializer):
    identifier = serializers.CharField()
    put_call = serializers.CharField()
    strike = serializers.CharField()
    bid = serializers.CharField(allow_null=True)
    ask = serializers.CharField(allow_null=True)
    latest_price = serializers.CharField(allow_null=True)
    volume = serializers.CharField(allow_null=True)
    open_interest = serializers.CharField(allow_null=True)
    implied_vol = serializers.CharField(allow_null=True)
    delta = serializers.CharField(allow_null=True)
    gamma = serializers.CharField(allow_null=True)
    theta = serializers.CharField(allow_null=True)
    vega = serializers.CharField(allow_null=True)
    rho = serializers.CharField(allow_null=True)


class GreeksOut(serializers.Serializer):
    symbol = serializers.CharField()
    expiry = serializers.DateField()
    currency = serializers.CharField()
    multiplier = serializers.CharField()
    options = OptionGreeksOut(many=True)


class GreeksApi(APIView):
    """One expiry's chain with IV, Greeks, volume and open interest."""

    @extend_schema(operation_id="options_greeks", parameters=[GreeksQuery], responses=GreeksOut)
    def get(self, request):
        q = validated_query(request, GreeksQuery)
        rows = services.option_greeks_get(actor=actor_from_request(request), symbol=q["symbol"], expiry=q["expiry"],
                                          account_number=q.get("account"))
        symbol = q["symbol"].strip().upper()
        multiplier = next((D(o.multiplier) for o in rows if o.multiplier is not None), "100")
        return Response(GreeksOut({"symbol": symbol, "expiry": q["expiry"], "currency": currency_for(symbol),
                                   "multiplier": multiplier, "options": [
            {"identifier": o.identifier, "put_call": o.put_call, "strike": D(o.strike), "bid": D(o.bid),
             "ask": D(o.ask), "latest_price": D(o.latest_price), "volume": D(o.volume),
             "open_interest": D(o.open_interest), **{g: D(getattr(o, g)) for g in GREEKS}} for o in rows]}).data)


class AnalysisQuery(SymbolsQuery):
    period = serializers.ChoiceField(choices=services.ANALYSIS_PERIODS, required=False, default="52week")


class VolPointOut(serializers.Serializer):
    time = serializers.DateTimeField(allow_null=True)
    implied_vol = serializers.CharField(allow_null=True)
    historical_vol = serializers.CharField(allow_null=True)


class AnalysisItemOut(serializers.Serializer):
    symbol = serializers.CharField()
    implied_vol_30d = serializers.CharField(allow_null=True)
    historical_vol = serializers.CharField(allow_null=True)
    iv_hv_ratio = serializers.CharField(allow_null=True)
    call_put_ratio = serializers.CharField(allow_null=True)
    iv_rank = serializers.CharField(allow_null=True)
    iv_percentile = serializers.CharField(allow_null=True)
    period = serializers.CharField(allow_null=True)
    history = VolPointOut(many=True)


class AnalysisOut(serializers.Serializer):
    analyses = AnalysisItemOut(many=True)


class AnalysisApi(APIView):
    """IV against HV, IV rank and percentile."""

    @extend_schema(operation_id="options_analysis", parameters=[AnalysisQuery], responses=AnalysisOut)
    def get(self, request):
        q = validated_query(request, AnalysisQuery)
        rows = services.option_analysis_get(actor=actor_from_request(request), symbols=q["symbols"],
                                            period=q["period"], account_number=q.get("account"))
        return Response(AnalysisOut({"analyses": [
            {"symbol": a.symbol, "implied_vol_30d": D(a.implied_vol_30d), "historical_vol": D(a.historical_vol),
             "iv_hv_ratio": D(a.iv_hv_ratio), "call_put_ratio": D(a.call_put_ratio), "iv_rank": D(a.iv_rank),
             "iv_percentile": D(a.iv_percentile), "period": a.iv_period,
             "history": [{"time": t, "implied_vol": D(iv), "historical_vol": D(hv)} for t, iv, hv in a.history]}
            for a in rows]}).data)


class IdentifiersQuery(AccountQuery):
    identifiers = serializers.CharField(max_length=400, help_text="Comma-separated option identifiers, e.g. "
                                                                  "'AAPL  261218C00190000'.")


class OptionBarsQuery(IdentifiersQuery):
    period = serializers.ChoiceField(choices=services.OPTION_BAR_PERIODS, required=False, default="day")
    limit = serializers.IntegerField(required=False, default=30, min_value=1, max_value=1000)


class OptionBarOut(NullableBarOut):
    open_interest = serializers.CharField(allow_null=True)


class OptionBarsItemOut(serializers.Serializer):
    identifier = serializers.CharField()
    bars = OptionBarOut(many=True)


class OptionBarsOut(serializers.Serializer):
    period = serializers.CharField()
    currency = serializers.CharField()
    options = OptionBarsItemOut(many=True)


def _identifiers(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class OptionBarsApi(APIView):
    """OHLC bars of option contracts, oldest first."""

    @extend_schema(operation_id="options_bars", parameters=[OptionBarsQuery], responses=OptionBarsOut)
    def get(self, request):
        q = validated_query(request, OptionBarsQuery)
        bars = services.option_bars_get(actor=actor_from_request(request), identifiers=_identifiers(q["identifiers"]),
                                        period=q["period"], limit=q["limit"], account_number=q.get("account"))
        currency = currency_for(next(iter(bars), ""))
        return Response(OptionBarsOut({"period": q["period"], "currency": currency, "options": [
            {"identifier": i, "bars": [{"time": b.time, "open": D(b.open), "high": D(b.high), "low": D(b.low),
                                        "close": D(b.close), "volume": D(b.volume),
                                        "open_interest": D(b.open_interest)} for b in rows]}
            for i, rows in bars.items()]}).data)


class OptionTickOut(serializers.Serializer):
    time = serializers.DateTimeField()
    price = serializers.CharField(allow_null=True)
    volume = serializers.CharField(allow_null=True)


class OptionTicksItemOut(serializers.Serializer):
    identifier = serializers.CharField()
    ticks = OptionTickOut(many=True)


class OptionTicksOut(serializers.Serializer):
    currency = serializers.CharField()
    options = OptionTicksItemOut(many=True)


class OptionTicksApi(APIView):
    """Today's trades of option contracts."""

    @extend_schema(operation_id="options_ticks", parameters=[IdentifiersQuery], responses=OptionTicksOut)
    def get(self, request):
        q = validated_query(request, IdentifiersQuery)
        ticks = services.option_ticks_get(actor=actor_from_request(request), identifiers=_identifiers(q["identifiers"]),
                                          account_number=q.get("account"))
        return Response(OptionTicksOut({"currency": currency_for(next(iter(ticks), "")), "options": [
            {"identifier": i, "ticks": [{"time": t.time, "price": D(t.price), "volume": D(t.volume)} for t in rows]}
            for i, rows in ticks.items()]}).data)


class OptionSymbolsQuery(AccountQuery):
    market = serializers.ChoiceField(choices=services.OPTION_SYMBOL_MARKETS, required=False, default="HK")


class OptionSymbolOut(serializers.Serializer):
    symbol = serializers.CharField(help_text="HKEX's option symbol, e.g. TCH.HK.")
    name = serializers.CharField()
    underlying = serializers.CharField(help_text="The stock's code, e.g. 00700.")


class OptionSymbolsOut(serializers.Serializer):
    market = serializers.CharField()
    symbols = OptionSymbolOut(many=True)


class OptionSymbolsApi(APIView):
    """Hong Kong's option symbols and their underlying stocks."""

    @extend_schema(operation_id="options_symbols", parameters=[OptionSymbolsQuery], responses=OptionSymbolsOut)
    def get(self, request):
        q = validated_query(request, OptionSymbolsQuery)
        rows = services.option_symbols_get(actor=actor_from_request(request), market=q["market"],
                                           account_number=q.get("account"))
        return Response(OptionSymbolsOut({"market": q["market"], "symbols": [
            {"symbol": s.symbol, "name": s.name, "underlying": s.underlying} for s in rows]}).data)


class OptionDepthLevelOut(serializers.Serializer):
    price = serializers.CharField()
    volume = serializers.CharField()
    time = serializers.DateTimeField(allow_null=True)
    exchange = serializers.CharField(allow_null=True)


class OptionDepthItemOut(serializers.Serializer):
    identifier = serializers.CharField()
    currency = serializers.CharField()
    asks = OptionDepthLevelOut(many=True)
    bids = OptionDepthLevelOut(many=True)


class OptionDepthOut(serializers.Serializer):
    books = OptionDepthItemOut(many=True)


class OptionDepthApi(APIView):
    """Order book of option contracts by price and venue, best first."""

    @extend_schema(operation_id="options_depth", parameters=[IdentifiersQuery], responses=OptionDepthOut)
    def get(self, request):
        q = validated_query(request, IdentifiersQuery)
        books = services.option_depth_get(actor=actor_from_request(request), identifiers=_identifiers(q["identifiers"]),
                                          account_number=q.get("account"))

        def levels(rows):
            return [{"price": D(lv.price), "volume": D(lv.volume), "time": lv.time, "exchange": lv.exchange}
                    for lv in rows]

        return Response(OptionDepthOut({"books": [
            {"identifier": b.identifier, "currency": b.currency, "asks": levels(b.asks), "bids": levels(b.bids)}
            for b in books]}).data)
