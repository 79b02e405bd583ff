"""The project's HTTP app with /mcp mounted the way tigermcp/asgi.py does it (served by uvicorn in
test_transport.test_mcp_mounted_in_the_asgi_app)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tigermcp.settings")
django_app = get_asgi_application()

from mcp_bridge.asgi import mount_mcp  # noqa: E402

application = mount_mcp(django_app)
