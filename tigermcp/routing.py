from django.urls import path

from trading.consumers import OrderUpdatesConsumer

websocket_urlpatterns = [
    path("ws/orders/", OrderUpdatesConsumer.as_asgi()),
]
