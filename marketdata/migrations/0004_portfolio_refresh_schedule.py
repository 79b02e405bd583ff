"""The background portfolio refresh (marketdata.portfolio_refresh), every 5 s: each tick re-reads a
few stale accounts per developer id, so the reads spread across Tiger's rate window."""

from django.db import migrations

NAME, TASK, SECONDS = "Portfolio refresh (per-account snapshots)", "marketdata.portfolio_refresh", 5


def add_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=SECONDS, period="seconds")
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "interval": interval})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("marketdata", "0003_portfoliosnapshot_account_values")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
