"""GET /health/: can this instance do its work? For a load balancer or an uptime monitor.

Public and JSON, with no personal data: each check says whether it passed and, when it
did not, the error's class name (never its message, which may carry a host name or a
password). 200 when every check passes, 503 otherwise.

| check    | passes when                                                                 |
|----------|-----------------------------------------------------------------------------|
| database | `SELECT 1` on the default database answers 1                                |
| cache    | a value written to the default cache reads back the same                    |
| broker   | a connection to the Celery broker opens (one retry, HEALTH_BROKER_TIMEOUT_SECONDS) |
| beat     | the heartbeat row is younger than HEALTH_BEAT_MAX_AGE_SECONDS               |

The beat check also says `"standby_scheduler": true` when a second beat waited for the
scheduler lease in the last two minutes (screening/domain/scheduler.py): it sends nothing
while the first runs, but two were started, which is worth knowing.

The heartbeat: beat sends `beat_heartbeat` (screening/tasks.py) every minute
(screening/schedules.py) and a worker runs it, so a fresh row means beat, the broker and a
worker all work.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from screening.domain.scheduler import scheduler_standby_seen
from screening.models import Heartbeat

HEARTBEAT_NAME = "beat"
CACHE_KEY = "health:probe"


class CheckFailed(Exception):
    """A check ran but the answer was wrong (the message is ours, never a server's)."""


def heartbeat_record() -> str:
    """Record that beat sent a job and a worker ran it (the `beat_heartbeat` task)."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=HEARTBEAT_NAME, defaults={"at": now})
    return now.isoformat()


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise CheckFailed("unexpected answer")
    return {}


def check_cache() -> dict:
    """A key of this probe's own: with one key, two nodes (or two web processes) probing
    at once overwrote each other's value between the write and the read, and one failed."""
    key = f"{CACHE_KEY}:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=30)
    read = cache.get(key)
    cache.delete(key)
    if read != value:
        raise CheckFailed("value not read back")
    return {}


def check_broker() -> dict:
    timeout = settings.HEALTH_BROKER_TIMEOUT_SECONDS
    with current_app.connection_for_write(connect_timeout=timeout) as broker:
        # kombu annotates the intervals as int; they are seconds, and it sleeps fractions.
        broker.ensure_connection(
            max_retries=1,
            interval_start=0,
            interval_step=0.2,  # type: ignore[arg-type]
            interval_max=0.2,  # type: ignore[arg-type]
            timeout=timeout,
        )
    return {}


def check_beat() -> dict:
    """The heartbeat's age in whole seconds; failed when missing or too old."""
    at = Heartbeat.objects.filter(name=HEARTBEAT_NAME).values_list("at", flat=True).first()
    standby = {"standby_scheduler": scheduler_standby_seen()}  # said when failing too
    if at is None:
        raise CheckFailed("no heartbeat recorded yet", standby)
    age = max(0, int((timezone.now() - at).total_seconds()))
    if age > settings.HEALTH_BEAT_MAX_AGE_SECONDS:
        raise CheckFailed(
            f"heartbeat older than {settings.HEALTH_BEAT_MAX_AGE_SECONDS} seconds",
            {"age_seconds": age, **standby},
        )
    return {"age_seconds": age, **standby}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "beat": check_beat,
}


def _run(check: Callable[[], dict]) -> dict:
    try:
        return {"ok": True, **check()}
    except CheckFailed as failure:
        extra = failure.args[1] if len(failure.args) > 1 else {}
        return {"ok": False, "error": failure.args[0], **extra}
    except Exception as error:  # any failure is a failed check, named by its class only
        return {"ok": False, "error": type(error).__name__}


def health_report() -> dict:
    checks = {name: _run(check) for name, check in CHECKS.items()}
    failed = [name for name, result in checks.items() if not result["ok"]]
    return {"status": "fail" if failed else "ok", "failed": failed, "checks": checks}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=503 if report["failed"] else 200)
