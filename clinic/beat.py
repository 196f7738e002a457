"""The beat scheduler: django-celery-beat's DatabaseScheduler, one at a time.

A beat sends jobs only while it holds the scheduler lease (screening/domain/scheduler.py);
a second beat, on this machine or another, waits, says so in its log once a minute and in
/health/, and takes over within SCHEDULER_LEASE_SECONDS (a minute) of the first one dying,
at once after a clean stop.

A beat that takes the lease reads the schedule afresh from the database first: the other
beat saved each job's last run as it sent it (CELERY_BEAT_SYNC_EVERY = 1), while the
copy this one read when it started is as old as its start, and would send again at once
every job whose period has passed since then (a 5-minute job a minute after it ran).
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import time
import uuid
from typing import Any

from django_celery_beat.schedulers import DatabaseScheduler

from screening.domain.scheduler import lease_seconds, scheduler_lease, scheduler_lease_release

logger = logging.getLogger(__name__)

WAIT_FRACTION = 1 / 12  # a waiting beat tries the lease this often: 5 s of a 60 s lease
RENEW_FRACTION = 1 / 6  # the holder renews at least this often: every 10 s of a 60 s lease
WAIT_LOG_SECONDS = 60


class LockedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._holds = False
        self._waiting_logged_at = 0.0
        self.wait_seconds = lease_seconds() * WAIT_FRACTION
        self.max_tick_seconds = lease_seconds() * RENEW_FRACTION
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            holds = scheduler_lease(holder=self.holder)
        except Exception:  # the database is away: send nothing, try again soon
            logger.exception("scheduler lease not checked: the database did not answer")
            return self.wait_seconds
        if holds and not self._holds:
            self._schedule_reread()
        if holds != self._holds:
            logger.warning(
                "beat %s %s the scheduler lease",
                self.holder,
                "holds" if holds else "lost",
            )
            self._holds = holds
        if not holds:
            now = time.monotonic()
            if now - self._waiting_logged_at >= WAIT_LOG_SECONDS:
                logger.warning(
                    "beat %s waits: another beat holds the scheduler lease (one beat at a time)",
                    self.holder,
                )
                self._waiting_logged_at = now
            return self.wait_seconds
        return min(super().tick(*args, **kwargs), self.max_tick_seconds)

    def _schedule_reread(self) -> None:
        """The jobs and their last runs as the database has them now (see the module
        docstring). What this beat had not saved yet is dropped: it would overwrite the
        newer last runs of the beat that held the lease meanwhile."""
        self._dirty.clear()
        self._schedule = self.all_as_schedule()
        self._last_full_sync = datetime.datetime.now()  # django-celery-beat's own clock
        self._heap = None  # Scheduler.tick orders the jobs again

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._holds:
                try:
                    scheduler_lease_release(holder=self.holder)
                except Exception:  # the lease ends by itself within a minute
                    logger.exception("scheduler lease not released")
