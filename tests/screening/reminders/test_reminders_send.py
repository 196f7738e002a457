"""Sending reminders in chunks (screening/reminders/delivery.py `reminders_deliver`, the task
`reminders_send`): one email connection for several reminders, each still claimed,
re-checked and recorded on its own; the dispatcher's one-statement claim, its chunks, and
what it does when the broker refuses them."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from screening import tasks
from screening.domain.queries.clinic import clinic_settings
from screening.models import EmailOptOut, Reminder, Review
from screening.reminders import delivery, dispatch, recheck, scheduling
from screening.reminders.rows import INTERRUPTED
from tests.factories import SubmissionFactory
from tests.screening import reminder_support as support
from tests.screening.reminder_support import NOON, ScriptedSMTPBackend

pytestmark = pytest.mark.django_db

Status = Reminder.Status


class ConnectionCountingBackend(ScriptedSMTPBackend):
    """The scripted SMTP stand-in, counting the connections it opens; a None in `errors`
    is a send that goes through."""

    opened = 0
    is_open = False
    # Called before the send of the same number (1 = the first): what other workers,
    # clinicians and patients do while a chunk is being sent.
    meanwhile: dict[int, object] = {}

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).attempts in type(self).meanwhile:
            type(self).meanwhile.pop(type(self).attempts)()
        error = type(self).errors.pop(0) if type(self).errors else None
        if error is not None:
            raise error
        return locmem.EmailBackend.send_messages(self, messages)

    def open(self):
        if type(self).is_open:
            return False
        type(self).is_open = True
        type(self).opened += 1
        return True

    def close(self):
        type(self).is_open = False


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def clinic_cached(db):
    """The clinic settings already cached, as in a running clinic: the counts below are
    the work per chunk, not the first read after a start (screening.domain.queries.clinic)."""
    return clinic_settings()


@pytest.fixture
def smtp(settings):
    support.scripted_smtp(settings)
    settings.EMAIL_BACKEND = (
        "tests.screening.reminders.test_reminders_send.ConnectionCountingBackend"
    )
    ConnectionCountingBackend.opened = 0
    ConnectionCountingBackend.attempts = 0
    ConnectionCountingBackend.is_open = False
    ConnectionCountingBackend.meanwhile = {}
    return ConnectionCountingBackend


def _queued(count: int) -> list[Reminder]:
    return [support.queued(support.follow_up_due()) for _ in range(count)]


def _statuses(rows: list[Reminder]) -> list[str]:
    by_pk = dict(Reminder.objects.values_list("pk", "status"))
    return [by_pk[row.pk] for row in rows]


# --- one connection, each reminder on its own -------------------------------------------


def test_a_chunk_is_sent_over_one_connection(clock, smtp):
    rows = _queued(3)

    batch = delivery.reminders_deliver(reminder_ids=[row.pk for row in rows])

    assert batch.outcomes == {"sent": 3}
    assert (batch.retry, batch.unsent) == ({}, [])
    assert _statuses(rows) == [Status.SENT] * 3
    assert [message.to for message in mail.outbox] == [
        [row.submission.patient.email] for row in rows
    ]
    assert (smtp.opened, smtp.is_open) == (1, False)  # closed at the end


def test_the_task_sends_a_chunk_and_skips_ids_already_done(clock, smtp):
    first, second = _queued(2)

    outcome = tasks.reminders_send.delay([first.pk, second.pk, first.pk]).get()

    assert outcome == {"sent": 2, "skipped": 1}
    assert len(mail.outbox) == 2
    assert {row.attempts for row in Reminder.objects.all()} == {1}


def test_each_reminder_of_a_chunk_is_re_checked(clock, smtp):
    sent, unsubscribed = _queued(2)
    EmailOptOut.objects.create(email=unsubscribed.submission.patient.email)

    batch = delivery.reminders_deliver(reminder_ids=[sent.pk, unsubscribed.pk])

    assert batch.outcomes == {"sent": 1, "cancelled": 1}
    unsubscribed.refresh_from_db()
    assert (unsubscribed.status, unsubscribed.cancelled_reason) == (
        Status.CANCELLED,
        recheck.CANCELLED_UNSUBSCRIBED,
    )
    assert [message.to for message in mail.outbox] == [[sent.submission.patient.email]]


def test_a_transient_error_retries_that_reminder_only_on_a_new_connection(clock, smtp):
    first, refused, third = _queued(3)
    smtp.errors.extend([None, support.transient_error()])  # the 2nd send is refused (421)

    batch = delivery.reminders_deliver(reminder_ids=[first.pk, refused.pk, third.pk])

    assert batch.outcomes == {"sent": 2, "retry": 1}
    assert batch.retry == {30: [refused.pk]}
    assert _statuses([first, refused, third]) == [Status.SENT, Status.QUEUED, Status.SENT]
    refused.refresh_from_db()
    # queued_at: when its retry is due (the lease runs from then, not from the error).
    assert (refused.attempts, refused.queued_at) == (1, NOON + datetime.timedelta(seconds=30))
    assert smtp.opened == 2  # closed after the error, opened again for the third


def test_the_task_retries_a_transient_error_and_sends_once(clock, smtp):
    """Eager mode runs the retry task at once (a worker waits for the countdown)."""
    first, refused = _queued(2)
    smtp.errors.extend([None, support.transient_error()])

    assert tasks.reminders_send.delay([first.pk, refused.pk]).get() == {"sent": 1, "retry": 1}

    refused.refresh_from_db()
    assert (refused.status, refused.attempts) == (Status.SENT, 2)
    assert len(mail.outbox) == 2


def test_a_permanent_error_fails_that_reminder_and_the_chunk_goes_on(clock, smtp):
    refused, second = _queued(2)
    smtp.errors.append(support.permanent_error())

    batch = delivery.reminders_deliver(reminder_ids=[refused.pk, second.pk])

    assert batch.outcomes == {"failed": 1, "sent": 1}
    assert _statuses([refused, second]) == [Status.FAILED, Status.SENT]


def test_an_interrupted_send_fails_and_the_rest_go_to_a_new_task(clock, smtp):
    """A non-SMTP error mid-send (a time limit): that one is failed, never resent; the
    connection's state is unknown, so the run stops and the rest are sent by a new task."""
    first, interrupted, third = _queued(3)
    smtp.errors.extend([None, RuntimeError("soft time limit")])

    batch = delivery.reminders_deliver(reminder_ids=[first.pk, interrupted.pk, third.pk])

    assert batch.outcomes == {"sent": 1, "failed": 1}
    assert batch.unsent == [third.pk]
    assert _statuses([first, interrupted, third]) == [Status.SENT, Status.FAILED, Status.QUEUED]
    interrupted.refresh_from_db()
    assert interrupted.last_error == f"{INTERRUPTED} (RuntimeError)"

    assert tasks.reminders_send.delay(batch.unsent).get() == {"sent": 1}
    assert _statuses([interrupted, third]) == [Status.FAILED, Status.SENT]
    assert smtp.attempts == 3


def test_the_task_hands_the_rest_to_a_new_task_after_an_interruption(clock, smtp):
    first, interrupted, third = _queued(3)
    smtp.errors.extend([None, RuntimeError("soft time limit")])

    outcome = tasks.reminders_send.delay([first.pk, interrupted.pk, third.pk]).get()

    assert outcome == {"sent": 1, "failed": 1}
    assert _statuses([first, interrupted, third]) == [Status.SENT, Status.FAILED, Status.SENT]
    assert len(mail.outbox) == 2


def test_a_run_past_its_time_budget_leaves_the_rest_queued_for_a_new_task(clock, smtp):
    rows = _queued(2)

    batch = delivery.reminders_deliver(reminder_ids=[row.pk for row in rows], budget=-1)

    assert (batch.outcomes, batch.unsent) == ({}, [row.pk for row in rows])
    assert _statuses(rows) == [Status.QUEUED] * 2
    assert mail.outbox == []


def test_queries_per_reminder_do_not_grow_with_the_chunk(
    clock, smtp, clinic_cached, django_assert_num_queries
):
    one = _queued(1)
    three = _queued(3)

    # The lease taken on the chunk and one read for it (the rows and the re-check's
    # lookups), then per follow-up: its claim and its final update; on PostgreSQL a
    # row's `sent` goes with the next row's claim (one statement), the last one alone.
    def per_chunk(count: int) -> int:
        if connection.vendor == "postgresql":
            return 2 + count + 1
        return 2 + 2 * count

    with django_assert_num_queries(per_chunk(1)):
        delivery.reminders_deliver(reminder_ids=[row.pk for row in one])
    with django_assert_num_queries(per_chunk(3)):
        delivery.reminders_deliver(reminder_ids=[row.pk for row in three])


def _close_case(row: Reminder) -> str:
    row.submission.status = "closed"
    row.submission.save(update_fields=["status"])
    return recheck.CANCELLED_CASE_CLOSED


def _withdraw_consent(row: Reminder) -> str:
    patient = row.submission.patient
    patient.contact_consent = False
    patient.save(update_fields=["contact_consent"])
    return recheck.CANCELLED_NO_CONSENT


def _unsubscribe(row: Reminder) -> str:
    EmailOptOut.objects.create(email=row.submission.patient.email.upper())
    return recheck.CANCELLED_UNSUBSCRIBED


def _follow_up_done(row: Reminder) -> str:
    SubmissionFactory(patient=row.submission.patient, kind="follow_up", follow_up_of=row.submission)
    return recheck.CANCELLED_FOLLOW_UP_DONE


REASONS_GONE = [_close_case, _withdraw_consent, _unsubscribe, _follow_up_done]


@pytest.mark.parametrize("reason_gone", REASONS_GONE)
def test_a_reminder_whose_reason_went_away_before_its_chunk_is_not_sent(clock, smtp, reason_gone):
    first, gone, third = _queued(3)
    reason = reason_gone(gone)

    batch = delivery.reminders_deliver(reminder_ids=[first.pk, gone.pk, third.pk])

    assert batch.outcomes == {"sent": 2, "cancelled": 1}
    gone.refresh_from_db()
    assert (gone.status, gone.cancelled_reason) == (Status.CANCELLED, reason)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        row.submission.patient.email for row in (first, third)
    )


def test_a_row_taken_or_cancelled_by_someone_else_mid_chunk_is_skipped(clock, smtp):
    """The chunk's rows are read at its start, but each is still claimed on its own,
    just before its send: a row another worker won, or one that left queued, after the
    read is not sent and not touched."""
    first, taken, cancelled, fourth = _queued(4)

    def others() -> None:
        Reminder.objects.filter(pk=taken.pk).update(
            status=Status.SENDING, sending_at=timezone.now(), attempts=7
        )
        Reminder.objects.filter(pk=cancelled.pk).update(
            status=Status.CANCELLED, cancelled_reason="by someone else"
        )

    smtp.meanwhile[1] = others  # while the first one is being sent

    batch = delivery.reminders_deliver(reminder_ids=[first.pk, taken.pk, cancelled.pk, fourth.pk])

    assert batch.outcomes == {"sent": 2, "skipped": 2}
    assert _statuses([first, taken, cancelled, fourth]) == [
        Status.SENT,
        Status.SENDING,
        Status.CANCELLED,
        Status.SENT,
    ]
    taken.refresh_from_db()
    assert (taken.attempts, taken.sent_at) == (7, None)  # the other worker's row, as it was
    assert [message.to for message in mail.outbox] == [
        [first.submission.patient.email],
        [fourth.submission.patient.email],
    ]


def test_a_row_deleted_before_its_claim_is_skipped(clock, smtp):
    """A patient erased mid-chunk: the erasure deletes the reminders; the claim finds
    nothing, so nothing is sent to the address read at the chunk's start."""
    first, erased = _queued(2)
    smtp.meanwhile[1] = lambda: Reminder.objects.filter(pk=erased.pk).delete()

    batch = delivery.reminders_deliver(reminder_ids=[first.pk, erased.pk])

    assert batch.outcomes == {"sent": 1, "skipped": 1}
    assert [message.to for message in mail.outbox] == [[first.submission.patient.email]]


@pytest.mark.parametrize("reason_gone", REASONS_GONE)
def test_the_chunk_is_read_again_once_its_read_is_older_than_the_limit(
    clock, smtp, monkeypatch, reason_gone
):
    """A reason that goes away mid-chunk is seen by the rows sent after the read's
    RECHECK_MAX_AGE_SECONDS (here: at once, as a slow SMTP server would make it)."""
    monkeypatch.setattr(delivery, "RECHECK_MAX_AGE_SECONDS", -1)
    first, gone = _queued(2)
    reasons = []
    smtp.meanwhile[1] = lambda: reasons.append(reason_gone(gone))

    batch = delivery.reminders_deliver(reminder_ids=[first.pk, gone.pk])

    assert batch.outcomes == {"sent": 1, "cancelled": 1}
    gone.refresh_from_db()
    assert (gone.status, gone.cancelled_reason) == (Status.CANCELLED, reasons[0])


def _blood_test() -> Reminder:
    review = support.decided(Review.Outcome.ORDER_B12_TEST, status="awaiting_test")
    return scheduling.reminder_schedule_blood_test(submission=review.submission, review=review)


def _unfinished_intake() -> Reminder:
    return scheduling.reminder_schedule_unfinished_intake(draft=support.draft_saved())


def _confirmation() -> Reminder:
    return scheduling.reminder_schedule_confirmation(submission=SubmissionFactory())


def _intake_saved() -> Reminder:
    return scheduling.reminder_schedule_intake_saved(draft=support.draft_saved())


def _escalation() -> Reminder:
    support.staff("onduty", support.CLINICIAN, support.ON_DUTY)
    SubmissionFactory(level="urgent", status="new", submitted_at=NOON - datetime.timedelta(hours=2))
    scheduling.reminders_schedule_escalations(now=timezone.now())
    return Reminder.objects.get(kind=Reminder.Kind.ESCALATION)


def _digest() -> Reminder:
    support.staff("clinician", support.CLINICIAN)
    scheduling.reminders_schedule_digest(now=timezone.now())
    return Reminder.objects.get(kind=Reminder.Kind.DIGEST)


@pytest.mark.parametrize(
    ("make", "queries"),
    [
        # The read carries the re-check's lookups (opt-out, B12 result since, on duty).
        # Each begins with the lease taken on the chunk (one statement per chunk).
        (_blood_test, 4),  # lease, claim, read, sent
        (_unfinished_intake, 4),  # lease, claim, read, sent
        (_confirmation, 4),  # lease, claim, read (with the reference), sent
        (_intake_saved, 4),  # lease, claim, read, sent
        (_escalation, 4),  # lease, claim, read, sent
        (_digest, 8),  # lease, claim, read, counts per level, oldest new one, tasks (2), sent
    ],
)
def test_every_kind_is_read_in_one_query(
    clock, smtp, clinic_cached, django_assert_num_queries, make, queries
):
    """The read loads only the related fields the re-check and the email use: one more
    would cost a query per email."""
    reminder = support.queued(make())

    with django_assert_num_queries(queries):
        batch = delivery.reminders_deliver(reminder_ids=[reminder.pk])

    assert batch.outcomes == {"sent": 1}


def test_retry_backoff_starts_at_the_setting_and_doubles(settings):
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 2
    assert [delivery.retry_backoff(n) for n in range(1, 5)] == [2, 4, 8, 16]
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 200
    assert [delivery.retry_backoff(n) for n in range(1, 4)] == [200, 300, 300]


# --- dispatch: one claim statement, chunks, a broker that refuses them -------------------


@pytest.fixture
def published(monkeypatch):
    """The broker boundary: what `reminders_send.delay` was given; `published.refuse_from`
    makes the n-th publish and later ones raise as kombu does when Redis is down."""

    class Published(list):
        refuse_from: int | None = None

    calls = Published()

    def delay(reminder_ids):
        if calls.refuse_from is not None and len(calls) + 1 >= calls.refuse_from:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        calls.append(list(reminder_ids))

    monkeypatch.setattr(tasks.reminders_send, "delay", delay)
    return calls


def _due(count: int) -> list[Reminder]:
    rows = [support.follow_up_due() for _ in range(count)]
    for minutes, row in enumerate(reversed(rows), start=1):  # the first row is the oldest
        Reminder.objects.filter(pk=row.pk).update(due_at=NOON - datetime.timedelta(minutes=minutes))
    return rows


def test_dispatch_claims_in_one_statement_and_enqueues_chunks_after_commit(
    clock,
    settings,
    published,
    clinic_cached,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    settings.REMINDER_SEND_CHUNK = 2
    settings.REMINDER_BATCH_SIZE = 4
    rows = _due(5)

    with django_capture_on_commit_callbacks() as callbacks:
        # The transaction's savepoint (the test's own transaction is around it) and its
        # release; stale sends (a select and an update), lost queued rows (a select); no
        # deferral inside the hours; the claim: one statement.
        with django_assert_num_queries(6):
            dispatched = dispatch.reminders_dispatch(now=timezone.now())
        assert published == []  # nothing is handed over before the claim commits
    for callback in callbacks:
        callback()

    assert dispatched.claimed == 4
    assert published == [[rows[0].pk, rows[1].pk], [rows[2].pk, rows[3].pk]]
    assert _statuses(rows) == [Status.QUEUED] * 4 + [Status.PENDING]
    assert set(
        Reminder.objects.filter(status=Status.QUEUED).values_list("queued_at", flat=True)
    ) == {NOON}


def test_one_claim_takes_exactly_the_batch_oldest_first(
    clock, settings, published, django_capture_on_commit_callbacks
):
    settings.REMINDER_BATCH_SIZE = 10
    rows = _due(25)

    claimed = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            claimed.append(dispatch.reminders_dispatch(now=timezone.now()).claimed)

    assert claimed == [10, 10, 5]
    ids = [pk for chunk in published for pk in chunk]
    assert ids == [row.pk for row in rows]  # each once, oldest first


def test_dispatch_hands_rows_the_broker_refused_back_to_pending(
    clock, settings, published, django_capture_on_commit_callbacks, caplog
):
    settings.REMINDER_SEND_CHUNK = 2
    rows = _due(5)
    published.refuse_from = 2  # the first chunk gets through, then Redis goes away

    with (
        caplog.at_level(logging.INFO, logger="screening.reminders.dispatch"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        dispatch.reminders_dispatch(now=timezone.now())

    assert published == [[rows[0].pk, rows[1].pk]]
    assert _statuses(rows) == [Status.QUEUED] * 2 + [Status.PENDING] * 3
    assert (
        list(Reminder.objects.filter(status=Status.PENDING).values_list("queued_at", flat=True))
        == [None] * 3
    )
    assert (
        "broker unreachable (OperationalError): 3 reminders not enqueued, 3 back to pending"
        in caplog.messages
    )
    logged = "\n".join(caplog.messages)
    for row in rows:  # no address, and the error's text (which may name hosts) is not logged
        assert row.submission.patient.email not in logged
    assert "6379" not in logged

    # The broker is back: the next dispatch takes them at once.
    published.refuse_from = None
    with django_capture_on_commit_callbacks(execute=True):
        again = dispatch.reminders_dispatch(now=timezone.now())
    assert again.claimed == 3
    assert published[1:] == [[rows[2].pk, rows[3].pk], [rows[4].pk]]


def test_a_row_a_worker_took_is_not_handed_back(
    clock, monkeypatch, django_capture_on_commit_callbacks
):
    """The publish raised, but the message got through and a worker took the row: the
    compare-and-set leaves it with that worker."""
    row = _due(1)[0]

    def taken_then_fail(reminder_ids):
        Reminder.objects.filter(pk__in=reminder_ids).update(status=Status.SENDING)
        raise OperationalError("timed out after the message was sent")

    monkeypatch.setattr(tasks.reminders_send, "delay", taken_then_fail)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.reminders_dispatch(now=timezone.now())

    row.refresh_from_db()
    assert row.status == Status.SENDING


def test_a_bug_in_the_publish_is_not_taken_for_an_outage(
    clock, monkeypatch, django_capture_on_commit_callbacks
):
    """Only the broker's connection errors hand rows back; anything else propagates (in
    eager mode the task itself runs inside `delay`) and the row waits in queued."""
    row = _due(1)[0]

    def broken(reminder_ids):
        raise TypeError("a bug, not an outage")

    monkeypatch.setattr(tasks.reminders_send, "delay", broken)
    with pytest.raises(TypeError), django_capture_on_commit_callbacks(execute=True):
        dispatch.reminders_dispatch(now=timezone.now())

    row.refresh_from_db()
    assert row.status == Status.QUEUED


def test_dispatch_requeues_lost_rows_in_the_same_chunks(
    clock, settings, published, django_capture_on_commit_callbacks
):
    lost = support.queued(support.follow_up_due())
    Reminder.objects.filter(pk=lost.pk).update(queued_at=NOON - datetime.timedelta(minutes=11))
    due = support.follow_up_due()

    with django_capture_on_commit_callbacks(execute=True):
        dispatched = dispatch.reminders_dispatch(now=timezone.now())

    assert (dispatched.requeued, dispatched.claimed) == (1, 1)
    assert published == [[lost.pk, due.pk]]
