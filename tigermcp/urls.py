from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

admin.site.site_header = "TigerMCP"
admin.site.site_title = "TigerMCP"
admin.site.index_title = "Accounts, orders, risk and audit"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("accounts.urls")),
    path("api/", include("trading.urls")),
    path("api/", include("marketdata.urls")),
    path("", include("mcp_bridge.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
