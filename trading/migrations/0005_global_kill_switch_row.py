"""The global kill switch row exists from the start (off), so the admin can act on it without its list
page writing a row on GET."""

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("trading", "KillSwitch").objects.get_or_create(scope="global")


class Migration(migrations.Migration):
    dependencies = [("trading", "0004_reconcile_task_in_trading")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
