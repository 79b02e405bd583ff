from django.urls import path

from marketdata import api, views

urlpatterns = [
    path("health", views.health, name="marketdata-health"),
    path("quotes/", api.QuotesApi.as_view(), name="api-quotes"),
    path("bars/", api.BarsApi.as_view(), name="api-bars"),
    path("market-status/", api.MarketStatusApi.as_view(), name="api-market-status"),
    path("portfolio/", api.PortfolioApi.as_view(), name="api-portfolio"),
    path("portfolio/snapshots/latest/", api.SnapshotLatestApi.as_view(), name="api-portfolio-snapshot-latest"),
]
