"""Default schedules (django-celery-beat), editable afterwards in the admin under Periodic tasks."""

from django.db import migrations

DEFAULTS = [
    # (name, task, every seconds)
    ("Celery heartbeat", "marketdata.celery_heartbeat", 30),
    ("Account health checks", "marketdata.health_check_all", 60),
    ("Portfolio snapshot", "marketdata.portfolio_snapshot", 15 * 60),
    ("Order reconciliation", "marketdata.orders_reconcile", 60),
]


def add_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, seconds in DEFAULTS:
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        # get_or_create: an admin's edits (or a deliberately disabled task) survive a re-run.
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketdata", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedules, remove_schedules)]
