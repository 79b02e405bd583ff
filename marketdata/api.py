"""REST doors over the market-data and portfolio services (token or session auth, JSON with Decimal
strings). No logic here: validate the query (a serializer per view), call the service, present the result."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from marketdata import services
from marketdata.selectors import snapshot_latest_for
from core.api_errors import validated_query

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


class QuotesApi(APIView):
    @extend_schema(parameters=[SymbolsQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = validated_query(request, SymbolsQuery)
        quotes = services.quotes_get(actor=actor_from_request(request), symbols=q["symbols"], account_number=q.get("account"))
        return Response({"quotes": services.as_jsonable(quotes)})


class BarsApi(APIView):
    @extend_schema(parameters=[BarsQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = validated_query(request, BarsQuery)
        result = services.bars_get(
            actor=actor_from_request(request), symbols=q["symbols"], period=q["period"], limit=q["limit"],
            begin_time=q.get("begin_time"), end_time=q.get("end_time"), page_token=q.get("page_token"),
            account_number=q.get("account"),
        )
        return Response(services.as_jsonable(result))


class MarketStatusApi(APIView):
    @extend_schema(parameters=[MarketStatusQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = validated_query(request, MarketStatusQuery)
        rows = services.market_status_get(actor=actor_from_request(request), market=q["market"],
                                          account_number=q.get("account"))
        return Response({"markets": services.as_jsonable(rows)})


class PortfolioApi(APIView):
    @extend_schema(parameters=[PortfolioQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = validated_query(request, PortfolioQuery)
        aggregate = services.portfolio_aggregate(actor=actor_from_request(request), base_currency=q["base_currency"])
        return Response(services.aggregate_as_data(aggregate))


class SnapshotLatestApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        snapshot = snapshot_latest_for(actor_from_request(request))
        return Response({"taken_at": snapshot.taken_at.isoformat(), **snapshot.data})
