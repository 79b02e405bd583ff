"""The reconciliation task moved from marketdata.tasks to trading.tasks: its schedule follows."""

from django.db import migrations

OLD, NEW = "marketdata.orders_reconcile", "trading.orders_reconcile"


def forward(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=OLD).update(task=NEW)


def backward(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=NEW).update(task=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("trading", "0003_confirmation_token_actor_identity"),
        ("marketdata", "0002_default_periodic_tasks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forward, backward)]
