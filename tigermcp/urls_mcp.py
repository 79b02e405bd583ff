"""The URLs of `manage.py run_mcp --transport http`'s Django side: GET /metrics only (MCP itself is
mcp_bridge.asgi's). The web app's URLs are tigermcp.urls."""

from django.urls import path

from tigermcp.metrics_endpoint import metrics

urlpatterns = [path("metrics", metrics, name="metrics")]

handler404 = "core.api_errors.api_not_found"
handler500 = "core.api_errors.api_server_error"
