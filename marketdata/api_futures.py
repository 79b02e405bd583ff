"""REST doors over futures (marketdata.services.futures): contracts, quotes, bars (daily to one-minute)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from core.api_errors import validated_query
from core.api_shapes import decimal_text
from marketdata import services
from marketdata.api import AccountQuery, NullableBarOut

D = decimal_text


class ContractsQuery(AccountQuery):
    exchange = serializers.ChoiceField(choices=services.FUTURE_EXCHANGES, required=False)
    product = serializers.CharField(required=False, max_length=8, help_text="e.g. ES: its current contract only.")


class FutureContractOut(serializers.Serializer):
    code = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField()
    exchange = serializers.CharField()
    currency = serializers.CharField()
    multiplier = serializers.CharField(allow_null=True)
    min_tick = serializers.CharField(allow_null=True)
    contract_month = serializers.CharField(allow_null=True)
    last_trading_date = serializers.DateField(allow_null=True)


class ContractsOut(serializers.Serializer):
    contracts = FutureContractOut(many=True)


class FutureContractsApi(APIView):
    """An exchange's listed futures, or a product's current contract."""

    @extend_schema(operation_id="futures_contracts", parameters=[ContractsQuery], responses=ContractsOut)
    def get(self, request):
        q = validated_query(request, ContractsQuery)
        rows = services.future_contracts_get(actor=actor_from_request(request), exchange=q.get("exchange"),
                                             product=q.get("product"), account_number=q.get("account"))
        return Response(ContractsOut({"contracts": [
            {"code": c.code, "type": c.type, "name": c.name, "exchange": c.exchange, "currency": c.currency,
             "multiplier": D(c.multiplier), "min_tick": D(c.min_tick), "contract_month": c.contract_month,
             "last_trading_date": c.last_trading_date} for c in rows]}).data)


class CodesQuery(AccountQuery):
    codes = serializers.CharField(max_length=400, help_text="Comma-separated contract codes, e.g. ES2612,HSI2612.")


class FutureQuoteOut(serializers.Serializer):
    code = serializers.CharField()
    currency = serializers.CharField()
    latest_price = serializers.CharField(allow_null=True)
    bid = serializers.CharField(allow_null=True)
    ask = serializers.CharField(allow_null=True)
    open = serializers.CharField(allow_null=True)
    high = serializers.CharField(allow_null=True)
    low = serializers.CharField(allow_null=True)
    settlement = serializers.CharField(allow_null=True)
    volume = serializers.CharField(allow_null=True)
    open_interest = serializers.CharField(allow_null=True)
    time = serializers.DateTimeField(allow_null=True)


class QuotesOut(serializers.Serializer):
    quotes = FutureQuoteOut(many=True)


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


class FutureQuotesApi(APIView):
    """Real-time futures quotes."""

    @extend_schema(operation_id="futures_quotes", parameters=[CodesQuery], responses=QuotesOut)
    def get(self, request):
        q = validated_query(request, CodesQuery)
        rows = services.future_quotes_get(actor=actor_from_request(request), codes=_codes(q["codes"]),
                                          account_number=q.get("account"))
        return Response(QuotesOut({"quotes": [
            {"code": r.code, "currency": "HKD" if r.code.startswith("HSI") else "USD", "latest_price": D(r.latest_price),
             "bid": D(r.bid), "ask": D(r.ask), "open": D(r.open), "high": D(r.high), "low": D(r.low),
             "settlement": D(r.settlement), "volume": D(r.volume), "open_interest": D(r.open_interest), "time": r.time}
            for r in rows]}).data)


class BarsQuery(CodesQuery):
    limit = serializers.IntegerField(required=False, default=30, min_value=1, max_value=1000)
    period = serializers.ChoiceField(choices=services.FUTURE_BAR_PERIODS, required=False, default="day")


class FutureBarOut(NullableBarOut):
    pass


class FutureBarsItemOut(serializers.Serializer):
    code = serializers.CharField()
    bars = FutureBarOut(many=True)


class BarsOut(serializers.Serializer):
    period = serializers.CharField()
    contracts = FutureBarsItemOut(many=True)


class FutureBarsApi(APIView):
    """Bars of futures contracts (day, week, month, or 1min to 60min), oldest first."""

    @extend_schema(operation_id="futures_bars", parameters=[BarsQuery], responses=BarsOut)
    def get(self, request):
        q = validated_query(request, BarsQuery)
        bars = services.future_bars_get(actor=actor_from_request(request), codes=_codes(q["codes"]), limit=q["limit"],
                                        period=q["period"], account_number=q.get("account"))
        return Response(BarsOut({"period": q["period"], "contracts": [
            {"code": c, "bars": [{"time": b.time, "open": D(b.open), "high": D(b.high), "low": D(b.low),
                                  "close": D(b.close), "volume": D(b.volume)} for b in rows]}
            for c, rows in bars.items()]}).data)
