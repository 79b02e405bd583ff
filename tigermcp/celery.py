import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tigermcp.settings")

app = Celery("tigermcp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
