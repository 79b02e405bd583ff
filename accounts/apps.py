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
