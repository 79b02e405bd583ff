"""REST doors over discovery (marketdata.services.discovery): symbol search, the trading calendar,
the market scanner."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from core.api_errors import validated_query
from core.api_shapes import decimal_text
from core.errors import InvalidInput
from marketdata import services
from marketdata.api import AccountQuery

BAD_FILTER = ("filters: '{part}' is not FIELD:MIN:MAX (either bound may be empty), e.g. 'price:100:500,change_pct:3:'. "
              "Fields: {fields}.")


class SearchQuery(AccountQuery):
    q = serializers.CharField(max_length=64, help_text="Part of a company name or ticker, e.g. apple.")
    market = serializers.ChoiceField(choices=services.SEARCH_MARKETS, required=False, default="ALL")
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)


class SymbolOut(serializers.Serializer):
    symbol = serializers.CharField()
    name = serializers.CharField()


class SearchOut(serializers.Serializer):
    matches = SymbolOut(many=True)


class SymbolSearchApi(APIView):
    """Tickers whose symbol or company name contains the text."""

    @extend_schema(operation_id="symbols_search", parameters=[SearchQuery], responses=SearchOut)
    def get(self, request):
        q = validated_query(request, SearchQuery)
        pairs = services.symbol_search(actor=actor_from_request(request), query=q["q"], market=q["market"],
                                       limit=q["limit"], account_number=q.get("account"))
        return Response(SearchOut({"matches": [{"symbol": s, "name": n} for s, n in pairs]}).data)


class CalendarQuery(AccountQuery):
    market = serializers.ChoiceField(choices=services.CALENDAR_MARKETS, required=False, default="US")
    start = serializers.DateField(required=False, help_text="First day; default today.")
    end = serializers.DateField(required=False, help_text="Last day, included; default 30 days after start.")


class CalendarDayOut(serializers.Serializer):
    date = serializers.DateField()
    trading = serializers.BooleanField()


class CalendarOut(serializers.Serializer):
    market = serializers.CharField()
    days = CalendarDayOut(many=True)


class TradingCalendarApi(APIView):
    """Which days a market trades."""

    @extend_schema(operation_id="market_calendar", parameters=[CalendarQuery], responses=CalendarOut)
    def get(self, request):
        q = validated_query(request, CalendarQuery)
        days = services.trading_calendar_get(actor=actor_from_request(request), market=q["market"], start=q.get("start"),
                                             end=q.get("end"), account_number=q.get("account"))
        return Response(CalendarOut({"market": q["market"], "days": [{"date": d.day, "trading": d.trading}
                                                                     for d in days]}).data)


class ScanQuery(AccountQuery):
    market = serializers.ChoiceField(choices=services.SCAN_MARKETS, required=False, default="US")
    filters = serializers.CharField(required=False, allow_blank=True, max_length=400,
                                    help_text="FIELD:MIN:MAX, comma-separated, e.g. price:100:500,change_pct:3:.")
    sort_by = serializers.ChoiceField(choices=services.SCAN_FIELDS, required=False)
    descending = serializers.BooleanField(required=False, default=True)
    page = serializers.IntegerField(required=False, default=0, min_value=0)
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)


class ScanRowOut(serializers.Serializer):
    symbol = serializers.CharField()
    market = serializers.CharField()
    values = serializers.DictField(child=serializers.CharField(allow_null=True))


class ScanOut(serializers.Serializer):
    market = serializers.CharField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    rows = ScanRowOut(many=True)


def _filters(text: str) -> list[dict]:
    out = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        pieces = part.split(":")
        if len(pieces) != 3:
            raise InvalidInput(BAD_FILTER.format(part=part[:40], fields=", ".join(services.SCAN_FIELDS)), code="bad_filter")
        out.append({"field": pieces[0], "min": pieces[1] or None, "max": pieces[2] or None})
    return out


class MarketScannerApi(APIView):
    """Stocks of a market filtered by price, change, volume or amount, sorted."""

    @extend_schema(operation_id="market_scanner", parameters=[ScanQuery], responses=ScanOut)
    def get(self, request):
        q = validated_query(request, ScanQuery)
        result = services.market_scan_get(actor=actor_from_request(request), market=q["market"],
                                          filters=_filters(q.get("filters", "")), sort_by=q.get("sort_by"),
                                          descending=q["descending"], page=q["page"], page_size=q["page_size"],
                                          account_number=q.get("account"))
        return Response(ScanOut({"market": q["market"], "total": result.total, "page": result.page,
                                 "pages": result.pages, "rows": [
            {"symbol": r.symbol, "market": r.market, "values": {k: decimal_text(v) for k, v in r.values.items()}}
            for r in result.rows]}).data)
