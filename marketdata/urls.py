from django.urls import path

from marketdata import api, api_history, api_options, api_quotes, views

urlpatterns = [
    path("health", views.health, name="marketdata-health"),
    path("quotes/", api.QuotesApi.as_view(), name="api-quotes"),
    path("bars/", api.BarsApi.as_view(), name="api-bars"),
    path("quotes/depth/", api_quotes.DepthApi.as_view(), name="api-quotes-depth"),
    path("quotes/timeline/", api_quotes.TimelineApi.as_view(), name="api-quotes-timeline"),
    path("quotes/delayed/", api_quotes.DelayedQuotesApi.as_view(), name="api-quotes-delayed"),
    path("quotes/capital-flow/", api_quotes.CapitalFlowApi.as_view(), name="api-quotes-capital-flow"),
    path("quotes/capital-distribution/", api_quotes.CapitalDistributionApi.as_view(),
         name="api-quotes-capital-distribution"),
    path("quotes/broker-seats/", api_quotes.BrokerSeatsApi.as_view(), name="api-quotes-broker-seats"),
    path("market-status/", api.MarketStatusApi.as_view(), name="api-market-status"),
    path("accounts/<str:account_number>/", api.AccountDetailApi.as_view(), name="api-account"),
    path("accounts/<str:account_number>/positions/", api.PositionsApi.as_view(), name="api-account-positions"),
    path("contracts/", api.ContractApi.as_view(), name="api-contracts"),
    path("options/chain/", api.OptionChainApi.as_view(), name="api-option-chain"),
    path("options/expirations/", api_options.ExpirationsApi.as_view(), name="api-option-expirations"),
    path("options/greeks/", api_options.GreeksApi.as_view(), name="api-option-greeks"),
    path("options/analysis/", api_options.AnalysisApi.as_view(), name="api-option-analysis"),
    path("options/bars/", api_options.OptionBarsApi.as_view(), name="api-option-bars"),
    path("options/ticks/", api_options.OptionTicksApi.as_view(), name="api-option-ticks"),
    path("health/", api.HealthApi.as_view(), name="api-health"),
    path("accounts/<str:account_number>/pnl-history/", api.PnlHistoryApi.as_view(), name="api-account-pnl-history"),
    path("accounts/<str:account_number>/cash-history/", api_history.CashHistoryApi.as_view(),
         name="api-account-cash-history"),
    path("accounts/<str:account_number>/transfers/", api_history.TransfersApi.as_view(), name="api-account-transfers"),
    path("accounts/<str:account_number>/segments/", api_history.SegmentsApi.as_view(), name="api-account-segments"),
    path("portfolio/", api.PortfolioApi.as_view(), name="api-portfolio"),
    path("portfolio/snapshots/latest/", api.SnapshotLatestApi.as_view(), name="api-portfolio-snapshot-latest"),
]
