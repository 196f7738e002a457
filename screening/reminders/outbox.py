"""Reminders: every email is an outbox row before anything is sent (docs/reminders.md).

Scheduling (call inside the transaction of the event that causes the reminder):
- `reminder_schedule_follow_up`, `reminder_schedule_blood_test`: from `review_record`.
- `reminder_schedule_unfinished_intake`: when a patient saves an intake to finish later.
- `reminders_schedule_escalations`, `reminders_schedule_digest`: periodic, for staff.

Each row's `key` is unique per cause, so scheduling twice stores once.

Sending:
- `reminders_dispatch` (every minute) claims due rows with one compare-and-set update
  from pending to queued and, after the transaction commits, enqueues
  `tasks.reminders_send` with REMINDER_SEND_CHUNK ids a task (rows the broker would not
  take go back to pending). It also re-enqueues rows queued for too long (a lost
  message) and fails rows left in sending by a killed worker (never resent: we cannot
  know whether SMTP took them).
- `reminders_deliver` (the body of `tasks.reminders_send`) sends the ids one by one over
  one SMTP connection; it reads the chunk's rows with the re-check's lookups in one
  query (again once that read is RECHECK_MAX_AGE_SECONDS old); for each id, `_deliver`
  wins the row with a compare-and-set update from queued to sending, re-checks that the
  reason still holds, and sends. A second delivery of the same id finds the row no
  longer queued and sends nothing.
  `reminder_deliver` (`tasks.reminder_send`) does the same for one id.

Logs name reminders by public id only: never an address, a name or a token.
"""

from __future__ import annotations

import datetime
import logging
import re
import smtplib
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef
from django.db.models.functions import Trim
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from screening.accounts import roles
from screening.engine import contract
from screening.models import (
    EmailOptOut,
    IntakeDraft,
    LabResult,
    Reminder,
    Review,
    Submission,
)
from screening.reminders import emails

logger = logging.getLogger(__name__)

Kind = Reminder.Kind
Status = Reminder.Status

PATIENT_KINDS = (Kind.FOLLOW_UP, Kind.BLOOD_TEST, Kind.UNFINISHED_INTAKE)
STAFF_KINDS = (Kind.ESCALATION, Kind.DIGEST)
# A lab result of one of these, arriving after the order, makes the reminder unnecessary.

# A row queued this long ago whose task has not started was lost (e.g. a broker restart):
# enqueue it again. Longer than the longest retry backoff below, so a row waiting for its
# retry is not enqueued twice (a second message would be harmless anyway: CAS).
QUEUED_LOST_AFTER = datetime.timedelta(minutes=10)
RETRY_BACKOFF_MAX_SECONDS = 5 * 60  # the backoff starts at REMINDER_RETRY_BACKOFF_SECONDS
INTERRUPTED = "interrupted while sending; check before retrying"

# cancelled_reason values
CANCELLED_NO_CONSENT = "no_contact_consent"
CANCELLED_UNSUBSCRIBED = "unsubscribed"
CANCELLED_CASE_CLOSED = "case_closed"
CANCELLED_FOLLOW_UP_DONE = "follow_up_done"
CANCELLED_LAB_RESULT_IN = "lab_result_in"
CANCELLED_DRAFT_SUBMITTED = "draft_submitted"
CANCELLED_DRAFT_EXPIRED = "draft_expired"
CANCELLED_NO_LONGER_NEW = "no_longer_waiting"
CANCELLED_NOT_ON_DUTY = "not_on_duty"
CANCELLED_NO_ADDRESS = "no_address"


# ---------------------------------------------------------------------------
# Clinic time
# ---------------------------------------------------------------------------


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _later(moment: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
    """`moment` + `delta` on the clinic's wall clock: a follow-up eight weeks after a
    10:00 decision is at 10:00, whether or not the clocks changed in between."""
    # Arithmetic on an aware datetime keeps the wall time; ZoneInfo then gives the UTC
    # offset in force on the new date.
    return timezone.localtime(moment, clinic_zone()) + delta


def patient_email_hours() -> tuple[datetime.time, datetime.time | None]:
    """PATIENT_EMAIL_HOURS ("08:00-20:00") as (start, end), clinic time.

    The end may be "24:00", the end of the day, returned as None: "00:00-24:00" is always.
    """
    hours = settings.PATIENT_EMAIL_HOURS
    if hours.split("-")[0].strip() == "24:00":
        raise ImproperlyConfigured(
            f"PATIENT_EMAIL_HOURS may end at 24:00 but not start there (use 00:00): {hours!r}"
        )
    try:
        start_text, end_text = (part.strip() for part in hours.split("-"))
        start = datetime.time.fromisoformat(start_text)
        end = None if end_text == "24:00" else datetime.time.fromisoformat(end_text)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"PATIENT_EMAIL_HOURS must look like 08:00-20:00 (or 00:00-24:00), not {hours!r}"
        ) from error
    if end is not None and not start < end:
        raise ImproperlyConfigured(
            "PATIENT_EMAIL_HOURS must start before it ends (same day; 24:00 ends the day)."
        )
    return start, end


def in_patient_email_hours(moment: datetime.datetime) -> bool:
    start, end = patient_email_hours()
    now = timezone.localtime(moment, clinic_zone()).time()
    return start <= now and (end is None or now < end)


def next_patient_email_window(moment: datetime.datetime) -> datetime.datetime:
    """The next start of the patient email hours at or after `moment` (clinic time)."""
    start, _end = patient_email_hours()
    local = timezone.localtime(moment, clinic_zone())
    day = local.date() if local.time() < start else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, start, tzinfo=clinic_zone())


# ---------------------------------------------------------------------------
# Scheduling
# ---------------------------------------------------------------------------


def _reminder_store(*, key: str, due_at: datetime.datetime, **fields) -> tuple[Reminder, bool]:
    """Create the row for `key`, or return the one already stored (scheduling twice
    stores once); with whether it was created. A row still pending takes the new due
    time: the latest cause wins."""
    try:
        # A savepoint: losing a race leaves the caller's transaction usable.
        with transaction.atomic():
            reminder, created = Reminder.objects.get_or_create(
                key=key, defaults={"due_at": due_at, **fields}
            )
    except IntegrityError:
        reminder, created = Reminder.objects.get(key=key), False
    if not created and reminder.status == Status.PENDING and reminder.due_at != due_at:
        Reminder.objects.filter(pk=reminder.pk, status=Status.PENDING).update(due_at=due_at)
        reminder.refresh_from_db()
    return reminder, created


def follow_up_weeks(outcomes: list[str]) -> int:
    """Weeks until the follow-up check-in: per outcome (FOLLOW_UP_WEEKS_BY_OUTCOME, the
    soonest when a decision has several), else FOLLOW_UP_AFTER_WEEKS."""
    by_outcome = settings.FOLLOW_UP_WEEKS_BY_OUTCOME
    weeks = [by_outcome[code] for code in outcomes if code in by_outcome]
    return min(weeks) if weeks else settings.FOLLOW_UP_AFTER_WEEKS


def reminder_schedule_follow_up(*, submission: Submission, review: Review) -> Reminder:
    """The patient's follow-up check-in, a set time after the clinician's decision."""
    weeks = follow_up_weeks(review.outcomes)
    reminder, _created = _reminder_store(
        key=f"follow_up:{submission.public_id}",
        kind=Kind.FOLLOW_UP,
        due_at=_later(review.created_at, datetime.timedelta(weeks=weeks)),
        patient=submission.patient,
        submission=submission,
        language=submission.patient.language,
    )
    return reminder


def reminder_schedule_blood_test(*, submission: Submission, review: Review) -> Reminder | None:
    """When the decision orders a B12 test: a reminder after BLOOD_TEST_REMINDER_DAYS
    (cancelled at send time if a B12 result has arrived since). None otherwise."""
    if Review.Outcome.ORDER_B12_TEST not in review.outcomes:
        return None
    reminder, _created = _reminder_store(
        key=f"blood_test:{submission.public_id}",
        kind=Kind.BLOOD_TEST,
        due_at=_later(
            review.created_at, datetime.timedelta(days=settings.BLOOD_TEST_REMINDER_DAYS)
        ),
        patient=submission.patient,
        submission=submission,
        language=submission.patient.language,
    )
    return reminder


def reminders_schedule_for_review(*, submission: Submission, review: Review) -> None:
    """Everything a decision schedules; `services.review_record` calls this in its
    transaction."""
    reminder_schedule_follow_up(submission=submission, review=review)
    reminder_schedule_blood_test(submission=submission, review=review)


def reminder_schedule_unfinished_intake(*, draft: IntakeDraft) -> Reminder:
    """ONE reminder with a resume link, UNFINISHED_INTAKE_REMINDER_HOURS after the
    patient last saved the draft (saving again moves it later; it is never sent twice)."""
    saved_at = draft.updated_at or timezone.now()
    reminder, _created = _reminder_store(
        key=f"unfinished_intake:{draft.public_id}",
        kind=Kind.UNFINISHED_INTAKE,
        due_at=saved_at + datetime.timedelta(hours=settings.UNFINISHED_INTAKE_REMINDER_HOURS),
        draft=draft,
        language=draft.language,
    )
    return reminder


def on_duty_clinicians():
    """Active clinicians in the on_duty group who have an email address."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.ON_DUTY)
        .filter(groups__name=roles.CLINICIAN)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def clinicians():
    """Every active clinician with an email address (the daily digest goes to them)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.CLINICIAN)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _waiting_urgent(now: datetime.datetime):
    """Urgent submissions nobody has picked up for ESCALATION_AFTER_MINUTES."""
    return Submission.objects.filter(
        level="urgent",
        status=Submission.Status.NEW,
        submitted_at__lte=now - datetime.timedelta(minutes=settings.ESCALATION_AFTER_MINUTES),
    )


def reminders_schedule_escalations(*, now: datetime.datetime) -> int:
    """One email per waiting urgent submission to each clinician on duty, once. Returns
    how many rows were stored (0 when everything was already escalated)."""
    stored = 0
    staff = list(on_duty_clinicians())
    with transaction.atomic():
        for submission in _waiting_urgent(now).only("pk", "public_id"):
            for user in staff:
                _reminder, created = _reminder_store(
                    key=f"escalation:{submission.public_id}:{user.pk}",
                    kind=Kind.ESCALATION,
                    due_at=now,
                    submission=submission,
                    staff_user=user,
                    language=settings.LANGUAGE_CODE,
                )
                stored += created
    return stored


def reminders_schedule_digest(*, now: datetime.datetime) -> int:
    """Today's queue digest to every clinician, once per clinic day. The numbers are
    counted when the email is sent."""
    day = timezone.localtime(now, clinic_zone()).date()
    stored = 0
    with transaction.atomic():
        for user in clinicians():
            _reminder, created = _reminder_store(
                key=f"digest:{day.isoformat()}:{user.pk}",
                kind=Kind.DIGEST,
                due_at=now,
                staff_user=user,
                language=settings.LANGUAGE_CODE,
            )
            stored += created
    return stored


# ---------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------


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
    next dispatch takes them, instead of waiting QUEUED_LOST_AFTER in queued."""
    from screening.tasks import reminders_send  # the tasks module imports this one

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


def sending_stale_after() -> datetime.timedelta:
    """A row in sending for longer than the task's hard time limit: its worker is gone."""
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _fail_interrupted(now: datetime.datetime) -> int:
    stale = Reminder.objects.filter(
        status=Status.SENDING, sending_at__lt=now - sending_stale_after()
    )
    ids = list(stale.values_list("public_id", flat=True))
    count = stale.update(status=Status.FAILED, last_error=INTERRUPTED)
    for public_id in ids:
        logger.warning("reminder %s interrupted while sending; marked failed", public_id)
    return count


def _requeue_lost(now: datetime.datetime) -> list[int]:
    """Rows queued longer than QUEUED_LOST_AFTER get a fresh queued_at; their ids."""
    lost = Reminder.objects.filter(
        status=Status.QUEUED, queued_at__lt=now - QUEUED_LOST_AFTER
    ).order_by("queued_at", "pk")[: settings.REMINDER_BATCH_SIZE]
    requeued = []
    for pk, public_id, queued_at in lost.values_list("pk", "public_id", "queued_at"):
        won = Reminder.objects.filter(pk=pk, status=Status.QUEUED, queued_at=queued_at).update(
            queued_at=now
        )
        if won:
            logger.warning("reminder %s was queued too long; enqueued again", public_id)
            requeued.append(pk)
    return requeued


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
    table = _table()
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


# ---------------------------------------------------------------------------
# Sending one reminder
# ---------------------------------------------------------------------------


def _opted_out(address: str) -> bool:
    return EmailOptOut.objects.filter(email__iexact=address.strip()).exists()


# The re-check's lookups, read with the chunk's rows as annotations (`_for_sending`): the
# same conditions as the queries below, one statement for the whole chunk. A reminder
# read without them (none in the send path) falls back to a query each.
def _looked_up(reminder: Reminder, name: str, query) -> bool:
    value = getattr(reminder, name, None)
    return query() if value is None else value


def _patient_reason(reminder: Reminder) -> str:
    """Why a follow-up or blood test reminder must not go out any more ("" if it may)."""
    submission = reminder.submission
    patient = submission.patient
    if not patient.contact_consent:
        return CANCELLED_NO_CONSENT
    if _looked_up(reminder, "patient_opted_out", lambda: _opted_out(patient.email)):
        return CANCELLED_UNSUBSCRIBED
    if submission.status == Submission.Status.CLOSED:
        return CANCELLED_CASE_CLOSED
    if reminder.kind == Kind.FOLLOW_UP and _looked_up(
        reminder, "follow_up_done", lambda: submission.follow_ups.exists()
    ):
        return CANCELLED_FOLLOW_UP_DONE
    if reminder.kind == Kind.BLOOD_TEST and _looked_up(
        reminder,
        "lab_result_in",
        lambda: LabResult.objects.filter(
            patient=patient, test__in=contract.B12_TESTS, created_at__gte=reminder.created_at
        ).exists(),
    ):
        return CANCELLED_LAB_RESULT_IN
    return ""


def _draft_reason(reminder: Reminder, now: datetime.datetime) -> str:
    draft = reminder.draft
    if draft.submitted_at is not None:
        return CANCELLED_DRAFT_SUBMITTED
    if draft.expires_at <= now:
        return CANCELLED_DRAFT_EXPIRED
    if _looked_up(reminder, "draft_opted_out", lambda: _opted_out(draft.email)):
        return CANCELLED_UNSUBSCRIBED
    return ""


def _staff_reason(reminder: Reminder) -> str:
    user = reminder.staff_user
    if not user.is_active or not user.email:
        return CANCELLED_NO_ADDRESS
    if reminder.kind == Kind.ESCALATION:
        if not _looked_up(
            reminder, "on_duty", lambda: on_duty_clinicians().filter(pk=user.pk).exists()
        ):
            return CANCELLED_NOT_ON_DUTY
        if reminder.submission.status != Submission.Status.NEW:
            return CANCELLED_NO_LONGER_NEW
    return ""


def cancel_reason(reminder: Reminder, now: datetime.datetime) -> str:
    """Re-check, at send time, that the reason for the reminder still holds. Returns the
    cancelled_reason, or "" when it should be sent."""
    if reminder.kind in (Kind.FOLLOW_UP, Kind.BLOOD_TEST):
        return _patient_reason(reminder)
    if reminder.kind == Kind.UNFINISHED_INTAKE:
        return _draft_reason(reminder, now)
    return _staff_reason(reminder)


@dataclass(frozen=True)
class Delivery:
    outcome: str  # skipped, cancelled, deferred, sent, retry, failed
    retry_in: int | None = None  # seconds, for outcome "retry"
    # A non-SMTP error mid-send (a time limit, a crash in the backend): send no more in
    # this run (the rest go to a new task).
    interrupted: bool = False


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


def digest_numbers(now: datetime.datetime) -> dict:
    """The digest's content: open submissions per level and when the oldest one nobody
    has picked up came in. Counts only: no names, no answers."""
    open_statuses = (
        Submission.Status.NEW,
        Submission.Status.IN_REVIEW,
        Submission.Status.AWAITING_TEST,
    )
    counts = dict.fromkeys(contract.LEVELS, 0)
    rows = (
        Submission.objects.filter(status__in=open_statuses)
        .values_list("level")
        .annotate(n=Count("pk"))
    )
    for level, count in rows.order_by():
        counts[level] = count
    oldest = Submission.objects.filter(status=Submission.Status.NEW).aggregate(
        oldest=Min("submitted_at")
    )["oldest"]
    return {
        "counts": counts,
        "total": sum(counts.values()),
        "oldest_submitted_at": oldest,
        "now": now,
    }


def _message(reminder: Reminder, now: datetime.datetime):
    if reminder.kind == Kind.DIGEST:
        return emails.digest(reminder, **digest_numbers(now))
    builders = {
        Kind.FOLLOW_UP: emails.follow_up,
        Kind.BLOOD_TEST: emails.blood_test,
        Kind.UNFINISHED_INTAKE: emails.unfinished_intake,
        Kind.ESCALATION: emails.escalation,
    }
    return builders[reminder.kind](reminder)


# What the re-check and the emails read of the related rows (the rest is not loaded: a
# submission's answers, a draft's saved data). A field used but not listed here costs a
# query per email: tests/screening/reminders/test_reminders_send.py counts them for every kind.
SENDING_RELATED_FIELDS = (
    "submission__status",
    "submission__patient__email",
    "submission__patient__contact_consent",
    "draft__email",
    "draft__expires_at",
    "draft__submitted_at",
    "staff_user__email",
    "staff_user__is_active",
)


def _for_sending():
    """The rows as the re-check and the emails read them, with the re-check's lookups
    (`_looked_up`) as EXISTS annotations: one statement for a whole chunk."""
    own = [field.name for field in Reminder._meta.concrete_fields]
    return (
        Reminder.objects.select_related("submission__patient", "draft", "staff_user")
        .only(*own, *SENDING_RELATED_FIELDS)
        .annotate(
            patient_opted_out=Exists(
                EmailOptOut.objects.filter(
                    email__iexact=Trim(OuterRef("submission__patient__email"))
                )
            ),
            draft_opted_out=Exists(
                EmailOptOut.objects.filter(email__iexact=Trim(OuterRef("draft__email")))
            ),
            follow_up_done=Exists(Submission.objects.filter(follow_up_of=OuterRef("submission"))),
            lab_result_in=Exists(
                LabResult.objects.filter(
                    patient=OuterRef("submission__patient"),
                    test__in=contract.B12_TESTS,
                    created_at__gte=OuterRef("created_at"),
                )
            ),
            on_duty=Exists(on_duty_clinicians().filter(pk=OuterRef("staff_user"))),
        )
    )


# A reminder is re-checked against data read at most this long before its send: the
# chunk's rows are read once and read again (for the ids not reached yet) once that read
# is older than this (a slow SMTP server). docs/reminders.md, "What is re-checked".
RECHECK_MAX_AGE_SECONDS = 1.0


class _ChunkRows:
    """The rows of a chunk for `_deliver`, read with the first row this worker wins and
    again whenever that read is older than RECHECK_MAX_AGE_SECONDS."""

    def __init__(self, reminder_ids: list[int]) -> None:
        self.reminder_ids = reminder_ids
        self.rows: dict[int, Reminder] = {}
        self.read_at: float | None = None

    def get(self, index: int) -> Reminder:
        reminder_id = self.reminder_ids[index]
        if self.read_at is None or time.monotonic() - self.read_at > RECHECK_MAX_AGE_SECONDS:
            self.read_at = time.monotonic()  # the age counts from before the read
            self.rows = _for_sending().in_bulk(self.reminder_ids[index:])
        reminder = self.rows.pop(reminder_id, None)  # an id listed twice: read again
        if reminder is None:
            reminder = _for_sending().get(pk=reminder_id)
        return reminder


def _table() -> str:
    return connection.ops.quote_name(Reminder._meta.db_table)


def _claim(reminder_id: int, now: datetime.datetime) -> int | None:
    """The compare-and-set queued -> sending of one row (plain SQL: the ORM's update
    costs more to build than to run); the row's attempts after it, or None when another
    worker has the row or it is done."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET status = %s, sending_at = %s, attempts = attempts + 1"  # noqa: S608 - names only
            " WHERE id = %s AND status = %s RETURNING attempts",
            [
                Status.SENDING.value,
                connection.ops.adapt_datetimefield_value(now),
                reminder_id,
                Status.QUEUED.value,
            ],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def _finish_sent(reminder: Reminder, sent_at: datetime.datetime) -> None:
    """`_finish(status=sent, sent_at=..., last_error="")` in plain SQL (the usual end)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET status = %s, sent_at = %s, last_error = %s"  # noqa: S608 - names only
            " WHERE id = %s AND status = %s",
            [
                Status.SENT.value,
                connection.ops.adapt_datetimefield_value(sent_at),
                "",
                reminder.pk,
                Status.SENDING.value,
            ],
        )


def _finish(reminder: Reminder, **fields) -> None:
    """Leave the sending state; only the worker that won the row gets here."""
    Reminder.objects.filter(pk=reminder.pk, status=Status.SENDING).update(**fields)


class Mailer:
    """One email connection for a run of reminders: opened on the first send, kept open
    for the next, closed (and opened again on the next send) after any error, when the
    server's state is unknown. A context manager: closed at the end of the run."""

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)

    def send(self, message) -> None:
        self.backend.open()  # a no-op while the connection is open
        message.connection = self.backend
        message.send(fail_silently=False)

    def close(self) -> None:
        try:
            self.backend.close()
        except OSError:  # SMTPException included: the connection is dropped either way
            logger.info("email connection closed with an error")

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Batch:
    """What `reminders_deliver` did with a list of ids."""

    outcomes: Counter = field(default_factory=Counter)  # outcome -> how many
    retry: dict[int, list[int]] = field(default_factory=dict)  # seconds -> ids to try then
    unsent: list[int] = field(default_factory=list)  # not reached: for a new task, at once


def reminders_deliver(*, reminder_ids: list[int], budget: float | None = None) -> Batch:
    """Send claimed reminders one by one over one email connection. Each id is claimed,
    re-checked, sent and recorded on its own, exactly as `reminder_deliver` does: the
    guarantees hold per reminder. The rows and the re-check's lookups are read for the
    chunk at once (`_ChunkRows`). Stops early, leaving the rest in `unsent`, after a
    send interrupted by a non-SMTP error or once `budget` seconds have passed."""
    batch = Batch()
    deadline = None if budget is None else time.monotonic() + budget
    rows = _ChunkRows(list(reminder_ids))
    with Mailer() as mailer:
        for index, reminder_id in enumerate(reminder_ids):
            if deadline is not None and time.monotonic() > deadline:
                batch.unsent = list(reminder_ids[index:])
                break
            delivery = _deliver(rows, index, mailer)
            batch.outcomes[delivery.outcome] += 1
            if delivery.retry_in is not None:
                batch.retry.setdefault(delivery.retry_in, []).append(reminder_id)
            if delivery.interrupted:
                batch.unsent = list(reminder_ids[index + 1 :])
                break
    return batch


def reminder_deliver(*, reminder_id: int) -> Delivery:
    """Send one claimed reminder, at most once. Safe to call any number of times."""
    with Mailer() as mailer:
        return _deliver(_ChunkRows([reminder_id]), 0, mailer)


def _deliver(rows: _ChunkRows, index: int, mailer: Mailer) -> Delivery:
    now = timezone.now()
    # The claim comes first and is this row's own, right before its send: a row another
    # worker took, or one cancelled, since the chunk began is skipped.
    attempts = _claim(rows.reminder_ids[index], now)
    if attempts is None:
        return Delivery("skipped")  # another worker has it, or it is done
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
        _finish(reminder, status=Status.FAILED, last_error=error_text(error))
        return Delivery("failed")

    try:
        mailer.send(message)
    except Exception as error:
        mailer.close()
        return _after_error(reminder, error, now)
    _finish_sent(reminder, timezone.now())
    logger.info("reminder %s sent", reminder.public_id)
    return Delivery("sent")


def _after_error(reminder: Reminder, error: Exception, now: datetime.datetime) -> Delivery:
    text = error_text(error)
    if isinstance(error, OSError) and is_transient(error):  # SMTPException is an OSError
        if reminder.attempts < settings.REMINDER_MAX_ATTEMPTS:
            _finish(reminder, status=Status.QUEUED, queued_at=now, last_error=text)
            wait = retry_backoff(reminder.attempts)
            logger.warning("reminder %s: transient error, retry in %ss", reminder.public_id, wait)
            return Delivery("retry", retry_in=wait)
        logger.error("reminder %s failed after %s attempts", reminder.public_id, reminder.attempts)
        _finish(reminder, status=Status.FAILED, last_error=text)
        return Delivery("failed")
    if isinstance(error, smtplib.SMTPException):  # a permanent (5xx) answer
        logger.error("reminder %s failed permanently", reminder.public_id)
        _finish(reminder, status=Status.FAILED, last_error=text)
        return Delivery("failed")
    # Anything else mid-send (a time limit, a crash in the backend): SMTP may or may not
    # have taken the message. Never resend automatically.
    logger.error("reminder %s interrupted while sending", reminder.public_id)
    _finish(reminder, status=Status.FAILED, last_error=f"{INTERRUPTED} ({type(error).__name__})")
    return Delivery("failed", interrupted=True)


# ---------------------------------------------------------------------------
# Staff retry, patient opt-out
# ---------------------------------------------------------------------------


class NotFailed(ValueError):
    """Only a failed reminder can be retried (someone may have retried it already)."""


def reminder_retry(*, reminder: Reminder, by) -> Reminder:
    """A clinician's retry: failed -> pending, due now, with a fresh count of attempts.
    The caller writes the audit event in the same transaction."""
    now = timezone.now()
    won = Reminder.objects.filter(pk=reminder.pk, status=Status.FAILED).update(
        status=Status.PENDING,
        due_at=now,
        attempts=0,
        last_error="",
        queued_at=None,
        sending_at=None,
    )
    if not won:
        raise NotFailed("This reminder is not failed any more; nothing changed.")
    logger.info("reminder %s retried by staff user %s", reminder.public_id, by.pk)
    reminder.refresh_from_db()
    return reminder


def email_opt_out(*, reminder: Reminder) -> EmailOptOut:
    """Record that the address a reminder went to wants no more reminders."""
    address = emails.recipient(reminder).strip().lower()
    try:
        with transaction.atomic():
            opt_out, _created = EmailOptOut.objects.get_or_create(email=address)
    except IntegrityError:  # two clicks at once
        opt_out = EmailOptOut.objects.get(email=address)
    logger.info("opt-out recorded from reminder %s", reminder.public_id)
    return opt_out
