"""The project's Celery app for code below the project package (which may not import it)."""

from importlib import import_module

from django.conf import settings


def celery_app():
    """The project's Celery app (the `app` of settings.TIGERMCP_CELERY_APP), imported if this process
    has not yet: `run_mcp` starts without it (tigermcp/__init__.py), so whatever uses Celery there
    (sending a task, reading its configuration) asks for it here first."""
    return import_module(settings.TIGERMCP_CELERY_APP).app
