"""Health checks: one cheap read per account, and the Celery heartbeat."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import TigerAccount
from broker.client import broker_for
from marketdata.models import AccountHealth, HealthStatus
from core.errors import ApplicationError, CircuitOpen

logger = logging.getLogger(__name__)


def account_health_check(*, account: TigerAccount) -> AccountHealth:
    """One cheap read (assets) against the account's gateway; records status, latency, last error
    and consecutive failures on the account's AccountHealth row."""
    started = time.monotonic()
    error: ApplicationError | None = None
    try:
        broker_for(account).assets()
    except ApplicationError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not crash the task
        logger.exception("health check of account id %s failed", account.pk)
        error = ApplicationError(f"unexpected {type(exc).__name__}; see the server log", code="internal_error")
    latency_ms = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    with transaction.atomic():
        health, _ = AccountHealth.objects.select_for_update().get_or_create(account=account)
        health.checked_at = now
        health.latency_ms = latency_ms
        if error is None:
            health.status = HealthStatus.OK
            health.consecutive_failures = 0
            health.last_ok_at = now
        else:
            health.status = HealthStatus.CIRCUIT_OPEN if isinstance(error, CircuitOpen) else HealthStatus.FAILING
            health.consecutive_failures += 1
            health.last_error = error.message[:500]
            health.last_error_code = error.code[:50]
        health.full_clean()
        health.save()
    return health


def celery_heartbeat_record() -> datetime:
    """Written by a beat-scheduled task; /health reads it to tell whether workers and beat run."""
    from django.core.cache import cache

    now = timezone.now()
    cache.set(HEARTBEAT_KEY, now.isoformat(), timeout=24 * 3600)
    return now


HEARTBEAT_KEY = "tm:celery:heartbeat"
