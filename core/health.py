"""Health components contributed by the apps above the health report.

An app registers its own check in its AppConfig.ready(); marketdata's health report runs every
registered check when the database answers, so it needs to know nothing of the apps that registered
them. A check returns a dict with a "status": "ok", "degraded" or "down" (plus any detail to show).
"""

from collections.abc import Callable

_checks: dict[str, Callable[[], dict]] = {}


def health_check_register(name: str, check: Callable[[], dict]) -> None:
    _checks[name] = check


def health_checks() -> dict[str, Callable[[], dict]]:
    return dict(_checks)
