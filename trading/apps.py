from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from trading import live  # noqa: F401 - connects the live-update receiver
