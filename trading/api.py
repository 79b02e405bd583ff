"""REST door onto trading.services / selectors: thin views, no logic. Errors go through the
project's exception handler (stable code + a message that says how to fix the call)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from broker.types import canonical_decimal
from core.api_errors import validated_query
from core.api_shapes import MoneyOut, decimal_text, money
from trading import selectors, services


class OrderListQuery(serializers.Serializer):
    account_number = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    open_only = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=500)


class PreviewIn(serializers.Serializer):
    account_number = serializers.CharField(required=False, allow_null=True, default=None, max_length=64,
                                           help_text="Omit for your default account.")
    symbol = serializers.CharField(max_length=32)
    side = serializers.ChoiceField(choices=["BUY", "SELL"])
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6)
    order_type = serializers.ChoiceField(choices=["MKT", "LMT", "STP", "STP_LMT"], default="LMT")
    limit_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    stop_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    time_in_force = serializers.ChoiceField(choices=["DAY", "GTC"], default="DAY")
    outside_rth = serializers.BooleanField(default=False)


class PlaceIn(serializers.Serializer):
    account_number = serializers.CharField(required=False, allow_null=True, default=None, max_length=64,
                                           help_text="Omit for your default account.")
    confirmation_token = serializers.CharField()
    idempotency_key = serializers.CharField(max_length=128)


class CancelIn(serializers.Serializer):
    account_number = serializers.CharField(required=False, allow_null=True, default=None, max_length=64,
                                           help_text="Omit for your default account.")
    confirmation_token = serializers.CharField(required=False, allow_blank=True)


class ModifyIn(serializers.Serializer):
    account_number = serializers.CharField(required=False, allow_null=True, default=None, max_length=64,
                                           help_text="Omit for your default account.")
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                        help_text="New total quantity.")
    limit_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    stop_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    confirmation_token = serializers.CharField(required=False, allow_blank=True,
                                               help_text="From the preview; send the same changes with it.")


def _valid(serializer_class, data) -> dict:
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


class OrderListApi(APIView):
    @extend_schema(operation_id="orders_list", parameters=[OrderListQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = _valid(OrderListQuery, request.query_params)
        rows = selectors.orders_list(actor=actor_from_request(request), **q)
        return Response({"orders": [selectors.order_as_dict(o) for o in rows]})


class OrderDetailApi(APIView):
    @extend_schema(operation_id="orders_get", responses=OpenApiTypes.OBJECT,
                   parameters=[OpenApiParameter("account_number", str, description="Omit for your default account.")])
    def get(self, request, order_id: int):
        account_number = request.query_params.get("account_number") or None
        order = selectors.order_get(actor=actor_from_request(request), account_number=account_number, order_id=order_id)
        return Response({"order": selectors.order_as_dict(order)})


class OrderPreviewApi(APIView):
    @extend_schema(request=PreviewIn, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        preview = services.order_preview(actor=actor_from_request(request), **_valid(PreviewIn, request.data))
        return Response(preview.as_dict())


class OrderPlaceApi(APIView):
    @extend_schema(request=PlaceIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        order = services.order_place(actor=actor_from_request(request), **_valid(PlaceIn, request.data))
        return Response({"order": selectors.order_as_dict(order)}, status=201)


class OrderModifyApi(APIView):
    """Without confirmation_token: previews the change (risk checks) and returns its token. With it
    (and the same changes): sends the change to Tiger."""

    @extend_schema(operation_id="orders_modify", request=ModifyIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, order_id: int):
        data = _valid(ModifyIn, request.data)
        actor = actor_from_request(request)
        changes = {k: data.get(k) for k in ("quantity", "limit_price", "stop_price")}
        if not data.get("confirmation_token"):
            preview = services.order_modify_preview(actor=actor, account_number=data["account_number"],
                                                    order_id=order_id, **changes)
            return Response(preview.as_dict())
        expected = {k: canonical_decimal(v) for k, v in changes.items() if v is not None}
        order = services.order_modify(actor=actor, account_number=data["account_number"], order_id=order_id,
                                      confirmation_token=data["confirmation_token"], expected=expected)
        return Response({"order": selectors.order_as_dict(order)})


class OrderCancelApi(APIView):
    """Without confirmation_token: returns the cancel preview (with its token). With it: cancels."""

    @extend_schema(request=CancelIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, order_id: int):
        data = _valid(CancelIn, request.data)
        actor = actor_from_request(request)
        if not data.get("confirmation_token"):
            preview = services.order_cancel_preview(actor=actor, account_number=data["account_number"], order_id=order_id)
            return Response(preview.as_dict())
        order = services.order_cancel(actor=actor, account_number=data["account_number"], order_id=order_id,
                                      confirmation_token=data["confirmation_token"])
        return Response({"order": selectors.order_as_dict(order)})


class FillsQuery(serializers.Serializer):
    account = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                    help_text="Account number; omit for your default account.")
    symbol = serializers.CharField(required=False, allow_blank=True, max_length=32, help_text="Only this ticker.")
    since = serializers.DateTimeField(required=False, help_text="ISO 8601 with zone: fills at or after it.")
    until = serializers.DateTimeField(required=False, help_text="ISO 8601 with zone: fills before it.")
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=selectors.MAX_FILLS)


class FillOut(serializers.Serializer):
    fill_id = serializers.CharField(help_text="Tiger's execution id.")
    order_id = serializers.IntegerField(allow_null=True, help_text="TigerMCP's order id, when it went through TigerMCP.")
    broker_id = serializers.CharField(help_text="Tiger's order id.")
    account_number = serializers.CharField()
    symbol = serializers.CharField()
    sec_type = serializers.CharField()
    market = serializers.CharField(allow_null=True)
    side = serializers.CharField()
    quantity = serializers.CharField()
    price = MoneyOut()
    amount = MoneyOut(help_text="quantity x price, before commission.")
    time = serializers.DateTimeField()


class FillsOut(serializers.Serializer):
    account_number = serializers.CharField()
    fills = FillOut(many=True)


def _fill_data(fill, order_id) -> dict:
    return {"fill_id": fill.fill_id, "order_id": order_id, "broker_id": fill.broker_order_id,
            "account_number": fill.account, "symbol": fill.symbol, "sec_type": fill.sec_type, "market": fill.market,
            "side": fill.side, "quantity": decimal_text(fill.quantity), "price": money(fill.price, fill.currency),
            "amount": money(fill.amount, fill.currency), "time": fill.time}


class FillListApi(APIView):
    """One account's executions as Tiger reports them, newest first."""

    @extend_schema(operation_id="fills_list", parameters=[FillsQuery], responses=FillsOut)
    def get(self, request):
        q = validated_query(request, FillsQuery)
        account, rows, refs = selectors.fills_list(
            actor=actor_from_request(request), account_number=q.get("account") or None, symbol=q.get("symbol") or None,
            since=q.get("since"), until=q.get("until"), limit=q["limit"])
        return Response(FillsOut({"account_number": account.account_number,
                                  "fills": [_fill_data(f, refs.get(f.broker_order_id)) for f in rows]}).data)


class TradableQuantityQuery(serializers.Serializer):
    account = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                    help_text="Account number; omit for your default account.")
    symbol = serializers.CharField(max_length=32)
    side = serializers.ChoiceField(choices=["BUY", "SELL"])
    order_type = serializers.ChoiceField(choices=["MKT", "LMT", "STP", "STP_LMT"], default="LMT")
    limit_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, min_value=0)
    stop_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, min_value=0)


class TradableQuantityOut(serializers.Serializer):
    account_number = serializers.CharField()
    symbol = serializers.CharField()
    side = serializers.CharField()
    currency = serializers.CharField()
    cash_quantity = serializers.CharField(allow_null=True, help_text="With cash only (SELL: the salable position).")
    margin_quantity = serializers.CharField(allow_null=True, help_text="Using margin (SELL: may include a short).")
    position_quantity = serializers.CharField(allow_null=True)
    salable_quantity = serializers.CharField(allow_null=True)


class TradableQuantityApi(APIView):
    """How many shares the account could buy or sell now at a price, as Tiger estimates it."""

    @extend_schema(operation_id="orders_tradable_quantity", parameters=[TradableQuantityQuery],
                   responses=TradableQuantityOut)
    def get(self, request):
        q = validated_query(request, TradableQuantityQuery)
        account, t = selectors.tradable_quantity_get(
            actor=actor_from_request(request), account_number=q.get("account") or None, symbol=q["symbol"],
            side=q["side"], order_type=q["order_type"], limit_price=q.get("limit_price"), stop_price=q.get("stop_price"))
        return Response(TradableQuantityOut({
            "account_number": account.account_number, "symbol": t.symbol, "side": t.side, "currency": t.currency,
            **{k: decimal_text(getattr(t, k)) for k in ("cash_quantity", "margin_quantity", "position_quantity",
                                                        "salable_quantity")}}).data)
