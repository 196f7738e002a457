"""One scheduler at a time, and periodic jobs that never repeat inside their period.

Both live in the database every process shares (PostgreSQL in production, the SQLite
file in development), so they hold across machines and need no Redis.

- **The scheduler lease** (`scheduler_lease`): a beat runs jobs only while it holds the
  "scheduler" row: `holder` is its id, `at` when the lease ends. It renews the lease on
  every tick (compare-and-set on holder or an expired lease, timed by the database's
  clock, the one clock every machine shares); a second beat finds the lease held, sends
  nothing, logs that it waits (once a minute), writes the "scheduler-standby" row, and
  takes over within SCHEDULER_LEASE_SECONDS (a setting, 60 s by default) of the first one
  stopping. A clean stop releases the lease at once. /health/ reports the standby.
- **Job runs** (`periodic_run_claim`): a daily job claims its run with a compare-and-set on
  its "job:<name>" row; a beat restarted after a kill between sending the job and saving
  its last run, or two beats at once, find the claim taken and the job does nothing.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q
from django.db.models.functions import Now
from django.utils import timezone

from screening.models import Heartbeat

logger = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
STANDBY_NAME = "scheduler-standby"
JOB_PREFIX = "job:"


def lease_seconds() -> int:
    """How long a lease lasts without renewal: how soon a standby takes over from a beat
    that died (SCHEDULER_LEASE_SECONDS)."""
    return int(settings.SCHEDULER_LEASE_SECONDS)


def _database_now() -> Any:
    """The database server's clock, one for every machine: a beat on a machine whose clock
    runs ahead would otherwise find a live lease expired and take it over."""
    return ExpressionWrapper(Now(), output_field=DateTimeField())


def scheduler_lease(*, holder: str, now: datetime.datetime | None = None) -> bool:
    """Take or renew the scheduler lease for `holder`; whether it holds it now. The times
    are the database's (`now` is for tests)."""
    lease = datetime.timedelta(seconds=lease_seconds())
    until: Any = (
        now + lease
        if now is not None
        else ExpressionWrapper(Now() + lease, output_field=DateTimeField())
    )
    now_at: Any = now or _database_now()
    won = (
        Heartbeat.objects.filter(name=LEASE_NAME)
        .filter(Q(holder=holder) | Q(at__lt=now_at))
        .update(holder=holder, at=until)
    )
    if won:
        return True
    try:
        with transaction.atomic():
            Heartbeat.objects.create(name=LEASE_NAME, holder=holder, at=until)
    except IntegrityError:  # the row exists: another scheduler holds the lease
        Heartbeat.objects.update_or_create(
            name=STANDBY_NAME, defaults={"holder": holder, "at": now_at}
        )
        return False
    return True


def scheduler_lease_release(*, holder: str) -> None:
    """A clean stop: the lease ends now, so a standby takes over at its next tick."""
    ended = ExpressionWrapper(Now() - datetime.timedelta(seconds=1), output_field=DateTimeField())
    Heartbeat.objects.filter(name=LEASE_NAME, holder=holder).update(at=ended)


def scheduler_standby_seen(*, now: datetime.datetime | None = None) -> bool:
    """Whether a second scheduler waited for the lease within the last lease period."""
    window = datetime.timedelta(seconds=2 * lease_seconds())
    since: Any = (
        now - window
        if now is not None
        else ExpressionWrapper(Now() - window, output_field=DateTimeField())
    )
    return Heartbeat.objects.filter(name=STANDBY_NAME, at__gte=since).exists()


def periodic_run_claim(
    *, job: str, period: datetime.timedelta, now: datetime.datetime | None = None
) -> bool:
    """Claim this run of `job`: False when it already ran less than `period` ago."""
    now = now or timezone.now()
    name = JOB_PREFIX + job
    if Heartbeat.objects.filter(name=name, at__lte=now - period).update(at=now):
        return True
    try:
        with transaction.atomic():
            Heartbeat.objects.create(name=name, at=now)
    except IntegrityError:  # it ran inside the period (or another beat's copy just did)
        logger.warning("periodic job %s already ran within %s; not run again", job, period)
        return False
    return True
