from django.apps import AppConfig


class TigerMcpConfig(AppConfig):
    """The composition root's start-up: what ties the layers together in this deployment."""

    name = "tigermcp"
    verbose_name = "TigerMCP"

    def ready(self):
        from broker.client import local_gateway_register
        from tigermcp.embedded import EmbeddedGateway

        local_gateway_register(EmbeddedGateway())  # it serves accounts only while TIGERSIM_EMBEDDED is on
