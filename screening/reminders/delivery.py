"""Delivery: sending claimed reminders, each at most once (`tasks.reminders_send`,
`tasks.reminder_send`), and the staff's retry of a failed one.

`reminders_deliver` sends a chunk's ids one by one over one SMTP connection (`Mailer`),
holding a lease on the chunk's rows that a heartbeat thread renews (`Lease`);
it reads the chunk's rows with the re-check's lookups in one query (`ChunkRows`, again
once that read is RECHECK_MAX_AGE_SECONDS old); for each id, `_deliver` wins the row with
a compare-and-set update from queued to sending, re-checks that the reason still holds
(`recheck.cancel_reason`), and sends. A second delivery of the same id finds the row no
longer queued and sends nothing. A transient SMTP error puts the row back in queued for a
retry after its backoff; anything else fails it.

Logs name reminders by public id only: never an address, a name or a token.
"""

from __future__ import annotations

import datetime
import logging
import re
import smtplib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection
from django.db.models import F
from django.utils import timezone

from screening.models import Reminder
from screening.reminders import emails
from screening.reminders.clinic_values import chunk_clinic_values
from screening.reminders.digest import digest_numbers, digest_tasks
from screening.reminders.hours import in_patient_email_hours, next_patient_email_window
from screening.reminders.lease import Lease, LeaseLost
from screening.reminders.mailer import Mailer
from screening.reminders.recheck import cancel_reason, for_sending
from screening.reminders.rows import (
    INTERRUPTED,
    NO_ANSWER_AFTER_DATA,
    PATIENT_KINDS,
    reminder_table,
)

logger = logging.getLogger(__name__)

Kind = Reminder.Kind
Status = Reminder.Status

RETRY_BACKOFF_MAX_SECONDS = 5 * 60  # the backoff starts at REMINDER_RETRY_BACKOFF_SECONDS

# A reminder is re-checked against data read at most this long before its send: the
# chunk's rows are read once and read again (for the ids not reached yet) once that read
# is older than this (a slow SMTP server). docs/reminders.md, "What is re-checked".
RECHECK_MAX_AGE_SECONDS = 1.0


@dataclass(frozen=True)
class Delivery:
    outcome: str  # skipped, cancelled, deferred, sent, retry, failed
    retry_in: int | None = None  # seconds, for outcome "retry"
    # A non-SMTP error mid-send (a time limit, a crash in the backend): send no more in
    # this run (the rest go to a new task).
    interrupted: bool = False


@dataclass
class Batch:
    """What `reminders_deliver` did with a list of ids."""

    outcomes: Counter[str] = field(default_factory=Counter)  # outcome -> how many
    retry: dict[int, list[int]] = field(default_factory=dict)  # seconds -> ids to try then
    unsent: list[int] = field(default_factory=list)  # not reached: for a new task, at once


# ---------------------------------------------------------------------------
# Errors and retries
# ---------------------------------------------------------------------------

EMAIL_ADDRESS = re.compile(r"[^\s<>()\[\],;:'\"]+@[^\s<>()\[\],;:'\"]+")


def error_text(error: BaseException) -> str:
    """What to store in last_error: the error's class and message, addresses removed."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _message in error.recipients.values()})
        text = f"recipient refused ({', '.join(str(code) for code in codes)})"
    else:
        text = str(error)
    text = EMAIL_ADDRESS.sub("<address>", text)
    return f"{type(error).__name__}: {text}"[:500]


def _smtp_codes(error: BaseException) -> list[int]:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return [code for code, _message in error.recipients.values()]
    code = getattr(error, "smtp_code", None)
    return [code] if isinstance(code, int) else []


def is_transient(error: BaseException) -> bool:
    """Worth trying again soon: the connection dropped or could not be made, or the
    server answered with a 4xx (temporary) code. 5xx codes are permanent."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    codes = _smtp_codes(error)
    if codes:
        return all(400 <= code < 500 for code in codes)
    # No SMTP code: a network error (refused, reset, timeout, DNS) is transient.
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def retry_backoff(attempts: int) -> int:
    """Seconds before attempt `attempts + 1`: REMINDER_RETRY_BACKOFF_SECONDS, doubled for
    each further attempt (30, 60, 120, 240 by default), at most 5 minutes."""
    first = settings.REMINDER_RETRY_BACKOFF_SECONDS
    return min(first * 2 ** max(attempts - 1, 0), RETRY_BACKOFF_MAX_SECONDS)


def _message(reminder: Reminder, now: datetime.datetime) -> EmailMessage:
    if reminder.kind == Kind.DIGEST:
        today = timezone.localdate(now)
        return emails.digest(
            reminder, **digest_numbers(now), **digest_tasks(reminder.staff_user_id, today)
        )
    builders: dict[str, Callable[[Reminder], EmailMessage]] = {
        Kind.FOLLOW_UP: emails.follow_up,
        Kind.BLOOD_TEST: emails.blood_test,
        Kind.UNFINISHED_INTAKE: emails.unfinished_intake,
        Kind.CONFIRMATION: emails.confirmation,
        Kind.INTAKE_SAVED: emails.unfinished_intake,  # its own templates, the same link
        Kind.ESCALATION: emails.escalation,
        Kind.CLINIC_MESSAGE: emails.clinic_message,
        Kind.URGENT_NEW: emails.urgent_new,
    }
    return builders[reminder.kind](reminder)


# ---------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------


class ChunkRows:
    """The rows of a chunk for `_deliver`, read with the first row this worker wins and
    again whenever that read is older than RECHECK_MAX_AGE_SECONDS."""

    def __init__(self, reminder_ids: list[int]) -> None:
        self.reminder_ids = reminder_ids
        self.rows: dict[int, Reminder] = {}
        self.read_at: float | None = None
        # A row SMTP accepted whose `sent` is written with the next claim (`_claim`), or
        # by `flush_sent` at the end of the chunk: one statement fewer per email.
        self.sent: tuple[Reminder, datetime.datetime] | None = None

    def take_sent(self) -> tuple[Reminder, datetime.datetime] | None:
        sent, self.sent = self.sent, None
        return sent

    def flush_sent(self) -> None:
        sent = self.take_sent()
        if sent is not None:
            _finish_sent(*sent)

    def get(self, index: int) -> Reminder:
        reminder_id = self.reminder_ids[index]
        if self.read_at is None or time.monotonic() - self.read_at > RECHECK_MAX_AGE_SECONDS:
            self.read_at = time.monotonic()  # the age counts from before the read
            self.rows = for_sending().in_bulk(self.reminder_ids[index:])
        reminder = self.rows.pop(reminder_id, None)  # an id listed twice: read again
        if reminder is None:
            reminder = for_sending().get(pk=reminder_id)
        return reminder


def _claim(
    reminder_id: int,
    now: datetime.datetime,
    sent: tuple[Reminder, datetime.datetime] | None = None,
) -> int | None:
    """The compare-and-set queued -> sending of one row (plain SQL: the ORM's update
    costs more to build than to run); the row's attempts after it, or None when another
    worker has the row or it is done. `sent`: the previous row of the chunk, accepted by
    SMTP, written `sent` by the same statement before this claim can take effect (on
    PostgreSQL a data-modifying WITH, one round trip and one commit; elsewhere two
    statements), so a chunk still has at most one row in doubt at a time."""
    claim = (
        f"UPDATE {reminder_table()} SET status = %s, sending_at = %s,"  # noqa: S608 - names only
        " data_started_at = NULL, attempts = attempts + 1"
        " WHERE id = %s AND status = %s RETURNING attempts"
    )
    params = [
        Status.SENDING.value,
        connection.ops.adapt_datetimefield_value(now),
        reminder_id,
        Status.QUEUED.value,
    ]
    if sent is not None and connection.vendor == "postgresql":
        sent_sql, sent_params = _sent_statement(*sent)
        claim, params = f"WITH sent AS ({sent_sql}) {claim}", sent_params + params
    elif sent is not None:
        _finish_sent(*sent)
    with connection.cursor() as cursor:
        cursor.execute(claim, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def _sent_statement(reminder: Reminder, sent_at: datetime.datetime) -> tuple[str, list[Any]]:
    return (
        f"UPDATE {reminder_table()} SET status = %s, sent_at = %s, last_error = %s"  # noqa: S608 - names only
        " WHERE id = %s AND status = %s AND attempts = %s",
        [
            Status.SENT.value,
            connection.ops.adapt_datetimefield_value(sent_at),
            "",
            reminder.pk,
            Status.SENDING.value,
            reminder.attempts,
        ],
    )


def _finish_sent(reminder: Reminder, sent_at: datetime.datetime) -> None:
    """`_finish(status=sent, sent_at=..., last_error="")` in plain SQL (the usual end)."""
    with connection.cursor() as cursor:
        cursor.execute(*_sent_statement(reminder, sent_at))


def _finish(reminder: Reminder, **fields: Any) -> None:
    """Leave the sending state; only the worker that won the row gets here (its claim's
    attempts: not a worker whose row was taken over while it stalled)."""
    Reminder.objects.filter(
        pk=reminder.pk, status=Status.SENDING, attempts=reminder.attempts
    ).update(**fields)


def _data_started(reminder: Reminder) -> None:
    """Record, before the message data goes to the server, that it is about to: from now
    on a send cut short may have reached the patient (committed at once: autocommit).
    A compare-and-set on the claim's attempts: if a dispatch took the row for dead while
    this worker stalled (and another may be sending it), LeaseLost, and no data goes."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {reminder_table()} SET data_started_at = %s"  # noqa: S608 - names only
            " WHERE id = %s AND status = %s AND attempts = %s",
            [
                connection.ops.adapt_datetimefield_value(timezone.now()),
                reminder.pk,
                Status.SENDING.value,
                reminder.attempts,
            ],
        )
        if cursor.rowcount != 1:
            raise LeaseLost(str(reminder.public_id))


def reminders_deliver(*, reminder_ids: list[int], budget: float | None = None) -> Batch:
    """Send claimed reminders one by one over one email connection. Each id is claimed,
    re-checked, sent and recorded on its own, exactly as `reminder_deliver` does: the
    guarantees hold per reminder. The rows and the re-check's lookups are read for the
    chunk at once (`ChunkRows`). Stops early, leaving the rest in `unsent`, after a
    send interrupted by a non-SMTP error or once `budget` seconds have passed."""
    batch = Batch()
    deadline = None if budget is None else time.monotonic() + budget
    rows = ChunkRows(list(reminder_ids))
    with (
        Lease(list(reminder_ids)) as lease,
        Mailer() as mailer,
        chunk_clinic_values(RECHECK_MAX_AGE_SECONDS),
    ):
        try:
            for index, reminder_id in enumerate(reminder_ids):
                if deadline is not None and time.monotonic() > deadline:
                    batch.unsent = list(reminder_ids[index:])
                    break
                delivery = _deliver(rows, index, mailer, lease)
                batch.outcomes[delivery.outcome] += 1
                if delivery.retry_in is not None:
                    batch.retry.setdefault(delivery.retry_in, []).append(reminder_id)
                if delivery.interrupted:
                    batch.unsent = list(reminder_ids[index + 1 :])
                    break
        finally:
            rows.flush_sent()
    return batch


def reminder_deliver(*, reminder_id: int) -> Delivery:
    """Send one claimed reminder, at most once. Safe to call any number of times."""
    rows = ChunkRows([reminder_id])
    with Lease([reminder_id]) as lease, Mailer() as mailer:
        try:
            return _deliver(rows, 0, mailer, lease)
        finally:
            rows.flush_sent()


def _deliver(rows: ChunkRows, index: int, mailer: Mailer, lease: Lease) -> Delivery:
    try:
        return _deliver_claimed(rows, index, mailer, lease)
    finally:
        lease.sending = None


def _deliver_claimed(rows: ChunkRows, index: int, mailer: Mailer, lease: Lease) -> Delivery:
    now = timezone.now()
    # The claim comes first and is this row's own, right before its send: a row another
    # worker took, or one cancelled, since the chunk began is skipped.
    attempts = _claim(rows.reminder_ids[index], now, rows.take_sent())
    if attempts is None:
        return Delivery("skipped")  # another worker has it, or it is done
    lease.sending = (rows.reminder_ids[index], attempts)
    reminder = rows.get(index)
    reminder.status, reminder.sending_at, reminder.attempts = Status.SENDING, now, attempts

    reason = cancel_reason(reminder, now)
    if reason:
        _finish(reminder, status=Status.CANCELLED, cancelled_reason=reason)
        logger.info("reminder %s cancelled: %s", reminder.public_id, reason)
        return Delivery("cancelled")
    if reminder.kind in PATIENT_KINDS and not in_patient_email_hours(now):
        # A late or retried message outside the hours: wait for the next window.
        _finish(
            reminder,
            status=Status.PENDING,
            due_at=next_patient_email_window(now),
            attempts=F("attempts") - 1,
        )
        return Delivery("deferred")

    try:
        message = _message(reminder, now)
    except Exception as error:  # a bug or a missing route: visible on the dashboard
        logger.exception("reminder %s could not be built", reminder.public_id)
        _finish(
            reminder,
            status=Status.FAILED,
            failure=Reminder.Failure.NOT_BUILT,
            last_error=error_text(error),
        )
        return Delivery("failed")

    try:
        mailer.send(message, on_data=lambda: _data_started(reminder))
    except LeaseLost:
        mailer.close()
        logger.warning("reminder %s was taken over while this worker stalled", reminder.public_id)
        return Delivery("skipped")
    except Exception as error:
        data_started = mailer.data_started
        mailer.close()
        return _after_error(reminder, error, now, data_started=data_started)
    rows.sent = (reminder, timezone.now())  # written with the next claim, or at the end
    logger.info("reminder %s sent", reminder.public_id)
    return Delivery("sent")


def _after_error(
    reminder: Reminder, error: Exception, now: datetime.datetime, *, data_started: bool | None
) -> Delivery:
    """`data_started`: whether the message data began to go to the SMTP server (None:
    not SMTP, unknown). A server's explicit answer (a code) is believed whenever it came."""
    text = error_text(error)
    answered = bool(_smtp_codes(error))
    stop_chunk = not isinstance(error, OSError)  # a time limit, a crash: no more this run
    if data_started and not answered:
        # The data went out and no answer came (a timeout, a dropped connection, a kill):
        # the server may have taken it. Never resend automatically (docs/reminders.md).
        logger.error(
            "reminder %s: no answer after the message data; may have reached the patient",
            reminder.public_id,
        )
        _finish(
            reminder,
            status=Status.FAILED,
            failure=Reminder.Failure.MAY_HAVE_REACHED,
            last_error=f"{NO_ANSWER_AFTER_DATA} ({type(error).__name__})",
        )
        return Delivery("failed", interrupted=stop_chunk)
    never_sent = data_started is False and not isinstance(error, smtplib.SMTPException)
    if never_sent or (isinstance(error, OSError) and is_transient(error)):
        # Before DATA (connection refused, a crash before the data went) or a 4xx: safe.
        if reminder.attempts < settings.REMINDER_MAX_ATTEMPTS:
            wait = retry_backoff(reminder.attempts)
            # queued_at: when the retry is due; the lease runs from then (dispatch).
            due = now + datetime.timedelta(seconds=wait)
            _finish(reminder, status=Status.QUEUED, queued_at=due, last_error=text)
            logger.warning("reminder %s: transient error, retry in %ss", reminder.public_id, wait)
            return Delivery("retry", retry_in=wait, interrupted=stop_chunk)
        logger.error("reminder %s failed after %s attempts", reminder.public_id, reminder.attempts)
        _finish(
            reminder,
            status=Status.FAILED,
            failure=Reminder.Failure.RETRIES_RAN_OUT,
            last_error=text,
        )
        return Delivery("failed", interrupted=stop_chunk)
    if isinstance(error, smtplib.SMTPException):  # a permanent (5xx) answer
        logger.error("reminder %s failed permanently", reminder.public_id)
        _finish(reminder, status=Status.FAILED, failure=Reminder.Failure.REFUSED, last_error=text)
        return Delivery("failed")
    # Anything else mid-send with a backend that is not SMTP (nothing watched): it may or
    # may not have taken the message. Never resend automatically.
    logger.error("reminder %s interrupted while sending", reminder.public_id)
    _finish(
        reminder,
        status=Status.FAILED,
        failure=Reminder.Failure.MAY_HAVE_REACHED,
        last_error=f"{INTERRUPTED} ({type(error).__name__})",
    )
    return Delivery("failed", interrupted=True)
