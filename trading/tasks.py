"""Celery tasks for trading: thin doors that call a service (scheduled by django-celery-beat)."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.actors import Actor
from core.tasks import celery_app
from trading.services import orders_reconcile_all

logger = logging.getLogger(__name__)

# The project's app, so that a task sent from a process that started without it (run_mcp) goes
# through the project's broker and settings, never Celery's default app.
celery_app()


@shared_task(name="trading.orders_reconcile", ignore_result=True)
def orders_reconcile() -> int:
    """Every account with open, pending or UNKNOWN orders; returns how many accounts were checked."""
    reports = orders_reconcile_all(actor=Actor.system("task", "beat"))
    for report in reports:
        if report.error:
            logger.warning("reconciliation of %s failed: %s", report.account_number, report.error)
    return len(reports)
