from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from core.metrics import LOGIN_FAILURES, LOGIN_LOCKOUTS

        # Django sends user_login_failed for every refused sign-in, django-axes' lock-outs included.
        user_login_failed.connect(lambda **_: LOGIN_FAILURES.labels(kind="password").inc(),
                                  dispatch_uid="tigermcp-metrics-login-failed", weak=False)
        user_locked_out.connect(lambda **_: LOGIN_LOCKOUTS.inc(), dispatch_uid="tigermcp-metrics-locked-out",
                                weak=False)

        from django.db.models.signals import post_delete, post_save

        from accounts.grant_copies import permissions_changed
        from accounts.models import AccessGrant, McpClient, TigerAccount

        # Every saved or deleted account, grant and MCP client (a cascade included) drops the access
        # check's copies in every process once it commits; bulk writes do it in their querysets.
        for model in (TigerAccount, AccessGrant, McpClient):
            for signal in (post_save, post_delete):
                signal.connect(lambda using, **_: permissions_changed(using), sender=model, weak=False,
                               dispatch_uid=f"tigermcp-permissions-{model.__name__}-{signal is post_save}")
