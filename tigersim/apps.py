from django.apps import AppConfig


class TigersimConfig(AppConfig):
    name = "tigersim"
    verbose_name = "Tiger gateway simulator"
    default_auto_field = "django.db.models.BigAutoField"
