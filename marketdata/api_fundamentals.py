"""REST doors over fundamentals (marketdata.services.fundamentals): daily valuation, report figures,
corporate actions, industry lists."""

from datetime import date
from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from core.api_errors import validated_query
from core.api_shapes import MoneyOut, decimal_text, money
from marketdata import services
from marketdata.api import AccountQuery


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class RangeQuery(AccountQuery):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)


class DailyQuery(RangeQuery):
    symbols = serializers.CharField(max_length=400, help_text="Comma-separated, one market, e.g. AAPL,MSFT.")
    fields = serializers.CharField(max_length=400, help_text=f"Comma-separated: {', '.join(services.DAILY_FIELDS)}.")


class DailyValueOut(serializers.Serializer):
    symbol = serializers.CharField()
    field = serializers.CharField()
    date = serializers.DateField()
    value = serializers.CharField(allow_null=True)


class DailyOut(serializers.Serializer):
    values = DailyValueOut(many=True)


class FinancialDailyApi(APIView):
    """Daily shares outstanding, market cap and P/E."""

    @extend_schema(operation_id="fundamentals_daily", parameters=[DailyQuery], responses=DailyOut)
    def get(self, request):
        q = validated_query(request, DailyQuery)
        rows = services.financial_daily_get(actor=actor_from_request(request), symbols=q["symbols"],
                                            fields=_list(q["fields"]), start=q.get("start"), end=q.get("end"),
                                            account_number=q.get("account"))
        return Response(DailyOut({"values": [{"symbol": r.symbol, "field": r.field, "date": r.day,
                                              "value": decimal_text(r.value)} for r in rows]}).data)


class ReportQuery(DailyQuery):
    fields = serializers.CharField(max_length=400, help_text=f"Comma-separated: {', '.join(services.REPORT_FIELDS)}.")
    period = serializers.ChoiceField(choices=tuple(services.REPORT_PERIODS), required=False, default="quarterly")


class ReportValueOut(serializers.Serializer):
    symbol = serializers.CharField()
    field = serializers.CharField()
    value = MoneyOut()
    period_end = serializers.DateField(allow_null=True)
    filed = serializers.DateField(allow_null=True)


class ReportOut(serializers.Serializer):
    period = serializers.CharField()
    values = ReportValueOut(many=True)


class FinancialReportApi(APIView):
    """Income-statement figures per period, with filing dates."""

    @extend_schema(operation_id="fundamentals_report", parameters=[ReportQuery], responses=ReportOut)
    def get(self, request):
        q = validated_query(request, ReportQuery)
        rows = services.financial_report_get(actor=actor_from_request(request), symbols=q["symbols"],
                                             fields=_list(q["fields"]), period=q["period"], start=q.get("start"),
                                             end=q.get("end"), account_number=q.get("account"))
        return Response(ReportOut({"period": q["period"], "values": [
            {"symbol": r.symbol, "field": r.field, "value": money(r.value, r.currency), "period_end": r.period_end,
             "filed": r.filed} for r in rows]}).data)


class ActionsQuery(RangeQuery):
    kind = serializers.ChoiceField(choices=services.ACTION_KINDS)
    symbols = serializers.CharField(required=False, max_length=400, help_text="Comma-separated, one market.")
    market = serializers.ChoiceField(choices=("US", "HK"), required=False, default="US")


class ActionOut(serializers.Serializer):
    symbol = serializers.CharField()
    kind = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    details = serializers.DictField(child=serializers.CharField(allow_null=True))


class ActionsOut(serializers.Serializer):
    kind = serializers.CharField()
    actions = ActionOut(many=True)


def _text(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return decimal_text(value)
    return value


class CorporateActionsApi(APIView):
    """Splits, dividends or the earnings calendar."""

    @extend_schema(operation_id="corporate_actions", parameters=[ActionsQuery], responses=ActionsOut)
    def get(self, request):
        q = validated_query(request, ActionsQuery)
        rows = services.corporate_actions_get(actor=actor_from_request(request), kind=q["kind"],
                                              symbols=q.get("symbols") or None, market=q["market"],
                                              start=q.get("start"), end=q.get("end"), account_number=q.get("account"))
        rows = sorted(rows, key=lambda a: (a.day or date.min, a.symbol))
        return Response(ActionsOut({"kind": q["kind"], "actions": [
            {"symbol": a.symbol, "kind": a.kind, "date": a.day, "details": {k: _text(v) for k, v in a.details.items()}}
            for a in rows]}).data)


class IndustriesQuery(AccountQuery):
    level = serializers.ChoiceField(choices=services.INDUSTRY_LEVELS, required=False, default="GSECTOR")


class IndustryOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class IndustriesOut(serializers.Serializer):
    level = serializers.CharField()
    industries = IndustryOut(many=True)


class IndustriesApi(APIView):
    """The GICS industry list of one level."""

    @extend_schema(operation_id="industries_list", parameters=[IndustriesQuery], responses=IndustriesOut)
    def get(self, request):
        q = validated_query(request, IndustriesQuery)
        rows = services.industries_get(actor=actor_from_request(request), level=q["level"],
                                       account_number=q.get("account"))
        return Response(IndustriesOut({"level": q["level"], "industries": [{"id": i.industry_id, "name": i.name}
                                                                           for i in rows]}).data)
