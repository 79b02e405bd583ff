"""REST doors over the market-data and portfolio services (token or session auth, JSON with Decimal
strings). No logic here: parse the query, call the service, present the result."""

from datetime import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from marketdata import services
from marketdata.selectors import snapshot_latest_for
from core.errors import InvalidInput

ACCOUNT = OpenApiParameter("account", str, description="Account number; omit for your default account.")
SYMBOLS = OpenApiParameter("symbols", str, required=True, description="Comma-separated, e.g. AAPL,MSFT,00700.")


def _time(request, name) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be ISO 8601, e.g. 2026-11-20T14:30:00Z (got {raw[:40]!r}).") from None


def _int(request, name, default: int) -> int:
    raw = request.query_params.get(name)
    try:
        return int(raw) if raw not in (None, "") else default
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number (got {raw[:20]!r}).") from None


class QuotesApi(APIView):
    @extend_schema(parameters=[SYMBOLS, ACCOUNT], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        quotes = services.quotes_get(actor=actor_from_request(request), symbols=request.query_params.get("symbols", ""),
                                     account_number=request.query_params.get("account"))
        return Response({"quotes": services.as_jsonable(quotes)})


class BarsApi(APIView):
    @extend_schema(parameters=[SYMBOLS, ACCOUNT, OpenApiParameter("period", str), OpenApiParameter("limit", int),
                               OpenApiParameter("begin_time", str), OpenApiParameter("end_time", str),
                               OpenApiParameter("page_token", str)], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = request.query_params
        result = services.bars_get(
            actor=actor_from_request(request), symbols=q.get("symbols", ""), period=q.get("period", "day"),
            limit=_int(request, "limit", 100), begin_time=_time(request, "begin_time"), end_time=_time(request, "end_time"),
            page_token=q.get("page_token"), account_number=q.get("account"),
        )
        return Response(services.as_jsonable(result))


class MarketStatusApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("market", str), ACCOUNT], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        rows = services.market_status_get(actor=actor_from_request(request), market=request.query_params.get("market", "US"),
                                          account_number=request.query_params.get("account"))
        return Response({"markets": services.as_jsonable(rows)})


class PortfolioApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("base_currency", str)], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        aggregate = services.portfolio_aggregate(actor=actor_from_request(request),
                                                 base_currency=request.query_params.get("base_currency", "USD"))
        return Response(services.aggregate_as_data(aggregate))


class SnapshotLatestApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        snapshot = snapshot_latest_for(actor_from_request(request))
        return Response({"taken_at": snapshot.taken_at.isoformat(), **snapshot.data})
