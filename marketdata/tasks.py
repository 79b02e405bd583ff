"""Celery tasks: thin doors that take ids and call a service (scheduled by django-celery-beat,
editable in the admin under Periodic tasks)."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.actors import Actor
from core.tasks import celery_app
from accounts.models import AccountStatus, TigerAccount

logger = logging.getLogger(__name__)

# The project's app, so that a task sent from a process that started without it (run_mcp) goes
# through the project's broker and settings, never Celery's default app.
celery_app()


@shared_task(name="marketdata.health_check_account", ignore_result=True)
def health_check_account(account_id: int) -> str | None:
    from marketdata.services import account_health_check

    account = TigerAccount.objects.filter(pk=account_id, status=AccountStatus.ACTIVE).first()
    if account is None:
        return None
    return account_health_check(account=account).status


@shared_task(name="marketdata.health_check_all", ignore_result=True)
def health_check_all() -> int:
    """Fan out one health check per active account, so one slow account delays no other."""
    ids = list(TigerAccount.objects.filter(status=AccountStatus.ACTIVE).values_list("pk", flat=True))
    for account_id in ids:
        health_check_account.delay(account_id)
    return len(ids)


@shared_task(name="marketdata.portfolio_snapshot", ignore_result=True)
def portfolio_snapshot(base_currency: str = "USD") -> int:
    from marketdata.services import portfolio_snapshot_create

    return portfolio_snapshot_create(actor=Actor.system("task", "beat"), base_currency=base_currency).pk


@shared_task(name="marketdata.celery_heartbeat", ignore_result=True)
def celery_heartbeat() -> str:
    from marketdata.services import celery_heartbeat_record

    return celery_heartbeat_record().isoformat()


@shared_task(name="marketdata.portfolio_refresh", ignore_result=True)
def portfolio_refresh() -> dict:
    """Keeps every account's portfolio snapshot recent within each developer id's rate budget."""
    from dataclasses import asdict

    from marketdata.services.portfolio import portfolio_snapshots_refresh

    return asdict(portfolio_snapshots_refresh())
