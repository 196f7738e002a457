"""A worker's lease on the reminder rows it holds, so a dispatch can tell a killed
worker's rows (recovered within about a minute) from a slow but alive one's
(docs/reminders.md, "Lost messages and killed workers")."""

from __future__ import annotations

import datetime
import logging
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone

from screening.models import Reminder

logger = logging.getLogger(__name__)

Status = Reminder.Status


class LeaseLost(Exception):
    """This worker's claim on a row was taken over (a dispatch took it for dead while
    the worker stalled): the message data must not go."""


def stamp_queued(reminder_ids: list[int], now: datetime.datetime) -> None:
    """The chunk's rows still queued: a worker holds them, alive now. A retry's future
    queued_at (when it is due) is left alone."""
    Reminder.objects.filter(pk__in=reminder_ids, status=Status.QUEUED, queued_at__lt=now).update(
        queued_at=now
    )


class Lease:
    """A worker's sign of life on the rows it holds (docs/reminders.md, "Lost messages
    and killed workers"): the chunk's rows not sent yet (queued_at) and the row being
    sent (sending_at, fenced by the claim's attempts). Taken when the chunk starts,
    renewed every third of REMINDER_LEASE_SECONDS by a thread while the chunk runs, so a
    slow but alive send (up to EMAIL_TIMEOUT per SMTP step) is never taken for a dead
    one; a killed worker's thread dies with it, and its rows' stamps age. The thread
    touches the database only in a chunk that lasts that long (its own connection)."""

    def __init__(self, reminder_ids: list[int]) -> None:
        self.reminder_ids = reminder_ids
        self.sending: tuple[int, int] | None = None  # (id, attempts) while a row is sent
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Lease:
        stamp_queued(self.reminder_ids, timezone.now())
        self._thread = threading.Thread(target=self._beat, name="reminder-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=settings.REMINDER_LEASE_SECONDS)

    def _beat(self) -> None:
        interval = settings.REMINDER_LEASE_SECONDS / 3
        if self._stop.wait(interval):
            return  # the usual chunk: done before the first beat, no connection opened
        try:
            while True:
                try:
                    self.renew(timezone.now())
                except Exception:  # a beat missed is retried; the lease allows two
                    logger.exception("reminder lease not renewed")
                if self._stop.wait(interval):
                    return
        finally:
            connection.close()  # this thread's own connection

    def renew(self, now: datetime.datetime) -> None:
        stamp_queued(self.reminder_ids, now)
        sending = self.sending
        if sending is not None:
            Reminder.objects.filter(
                pk=sending[0], status=Status.SENDING, attempts=sending[1]
            ).update(sending_at=now)
