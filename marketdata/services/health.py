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


def account_connection_test(*, actor, account: TigerAccount) -> AccountHealth:
    """An operator's "test connection": the health check run now, its outcome recorded on the
    account's health row and in the audit trail under the operator's name."""
    from audit.services import audit_record

    health = account_health_check(account=account)
    with transaction.atomic():
        audit_record(actor=actor, event_type="account.connection_tested", account=account,
                     payload={"status": health.status, "latency_ms": health.latency_ms,
                              "error_code": health.last_error_code if health.status != HealthStatus.OK else ""})
    return health


CREDENTIALS_REFUSED = ("The gateway refused these credentials for account {account}: {message} "
                       "Check the Tiger ID, the private key and the license (Tiger's developer page lists all "
                       "three), or tick 'Save without checking' to keep them anyway.")
GATEWAY_UNREACHABLE = ("Could not check the credentials for account {account}: {message} Check the server URL, "
                       "or tick 'Save without checking' to save them while the gateway is down.")


def account_credentials_check(*, account: TigerAccount) -> None:
    """Before credentials are saved: one signed read at the account's gateway with them (the
    account may be unsaved). Raises ApplicationError saying what to fix."""
    from broker.client import BrokerClient
    from core.errors import BrokerUnavailable, CredentialError, InvalidInput

    try:
        BrokerClient(account).credentials_probe()
    except (BrokerUnavailable, CircuitOpen) as exc:
        raise InvalidInput(GATEWAY_UNREACHABLE.format(account=account.account_number, message=exc.message),
                               code="gateway_unreachable") from None
    except CredentialError as exc:
        raise InvalidInput(exc.message, code=exc.code) from None
    except ApplicationError as exc:
        raise InvalidInput(CREDENTIALS_REFUSED.format(account=account.account_number, message=exc.message),
                               code="credentials_refused") from None
