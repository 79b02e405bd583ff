"""REST door onto trading.services / selectors: thin views, no logic. Errors go through the
project's exception handler (stable code + a message that says how to fix the call)."""

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import actor_from_request
from broker.types import canonical_decimal
from core.api_errors import validated_query
from core.api_shapes import ChoiceField, MoneyOut, decimal_text, money, price
from trading import selectors, services
from trading.models import OrderStatus


class OrderListQuery(serializers.Serializer):
    account_number = serializers.CharField(required=False, max_length=64, help_text="Only this account's orders.")
    status = ChoiceField(choices=OrderStatus.values, required=False, help_text="Only orders in this state.")
    symbol = serializers.CharField(required=False, max_length=32, help_text="Only this ticker.")
    open_only = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=500, help_text="Page size.")
    cursor = serializers.CharField(required=False, max_length=200, help_text="`next` or `previous` of a page.")


class ComboLegIn(serializers.Serializer):
    side = ChoiceField(choices=["BUY", "SELL"], help_text="As the combo trades it when bought.")
    identifier = serializers.CharField(required=False, allow_null=True, default=None, max_length=30,
                                       help_text="The option's identifier (or expiry, strike and right).")
    expiry = serializers.DateField(required=False, allow_null=True, default=None)
    strike = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True, default=None)
    right = ChoiceField(choices=["CALL", "PUT"], required=False, allow_null=True, default=None)
    sec_type = ChoiceField(choices=["OPT", "STK"], required=False, allow_null=True, default=None,
                           help_text="STK: the underlying stock (a COVERED or PROTECTIVE combo).")
    ratio = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=100000,
                                     help_text="Per combo: contracts (default 1), or shares of a stock leg (default 100).")


class OcaOrderIn(serializers.Serializer):
    order_type = ChoiceField(choices=["LMT", "STP", "STP_LMT"])
    limit_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                           default=None)
    stop_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True, default=None)
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True, default=None,
                                        help_text="Default: the order's quantity.")


class PreviewIn(serializers.Serializer):
    account_number = serializers.CharField(required=False, allow_null=True, default=None, max_length=64,
                                           help_text="Omit for your default account.")
    symbol = serializers.CharField(max_length=32, required=False, allow_null=True, default=None,
                                   help_text="The ticker; for an option its underlying (may be omitted with identifier); "
                                             "for a future its product (ES: the front contract) or contract code (ES2612).")
    side = ChoiceField(choices=["BUY", "SELL"])
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                        default=None, help_text="Shares, or option or futures contracts (or give amount).")
    amount = serializers.DecimalField(
        max_digits=20, decimal_places=6, required=False, allow_null=True, default=None,
        help_text="Instead of quantity: money in the instrument's currency to buy (or sell) shares for, e.g. 500; "
                  "a MKT DAY order of a US stock that trades in fractional shares.")
    order_type = ChoiceField(choices=["MKT", "LMT", "STP", "STP_LMT", "TRAIL"], default="LMT")
    sec_type = ChoiceField(choices=["STK", "OPT", "FUT", "MLEG"], required=False, allow_null=True, default=None,
                           help_text="STK (default), OPT (implied by the option fields), FUT, or MLEG (a combo, implied "
                                     "by combo_type and legs).")
    combo_type = ChoiceField(choices=["VERTICAL", "STRADDLE", "STRANGLE", "CALENDAR", "DIAGONAL", "COVERED",
                                      "PROTECTIVE"], required=False, allow_null=True, default=None,
                             help_text="A combo (multi-leg order): its kind; give its two legs. limit_price is then "
                                       "the net price per share: positive a debit, negative a credit.")
    legs = ComboLegIn(many=True, required=False, allow_null=True, default=None,
                      help_text="A combo's legs, e.g. [{\"expiry\":\"2026-01-16\",\"strike\":\"150\",\"right\":"
                                "\"CALL\",\"side\":\"BUY\"},{\"expiry\":\"2026-01-16\",\"strike\":\"160\","
                                "\"right\":\"CALL\",\"side\":\"SELL\"}] for a VERTICAL.")
    identifier = serializers.CharField(required=False, allow_null=True, default=None, max_length=30,
                                       help_text="Option: Tiger's identifier, e.g. \"AAPL  260116C00150000\".")
    expiry = serializers.DateField(required=False, allow_null=True, default=None,
                                   help_text="Option: expiry date (instead of identifier).")
    strike = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True, default=None,
                                      help_text="Option: strike price.")
    right = ChoiceField(choices=["CALL", "PUT"], required=False, allow_null=True, default=None,
                        help_text="Option: CALL or PUT.")
    multiplier = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                          default=None, help_text="Option or future: units per contract; omit to take "
                                                                  "the contract's (a different value is refused).")
    limit_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    stop_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    trailing_amount = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                               help_text="TRAIL: trail the price by this amount (or give trailing_percent).")
    trailing_percent = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                                help_text="TRAIL: trail the price by this percent, e.g. 5.")
    take_profit_price = serializers.DecimalField(
        max_digits=20, decimal_places=6, required=False, allow_null=True, default=None,
        help_text="Bracket (LMT entry): a take-profit limit order on the other side, above limit_price for a BUY "
                  "(below for a SELL); Tiger holds it until the entry fills.")
    stop_loss_price = serializers.DecimalField(
        max_digits=20, decimal_places=6, required=False, allow_null=True, default=None,
        help_text="Bracket (LMT entry): a stop-loss stop order on the other side, below limit_price for a BUY "
                  "(above for a SELL); one leg filling cancels the other.")
    time_in_force = ChoiceField(choices=["DAY", "GTC", "GTD"], default="DAY")
    expire_time = serializers.DateTimeField(required=False, allow_null=True,
                                            help_text="GTD: when Tiger cancels the order, ISO 8601 with a zone.")
    outside_rth = serializers.BooleanField(default=False)
    trading_session_type = ChoiceField(choices=["OVERNIGHT"], required=False, allow_null=True, default=None, help_text=(
        "OVERNIGHT: Tiger's US overnight session (20:00 to 04:00 New York time), a US stock's LMT order; leave "
        "it out for the regular session (and outside_rth's pre- and post-market hours)."))
    oca_orders = OcaOrderIn(many=True, required=False, allow_null=True, default=None, help_text=(
        "OCA group: more orders (LMT, STP or STP_LMT) on the same stock and side, working with this one (itself "
        "LMT, STP or STP_LMT); the first to fill cancels the rest. The group counts once, as its largest order."))


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
    trailing_amount = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    trailing_percent = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    confirmation_token = serializers.CharField(required=False, allow_blank=True,
                                               help_text="From the preview; send the same changes with it.")


class OrderOut(serializers.Serializer):
    order_id = serializers.IntegerField()
    account_number = serializers.CharField()
    broker_id = serializers.CharField(allow_null=True, help_text="Tiger's order id, once Tiger acknowledged it.")
    broker_order_id = serializers.IntegerField(allow_null=True)
    status = ChoiceField(choices=OrderStatus.values)
    status_reason = serializers.CharField(allow_blank=True)
    symbol = serializers.CharField(help_text="The ticker; for an option its underlying.")
    sec_type = serializers.CharField(help_text="STK, OPT or FUT (symbol: the contract's code).")
    identifier = serializers.CharField(allow_null=True, help_text="Options: Tiger's option identifier.")
    expiry = serializers.CharField(allow_null=True, help_text="Options: expiry date; futures: last trading day.")
    strike = serializers.CharField(allow_null=True)
    right = serializers.CharField(allow_null=True, help_text="Options: CALL or PUT.")
    multiplier = serializers.CharField(help_text="Shares per contract (1 for a stock): value = price x quantity x this.")
    side = serializers.CharField()
    order_type = serializers.CharField()
    quantity = serializers.CharField(help_text="Shares (an order by amount: estimated until Tiger reports them).")
    filled_quantity = serializers.CharField()
    amount = serializers.CharField(allow_null=True, help_text="An order by amount: the money it is for.")
    limit_price = serializers.CharField(allow_null=True)
    stop_price = serializers.CharField(allow_null=True)
    trailing_amount = serializers.CharField(allow_null=True, help_text="TRAIL orders: the distance as an amount.")
    trailing_percent = serializers.CharField(allow_null=True, help_text="TRAIL orders: the distance as a percent.")
    take_profit_price = serializers.CharField(allow_null=True, help_text="A bracket's entry: its take-profit price.")
    stop_loss_price = serializers.CharField(allow_null=True, help_text="A bracket's entry: its stop-loss price.")
    parent_order_id = serializers.IntegerField(allow_null=True,
                                               help_text="A bracket's leg: the order_id of the entry it is attached to; "
                                                         "an OCA group's other order: its first order's.")
    leg = serializers.CharField(allow_null=True, help_text="A bracket's leg: PROFIT (take-profit) or LOSS (stop-loss); "
                                                           "OCA: another order of an OCA group.")
    trading_session_type = serializers.CharField(allow_null=True, help_text="OVERNIGHT: it works in Tiger's US "
                                                                            "overnight session only.")
    combo_type = serializers.CharField(allow_null=True, help_text="A combo (sec_type MLEG): its kind; limit_price is "
                                                                  "its net price per share (negative: a credit).")
    legs = serializers.ListField(child=serializers.DictField(), allow_null=True,
                                 help_text="A combo's legs: side, ratio, sec_type, and an option's expiry, strike, "
                                           "right and multiplier.")
    expire_time = serializers.CharField(allow_null=True, help_text="GTD orders: when Tiger cancels it (UTC).")
    avg_fill_price = serializers.CharField(allow_null=True, help_text="Null until something filled.")
    currency = serializers.CharField()
    time_in_force = serializers.CharField()
    outside_rth = serializers.BooleanField()
    idempotency_key = serializers.CharField()
    policy_version = serializers.IntegerField(allow_null=True)
    created_at = serializers.CharField()
    submitted_at = serializers.CharField(allow_null=True)
    terminal_at = serializers.CharField(allow_null=True)


class OrderEnvelopeOut(serializers.Serializer):
    order = OrderOut()


class OrdersPageOut(serializers.Serializer):
    orders = OrderOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="URL of the next (older) page; null on the last.")
    previous = serializers.CharField(allow_null=True, help_text="URL of the previous (newer) page; null on the first.")


class PreviewLegOut(serializers.Serializer):
    role = serializers.CharField(help_text="entry | take_profit | stop_loss | leg (of a combo) | oca (an order of an OCA group).")
    side = serializers.CharField()
    quantity = serializers.CharField(allow_null=True, help_text="Null for an order by amount.")
    instrument = serializers.CharField(help_text="The symbol, or an option's identifier.")
    sec_type = serializers.CharField()
    order_type = serializers.CharField()
    price = serializers.CharField(allow_null=True)
    price_estimated = serializers.BooleanField(help_text="True: no price of its own; valued at the last price.")
    multiplier = serializers.CharField()
    amount = serializers.CharField(allow_null=True, help_text="price x quantity x multiplier.")
    currency = serializers.CharField()
    text = serializers.CharField()


class PreviewNetOut(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["debit", "credit", "none"])
    amount = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    estimated = serializers.BooleanField()
    text = serializers.CharField()


class PreviewCommissionOut(serializers.Serializer):
    min = serializers.CharField(allow_null=True)
    max = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    text = serializers.CharField()


# Tiger's initial and maintenance margin and equity with loan, before and after the order, and the change.
PreviewMarginOut = type("PreviewMarginOut", (serializers.Serializer,), {
    "currency": serializers.CharField(allow_blank=True),
    **{f"{figure}_{when}": serializers.CharField(allow_null=True, help_text=(
        "The buying power the order uses (negative: frees)." if (figure, when) == ("initial", "change") else ""))
       for figure in ("initial", "maintenance", "equity_with_loan") for when in ("before", "after", "change")},
    "text": serializers.CharField(),
})


class PreviewMaxLossOut(serializers.Serializer):
    bounded = serializers.BooleanField()
    amount = serializers.CharField(allow_null=True, help_text="Null when unbounded.")
    currency = serializers.CharField()
    text = serializers.CharField()


class PreviewSessionOut(serializers.Serializer):
    name = serializers.CharField(help_text="regular | pre_market | post_market | overnight | futures | queued | unknown")
    market = serializers.CharField()
    market_status = serializers.CharField(allow_null=True)
    next_open = serializers.CharField(allow_null=True)
    text = serializers.CharField()


class OrderSummaryOut(serializers.Serializer):
    """What the order will do, in the user's terms (the same object MCP's preview_order returns)."""

    legs = PreviewLegOut(many=True)
    net = PreviewNetOut()
    commission = PreviewCommissionOut()
    margin = PreviewMarginOut()
    max_loss = PreviewMaxLossOut()
    session = PreviewSessionOut()


class PreviewOut(serializers.Serializer):
    action = serializers.CharField(help_text="place | modify | cancel")
    account_number = serializers.CharField()
    environment = serializers.CharField()
    confirmation_token = serializers.CharField(help_text="Single use, bound to this exact order; send it back to act.")
    expires_at = serializers.CharField()
    order = serializers.JSONField(help_text="The exact order (or change) the token confirms.")
    order_hash = serializers.CharField()
    risk = serializers.JSONField(help_text="The risk decision: rules checked, policy version.")
    broker_preview = serializers.JSONField(help_text="Tiger's preview: margin, commission, warning.")
    order_id = serializers.IntegerField(allow_null=True)
    preview = OrderSummaryOut(required=False, help_text="A new order's: legs, net debit or credit, commission, "
                                                        "margin, maximum loss, session. Empty for a change or cancellation.")


PREVIEW_OR_ORDER = PolymorphicProxySerializer(
    component_name="PreviewOrOrder", serializers=[PreviewOut, OrderEnvelopeOut], resource_type_field_name=None)


class OrdersCursor(CursorPagination):
    """Newest first; `cursor` pages through any number of orders in constant queries (no COUNT)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500

    def get_paginated_response(self, data):
        # `data` is already order_as_dict's plain values (OrdersPageOut documents them); serializing
        # them again would double the cost of a page.
        return Response({"orders": data, "next": self.get_next_link(), "previous": self.get_previous_link()})


def _valid(serializer_class, data) -> dict:
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


class OrderListApi(APIView):
    """The caller's orders, newest first, a page at a time (filters: account, status, symbol, open only)."""

    @extend_schema(operation_id="orders_list", parameters=[OrderListQuery], responses=OrdersPageOut)
    def get(self, request):
        q = validated_query(request, OrderListQuery)
        rows = selectors.orders_query(actor=actor_from_request(request), account_number=q.get("account_number"),
                                      status=q.get("status"), symbol=q.get("symbol"), open_only=q["open_only"])
        paginator = OrdersCursor()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([selectors.order_as_dict(o) for o in page])


class OrderDetailApi(APIView):
    @extend_schema(operation_id="orders_get", responses=OrderEnvelopeOut,
                   parameters=[OpenApiParameter("account_number", str, description="Omit for your default account.")])
    def get(self, request, order_id: int):
        account_number = request.query_params.get("account_number") or None
        order = selectors.order_get(actor=actor_from_request(request), account_number=account_number, order_id=order_id)
        return Response({"order": selectors.order_as_dict(order)})


class OrderPreviewApi(APIView):
    @extend_schema(request=PreviewIn, responses=PreviewOut)
    def post(self, request):
        preview = services.order_preview(actor=actor_from_request(request), **_valid(PreviewIn, request.data))
        return Response(preview.as_dict())


class OrderPlaceApi(APIView):
    @extend_schema(request=PlaceIn, responses={201: OrderEnvelopeOut})
    def post(self, request):
        order = services.order_place(actor=actor_from_request(request), **_valid(PlaceIn, request.data))
        return Response({"order": selectors.order_as_dict(order)}, status=201)


class OrderModifyApi(APIView):
    """Without confirmation_token: previews the change (risk checks) and returns its token. With it
    (and the same changes): sends the change to Tiger."""

    @extend_schema(operation_id="orders_modify", request=ModifyIn, responses=PREVIEW_OR_ORDER)
    def post(self, request, order_id: int):
        data = _valid(ModifyIn, request.data)
        actor = actor_from_request(request)
        changes = {k: data.get(k) for k in ("quantity", "limit_price", "stop_price", "trailing_amount",
                                            "trailing_percent")}
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

    @extend_schema(request=CancelIn, responses=PREVIEW_OR_ORDER)
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
            "side": fill.side, "quantity": decimal_text(fill.quantity), "price": price(fill.price, fill.currency),
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
    side = ChoiceField(choices=["BUY", "SELL"])
    order_type = ChoiceField(choices=["MKT", "LMT", "STP", "STP_LMT"], default="LMT")
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


class ClosePreviewIn(serializers.Serializer):
    account_number = serializers.CharField(required=False, allow_null=True, default=None, max_length=64,
                                           help_text="Omit for your default account.")
    symbol = serializers.CharField(required=False, allow_null=True, default=None, max_length=32,
                                   help_text="The stock or futures contract to close, e.g. AAPL, 00700 or ES2612 (or give identifier).")
    identifier = serializers.CharField(required=False, allow_null=True, default=None, max_length=40,
                                       help_text="The option contract to close, e.g. 'AAPL  260320C00190000'.")
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True, default=None,
                                        help_text="How much to close; omit to close the whole position.")
    order_type = ChoiceField(choices=["MKT", "LMT"], default="MKT")
    limit_price = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    time_in_force = ChoiceField(choices=["DAY", "GTC"], default="DAY")
    outside_rth = serializers.BooleanField(default=False)


class PositionClosePreviewApi(APIView):
    """The preview of the order closing all or part of a position (read from Tiger now): SELL a long,
    BUY back a short. Confirm it with POST /api/orders/place/ and its confirmation_token, like any order.
    One position each: an option spread closes leg by leg here, or as one combo through
    POST /api/orders/preview/ (sec_type MLEG, its combo_type and legs as bought, side SELL), which is
    risk-reducing like this close when every leg takes off a held leg."""

    @extend_schema(operation_id="positions_close_preview", request=ClosePreviewIn, responses=PreviewOut)
    def post(self, request):
        preview = services.position_close_preview(actor=actor_from_request(request),
                                                  **_valid(ClosePreviewIn, request.data))
        return Response(preview.as_dict())
