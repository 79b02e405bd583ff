import os
import time

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tigermcp.settings")

app = Celery("tigermcp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Prometheus: every task counted and timed (door "task"), in eager mode as in a worker ---------

_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id=None, **_):
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, retval=None, state=None, **_):
    from core.errors import ApplicationError
    from core.metrics import request_record

    started = _started.pop(task_id, None)
    if started is None or task is None:
        return
    if state == "SUCCESS":
        status = "ok"
    elif state == "RETRY":
        status = "retry"
    else:
        status = retval.code if isinstance(retval, ApplicationError) else "internal_error"
    request_record(door="task", endpoint=task.name, status=status, seconds=time.perf_counter() - started)
