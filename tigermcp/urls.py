from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("accounts.urls")),
    path("api/", include("trading.urls")),
    path("api/", include("marketdata.urls")),
    path("", include("mcp_bridge.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
