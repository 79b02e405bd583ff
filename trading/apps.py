from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.health import health_check_register
        from trading import live  # noqa: F401 - connects the live-update receiver
        from trading.selectors import order_alerts_health

        health_check_register("orders", order_alerts_health)
