from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from marketdata import views as marketdata_views
from tigermcp.metrics_endpoint import metrics

admin.site.site_header = "TigerMCP"
admin.site.site_title = "TigerMCP"
admin.site.index_title = "Accounts, orders, risk and audit"
# "View site": the product has no public site; its console is the admin.
admin.site.site_url = "/admin/"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("health", marketdata_views.health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("api/", include("accounts.urls")),
    path("api/", include("trading.urls")),
    path("api/", include("marketdata.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

handler404 = "core.api_errors.api_not_found"
handler500 = "core.api_errors.api_server_error"
