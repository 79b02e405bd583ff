from django.urls import path

from trading.api import (FillListApi, OrderCancelApi, OrderDetailApi, OrderListApi, OrderModifyApi, OrderPlaceApi,
                         OrderPreviewApi, PositionClosePreviewApi, TradableQuantityApi)

urlpatterns = [
    path("orders/", OrderListApi.as_view(), name="api-orders"),
    path("orders/preview/", OrderPreviewApi.as_view(), name="api-order-preview"),
    path("orders/place/", OrderPlaceApi.as_view(), name="api-order-place"),
    path("orders/<int:order_id>/", OrderDetailApi.as_view(), name="api-order"),
    path("orders/<int:order_id>/modify/", OrderModifyApi.as_view(), name="api-order-modify"),
    path("orders/tradable-quantity/", TradableQuantityApi.as_view(), name="api-order-tradable-quantity"),
    path("fills/", FillListApi.as_view(), name="api-fills"),
    path("positions/close/preview/", PositionClosePreviewApi.as_view(), name="api-position-close-preview"),
    path("orders/<int:order_id>/cancel/", OrderCancelApi.as_view(), name="api-order-cancel"),
]
