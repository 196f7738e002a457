"""Dispatch (`tasks.reminders_dispatch`, every minute): hand due rows to the workers.

In one transaction: recover rows left in sending by a worker that is gone (its lease ran
out: sent again if the message data never began to go, otherwise failed, never resent:
we cannot know whether SMTP took them), re-enqueue rows whose queue message was lost
(lease run out and nothing waiting in the broker), move due patient rows outside the
email hours to the next window, and claim due rows with one compare-and-set update from
pending to queued. After the transaction commits, the ids are published as
`reminders_send` tasks of REMINDER_SEND_CHUNK ids; rows the broker would not take go
back to pending.

The lease (REMINDER_LEASE_SECONDS, docs/reminders.md "Lost messages and killed
workers"): a worker stamps the rows of the chunk it takes (queued_at) and the row it is
sending (sending_at), and a heartbeat thread renews both while the chunk runs
(`lease.Lease`). A row whose stamp is older than the lease has no live worker.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import ChannelError
from kombu.exceptions import OperationalError as KombuOperationalError

from screening.models import Reminder
from screening.reminders.hours import in_patient_email_hours, next_patient_email_window
from screening.reminders.rows import (
    INTERRUPTED,
    PATIENT_KINDS,
    reminder_table,
    smtp_backend_in_use,
)

logger = logging.getLogger(__name__)

Status = Reminder.Status

# The task that sends a chunk, published by its name: screening/tasks.py imports this
# module for the dispatch task, so this module cannot import the task back. The app
# registers the tasks at start-up (ScreeningConfig.ready); `.delay` runs the task at once
# in eager mode (tests), as it would with the task object itself.
SEND_TASK = "screening.tasks.reminders_send"


@dataclass(frozen=True)
class Dispatched:
    claimed: int  # pending -> queued and enqueued
    requeued: int  # queued too long: enqueued again
    interrupted: int  # sending too long: failed, not resent
    deferred: int  # patient emails moved to the next sending window


def _enqueue(reminder_ids: list[int], queued_at: datetime.datetime) -> None:
    """Hand rows to the workers once the transaction that queued them has committed."""
    if reminder_ids:
        transaction.on_commit(partial(_publish, list(reminder_ids), queued_at))


def chunked(ids: list[int], size: int) -> list[list[int]]:
    size = max(size, 1)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


# What a publish raises when the broker cannot be reached (kombu wraps the transport's
# connection errors in OperationalError). Anything else is a bug and propagates, also in
# eager mode (tests), where the task runs inside `delay`.
BROKER_ERRORS = (KombuOperationalError, OSError)


def _publish(reminder_ids: list[int], queued_at: datetime.datetime) -> None:
    """Publish `reminders_send` tasks of REMINDER_SEND_CHUNK ids each. If the broker
    refuses one (an outage), the rows not handed over go back to pending at once, so the
    next dispatch takes them, instead of waiting in queued to be found lost."""
    reminders_send = current_app.tasks[SEND_TASK]
    chunks = chunked(reminder_ids, settings.REMINDER_SEND_CHUNK)
    for index, chunk in enumerate(chunks):
        try:
            reminders_send.delay(chunk)
        except BROKER_ERRORS as error:
            left = [pk for rest in chunks[index:] for pk in rest]
            # Compare-and-set: a row a worker took after all (the publish raised late) is
            # not in queued any more and stays with that worker.
            released = Reminder.objects.filter(
                pk__in=left, status=Status.QUEUED, queued_at=queued_at
            ).update(status=Status.PENDING, queued_at=None)
            logger.error(
                "broker unreachable (%s): %s reminders not enqueued, %s back to pending",
                type(error).__name__,
                len(left),
                released,
            )
            return


def reminders_send_soon(reminder_ids: list[int]) -> None:
    """Hand these pending rows to a worker as soon as the caller's transaction commits,
    instead of at the next dispatch: for an email the patient is waiting for (the
    confirmation). The claim is the dispatch's compare-and-set (pending -> queued), so a
    row a dispatch took first is left to it; a broker that refuses puts the row back in
    pending (`_publish`), and anything else going wrong here is logged, not raised
    (robust): the submission is stored, and the next dispatch sends the row."""
    if not reminder_ids:
        return
    ids = list(reminder_ids)

    def hand_over() -> None:  # not a partial: a robust callback's error names its __qualname__
        _claim_and_publish(ids)

    transaction.on_commit(hand_over, robust=True)


def _claim_and_publish(reminder_ids: list[int]) -> None:
    now = timezone.now()
    won = [
        pk
        for pk in reminder_ids
        if Reminder.objects.filter(pk=pk, status=Status.PENDING).update(
            status=Status.QUEUED, queued_at=now
        )
    ]
    if won:
        _publish(won, now)


def queued_count() -> int:
    """Rows claimed and handed to the workers, not yet taken: the workers' backlog."""
    return Reminder.objects.filter(status=Status.QUEUED).count()


def lease() -> datetime.timedelta:
    """How long a row's stamp (queued_at, sending_at) vouches for a live worker or a
    waiting message: the heartbeat renews it every third of this (lease.Lease)."""
    return datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)


def sending_stale_after() -> datetime.timedelta:
    """A row in sending whose stamp is older than the lease: its worker is gone (the
    heartbeat of a live one, however slow its send, renews the stamp)."""
    return lease()


def broker_waiting() -> int | None:
    """Messages waiting in the broker's reminder queue, not yet taken by a worker; None
    when the broker cannot be asked. Eager mode (tests) keeps none waiting."""
    if current_app.conf.task_always_eager:
        return 0
    queue = current_app.conf.task_default_queue
    try:
        with current_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            try:
                channel: Any = conn.default_channel  # kombu's virtual channel (Redis)
                return int(channel.queue_declare(queue=queue, passive=True).message_count)
            except ChannelError:  # Redis: an empty queue is no key at all
                return 0
    except BROKER_ERRORS as error:
        logger.warning("broker queue not read (%s): lost messages not looked for", error)
        return None


def _fail_interrupted(now: datetime.datetime) -> int:
    """Rows left in sending by a worker that is gone (lease run out). Over SMTP, one
    whose message data never began to go (`data_started_at` empty: killed while
    connecting or before DATA) never reached the server: it goes back to pending, to be
    sent again (while attempts remain); the claim's attempts fence a worker thought dead
    that wakes up (`delivery._data_started`). Any other may have reached the patient:
    failed, never resent automatically."""
    stale = Reminder.objects.filter(
        status=Status.SENDING, sending_at__lt=now - sending_stale_after()
    )
    if smtp_backend_in_use():
        never_sent = stale.filter(data_started_at__isnull=True)
        again = list(
            never_sent.filter(attempts__lt=settings.REMINDER_MAX_ATTEMPTS).values_list(
                "pk", "public_id"
            )
        )
        Reminder.objects.filter(pk__in=[pk for pk, _ in again], status=Status.SENDING).update(
            status=Status.PENDING, due_at=now
        )
        for _pk, public_id in again:
            logger.warning("reminder %s stopped before its data was sent; sent again", public_id)
        never_sent.update(
            status=Status.FAILED,
            failure=Reminder.Failure.RETRIES_RAN_OUT,
            last_error="stopped before the message was sent; attempts ran out",
        )
    ids = list(stale.values_list("public_id", flat=True))
    count = stale.update(
        status=Status.FAILED, failure=Reminder.Failure.MAY_HAVE_REACHED, last_error=INTERRUPTED
    )
    for public_id in ids:
        logger.warning("reminder %s interrupted while sending; marked failed", public_id)
    return count


# Lost rows enqueued again by one dispatch, at most: a broker that restarted empty under
# a backlog of 10,000 gets them all back at once, not one batch a minute.
REQUEUE_MAX_BATCHES = 100


def _requeue_lost(now: datetime.datetime) -> list[int]:
    """Rows whose queue message was lost get a fresh queued_at; their ids. A row in
    queued is accounted for while its stamp is within the lease (a worker took its chunk
    and beats, or a retry's countdown runs: queued_at is then when it is due), or while
    messages wait in the broker (a backlog: its rows wait their turn, in order). Older,
    with nothing waiting: its message is gone (a broker restarted empty, a worker killed
    holding it). One statement, the compare-and-set on status and the stale stamp."""
    cutoff = now - lease()
    stale = Reminder.objects.filter(status=Status.QUEUED, queued_at__lt=cutoff)
    if not stale.exists():
        return []
    waiting = broker_waiting()
    if waiting != 0:
        return []  # a backlog (its rows go in turn) or a broker we cannot read
    table = reminder_table()
    queued = Status.QUEUED.value
    at, before = (connection.ops.adapt_datetimefield_value(t) for t in (now, cutoff))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH lost AS MATERIALIZED (SELECT id FROM {table}"  # noqa: S608 - names only
            " WHERE status = %s AND queued_at < %s ORDER BY queued_at, id LIMIT %s)"
            f" UPDATE {table} SET queued_at = %s"
            " WHERE status = %s AND queued_at < %s AND id IN (SELECT id FROM lost)"
            " RETURNING id, public_id",
            [
                queued,
                before,
                settings.REMINDER_BATCH_SIZE * REQUEUE_MAX_BATCHES,
                at,
                queued,
                before,
            ],
        )
        requeued = sorted(cursor.fetchall())
    for _pk, public_id in requeued:
        logger.warning("reminder %s: its queue message was lost; enqueued again", public_id)
    return [pk for pk, _public_id in requeued]


def _defer_outside_hours(now: datetime.datetime) -> int:
    """Outside the patient email hours, due patient emails wait for the next window."""
    if in_patient_email_hours(now):
        return 0
    return Reminder.objects.filter(
        status=Status.PENDING, due_at__lte=now, kind__in=PATIENT_KINDS
    ).update(due_at=next_patient_email_window(now))


def _claim_due(now: datetime.datetime) -> list[int]:
    """Move up to REMINDER_BATCH_SIZE due pending rows, oldest first, to queued in one
    statement; the ids this run won. The UPDATE is the compare-and-set (status = pending,
    re-checked on each row it changes). On PostgreSQL the rows are picked FOR UPDATE SKIP
    LOCKED, so concurrent dispatchers take different rows instead of waiting; SQLite runs
    one write at a time. The pick is a MATERIALIZED CTE: as `id IN (SELECT ... LIMIT)`,
    PostgreSQL may run the subquery again and claim more than the batch."""
    table = reminder_table()
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    at = connection.ops.adapt_datetimefield_value(now)
    pending, queued = Status.PENDING.value, Status.QUEUED.value
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH picked AS MATERIALIZED (SELECT id FROM {table}"  # noqa: S608 - names only
            f" WHERE status = %s AND due_at <= %s ORDER BY due_at, id LIMIT %s{lock})"
            f" UPDATE {table} SET status = %s, queued_at = %s"
            " WHERE status = %s AND id IN (SELECT id FROM picked) RETURNING id",
            [pending, at, settings.REMINDER_BATCH_SIZE, queued, at, pending],
        )
        return sorted(row[0] for row in cursor.fetchall())


def reminders_dispatch(*, now: datetime.datetime | None = None) -> Dispatched:
    """Claim up to REMINDER_BATCH_SIZE due rows and enqueue them after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        interrupted = _fail_interrupted(now)
        requeued = _requeue_lost(now)
        deferred = _defer_outside_hours(now)
        claimed = _claim_due(now)
        _enqueue(requeued + claimed, now)
    if claimed or requeued or interrupted:
        logger.info(
            "reminders dispatched: %s claimed, %s requeued, %s interrupted, %s deferred",
            len(claimed),
            len(requeued),
            interrupted,
            deferred,
        )
    return Dispatched(
        claimed=len(claimed), requeued=len(requeued), interrupted=interrupted, deferred=deferred
    )
