from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from audit import checks  # noqa: F401  (registers the system check)
        from audit.dbroles import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="audit.app_role_sync")
