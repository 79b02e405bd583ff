"""REST doors over one account's money history (marketdata.services.account_history): the cash
ledger, deposits and withdrawals, assets by segment and currency."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from core.api_errors import validated_query
from core.api_shapes import MoneyOut, decimal_text, money
from marketdata import services


class CashHistoryQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First business day, e.g. 2026-03-01.")
    end = serializers.DateField(required=False, help_text="Last business day.")
    currency = serializers.ChoiceField(choices=services.SEGMENT_CURRENCIES, required=False)
    kind = serializers.ChoiceField(choices=services.CASH_KINDS, required=False, default="ALL")
    offset = serializers.IntegerField(required=False, default=0, min_value=0)
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=100)


class CashEntryOut(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField(help_text="DEPOSIT_WITHDRAW, TRADE or FEE.")
    description = serializers.CharField()
    amount = MoneyOut(help_text="Positive: money in; negative: money out.")
    business_date = serializers.DateField(allow_null=True)
    time = serializers.DateTimeField(allow_null=True)


class CashHistoryOut(serializers.Serializer):
    account_number = serializers.CharField()
    total = serializers.IntegerField(help_text="Entries matching, across all pages.")
    next_offset = serializers.IntegerField(allow_null=True)
    entries = CashEntryOut(many=True, help_text="Oldest first.")


class CashHistoryApi(APIView):
    """One account's cash ledger: deposits, trade settlements and fees."""

    @extend_schema(operation_id="accounts_cash_history", parameters=[CashHistoryQuery], responses=CashHistoryOut)
    def get(self, request, account_number: str):
        q = validated_query(request, CashHistoryQuery)
        account, h = services.cash_history_get(actor=actor_from_request(request), account_number=account_number,
                                               start=q.get("start"), end=q.get("end"), currency=q.get("currency"),
                                               kind=q["kind"], offset=q["offset"], limit=q["limit"])
        more = q["offset"] + len(h.entries)
        return Response(CashHistoryOut({
            "account_number": account.account_number, "total": h.total,
            "next_offset": more if h.entries and more < h.total else None,
            "entries": [{"id": e.entry_id, "kind": e.kind, "description": e.description,
                         "amount": money(e.amount, e.currency), "business_date": e.business_date, "time": e.time}
                        for e in h.entries]}).data)


class TransferOut(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField(help_text="DEPOSIT or WITHDRAW.")
    amount = MoneyOut()
    business_date = serializers.DateField(allow_null=True)
    completed = serializers.BooleanField()
    time = serializers.DateTimeField(allow_null=True)


class TransfersOut(serializers.Serializer):
    account_number = serializers.CharField()
    transfers = TransferOut(many=True)


class TransfersApi(APIView):
    """One account's deposits and withdrawals."""

    @extend_schema(operation_id="accounts_transfers", responses=TransfersOut)
    def get(self, request, account_number: str):
        account, rows = services.transfers_get(actor=actor_from_request(request), account_number=account_number)
        return Response(TransfersOut({"account_number": account.account_number, "transfers": [
            {"id": t.transfer_id, "kind": t.kind, "amount": money(t.amount, t.currency),
             "business_date": t.business_date, "completed": t.completed, "time": t.time} for t in rows]}).data)


class SegmentsQuery(serializers.Serializer):
    base_currency = serializers.ChoiceField(choices=services.SEGMENT_CURRENCIES, required=False)


class CurrencyBalanceOut(serializers.Serializer):
    cash = MoneyOut()
    available = MoneyOut()
    fx_rate = serializers.CharField(allow_null=True)


SEGMENT_MONEY = ("net_liquidation", "cash", "buying_power", "gross_position_value", "equity_with_loan", "init_margin",
                 "maint_margin", "unrealized_pnl", "realized_pnl")


class SegmentOut(serializers.Serializer):
    segment = serializers.CharField(help_text="S securities, C futures.")
    capability = serializers.CharField(allow_null=True)
    net_liquidation = MoneyOut()
    cash = MoneyOut()
    buying_power = MoneyOut()
    gross_position_value = MoneyOut()
    equity_with_loan = MoneyOut()
    init_margin = MoneyOut()
    maint_margin = MoneyOut()
    unrealized_pnl = MoneyOut()
    realized_pnl = MoneyOut()
    currencies = CurrencyBalanceOut(many=True)


class SegmentsOut(serializers.Serializer):
    account_number = serializers.CharField()
    segments = SegmentOut(many=True)


class SegmentsApi(APIView):
    """One account's assets by segment, with cash per currency."""

    @extend_schema(operation_id="accounts_segments", parameters=[SegmentsQuery], responses=SegmentsOut)
    def get(self, request, account_number: str):
        q = validated_query(request, SegmentsQuery)
        account, segments = services.segment_assets_get(actor=actor_from_request(request), account_number=account_number,
                                                        base_currency=q.get("base_currency"))
        return Response(SegmentsOut({"account_number": account.account_number, "segments": [
            {"segment": s.segment, "capability": s.capability,
             **{k: money(getattr(s, k), s.currency) for k in SEGMENT_MONEY},
             "currencies": [{"cash": money(c.cash, c.currency), "available": money(c.available, c.currency),
                             "fx_rate": decimal_text(c.fx_rate)} for c in s.currencies]} for s in segments]}).data)
