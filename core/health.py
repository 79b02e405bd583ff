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


# --- this process's resources ---------------------------------------------------------------------

# Below this share of free space on the data directory's disk the process is "degraded": the
# database, the simulator's state and the Celery queue of the embedded default all write there.
DISK_FREE_MIN_PERCENT = 5.0


def process_usage() -> dict:
    """Memory, CPU and disk of the process answering (each web, MCP or worker process reports its
    own): resident memory, CPU time and its share since the process started, and the disk holding
    the data directory."""
    import os
    import shutil
    import time

    import psutil
    from django.conf import settings

    process = psutil.Process()
    with process.oneshot():
        memory = process.memory_info()
        cpu = process.cpu_times()
        started = process.create_time()
        threads = process.num_threads()
    cpu_seconds = cpu.user + cpu.system
    alive = max(time.time() - started, 1e-3)
    disk = shutil.disk_usage(settings.DATA_DIR)
    free_percent = round(disk.free * 100 / disk.total, 1) if disk.total else 0.0
    return {
        "status": "ok" if free_percent >= DISK_FREE_MIN_PERCENT else "degraded",
        "pid": os.getpid(),
        "memory_rss_bytes": memory.rss,
        "memory_rss_mb": round(memory.rss / 2**20, 1),
        "cpu_seconds": round(cpu_seconds, 2),
        # Over the process's life, per core (a process using two cores fully shows 200).
        "cpu_percent": round(cpu_seconds * 100 / alive, 1),
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "uptime_seconds": int(alive),
        "disk_path": str(settings.DATA_DIR),
        "disk_total_bytes": disk.total,
        "disk_used_bytes": disk.used,
        "disk_free_bytes": disk.free,
        "disk_free_percent": free_percent,
    }


health_check_register("process", process_usage)
