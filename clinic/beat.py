"""The beat scheduler: django-celery-beat's DatabaseScheduler, one at a time.

A beat sends jobs only while it holds the scheduler lease (screening/domain/scheduler.py);
a second beat, on this machine or another, waits, says so in its log once a minute and in
/health/, and takes over within a minute of the first one stopping.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from django_celery_beat.schedulers import DatabaseScheduler

from screening.domain.scheduler import scheduler_lease, scheduler_lease_release

logger = logging.getLogger(__name__)

WAIT_SECONDS = 5.0  # a waiting beat tries the lease this often
MAX_TICK_SECONDS = 10.0  # the holder renews at least this often (the lease lasts 60 s)
WAIT_LOG_SECONDS = 60


class LockedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._holds = False
        self._waiting_logged_at = 0.0
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            holds = scheduler_lease(holder=self.holder)
        except Exception:  # the database is away: send nothing, try again soon
            logger.exception("scheduler lease not checked: the database did not answer")
            return WAIT_SECONDS
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
            return WAIT_SECONDS
        return min(super().tick(*args, **kwargs), MAX_TICK_SECONDS)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._holds:
                try:
                    scheduler_lease_release(holder=self.holder)
                except Exception:  # the lease ends by itself within a minute
                    logger.exception("scheduler lease not released")
