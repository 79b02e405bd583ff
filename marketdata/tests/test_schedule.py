import importlib

import pytest
from django.apps import apps

from tigermcp.celery import app

pytestmark = pytest.mark.django_db

migration = importlib.import_module("marketdata.migrations.0002_default_periodic_tasks")


def test_default_schedules_are_registered_and_name_real_tasks():
    from django_celery_beat.models import PeriodicTask

    migration.add_schedules(apps, None)  # what the data migration runs; idempotent
    tasks = {t.name: t for t in PeriodicTask.objects.filter(name__in=[d[0] for d in migration.DEFAULTS])}
    # As migrated: the reconciliation schedule follows its task into trading (trading 0004).
    assert {n: (t.task, t.interval.every, t.interval.period) for n, t in tasks.items()} == {
        "Celery heartbeat": ("marketdata.celery_heartbeat", 30, "seconds"),
        "Account health checks": ("marketdata.health_check_all", 60, "seconds"),
        "Portfolio snapshot": ("marketdata.portfolio_snapshot", 900, "seconds"),
        "Order reconciliation": ("trading.orders_reconcile", 60, "seconds"),
    }
    app.loader.import_default_modules()
    assert all(t.task in app.tasks for t in tasks.values())


def test_an_admin_edit_survives_re_running_the_defaults():
    from django_celery_beat.models import PeriodicTask

    migration.add_schedules(apps, None)
    PeriodicTask.objects.filter(name="Portfolio snapshot").update(enabled=False)
    migration.add_schedules(apps, None)
    assert PeriodicTask.objects.get(name="Portfolio snapshot").enabled is False
