"""The Celery tasks (eager here; nothing in them depends on it): exactly-once sending
under duplicate messages, retries on transient SMTP errors, failures that stay failed."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from celery import current_app
from django.core import mail

from screening import tasks
from screening.models import Reminder
from screening.reminders.delivery import Delivery, reminder_deliver
from tests.factories import SubmissionFactory
from tests.screening import reminder_support as support
from tests.screening.reminder_support import NOON, london

pytestmark = pytest.mark.django_db

Status = Reminder.Status


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def smtp(settings):
    return support.scripted_smtp(settings)


def _dispatch(capture) -> None:
    with capture(execute=True):
        tasks.reminders_dispatch.delay()


def test_dispatch_task_sends_a_due_reminder_once(clock, smtp, django_capture_on_commit_callbacks):
    reminder = support.follow_up_due()

    _dispatch(django_capture_on_commit_callbacks)
    _dispatch(django_capture_on_commit_callbacks)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.sent_at) == (Status.SENT, 1, NOON)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [reminder.submission.patient.email]


def test_a_second_send_of_the_same_id_sends_nothing(
    clock, smtp, django_capture_on_commit_callbacks
):
    reminder = support.follow_up_due()
    _dispatch(django_capture_on_commit_callbacks)

    outcome = tasks.reminder_send.delay(reminder.pk).get()

    assert outcome == "skipped"
    assert len(mail.outbox) == 1


def test_two_messages_for_one_queued_row_send_one_email(clock, smtp):
    """A redelivered or re-enqueued message: the compare-and-set lets one through."""
    reminder = support.queued(support.follow_up_due())

    outcomes = [tasks.reminder_send.delay(reminder.pk).get() for _ in range(2)]

    assert outcomes == ["sent", "skipped"]
    assert len(mail.outbox) == 1


def test_a_row_another_worker_is_sending_is_left_alone(clock, smtp):
    reminder = support.follow_up_due()
    Reminder.objects.filter(pk=reminder.pk).update(status=Status.SENDING, sending_at=NOON)

    assert tasks.reminder_send.delay(reminder.pk).get() == "skipped"
    reminder.refresh_from_db()
    assert reminder.status == Status.SENDING
    assert mail.outbox == []


@pytest.fixture
def retries_inline():
    """Eager mode with CELERY_TASK_EAGER_PROPAGATES raises Retry to the caller instead of
    retrying; without it, apply() runs each retry inline (the countdown is not waited),
    the way a worker would run them later."""
    conf = current_app.conf
    before = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = before


def _send_with_retries(reminder: Reminder):
    return tasks.reminder_send.delay(reminder.pk)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPResponseException(421, b"4.3.2 try later"),
        ConnectionRefusedError(111, "Connection refused"),
        smtplib.SMTPRecipientsRefused({"x@example.com": (452, b"mailbox full, try later")}),
    ],
)
def test_transient_error_then_success_sends_once(clock, smtp, retries_inline, error):
    smtp.errors.append(error)
    reminder = support.queued(support.follow_up_due())

    result = _send_with_retries(reminder)

    assert (result.state, result.result) == ("SUCCESS", "sent")
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.SENT, 2)
    assert smtp.attempts == 2
    assert len(mail.outbox) == 1


def test_transient_error_puts_the_row_back_to_queued_with_a_backoff(clock, smtp):
    """What a worker sees between attempts (called directly, not through Celery)."""
    smtp.errors.append(support.transient_error())
    reminder = support.queued(support.follow_up_due())

    delivery = reminder_deliver(reminder_id=reminder.pk)

    reminder.refresh_from_db()
    assert delivery == Delivery("retry", retry_in=30)
    # queued_at: when the retry is due (the dispatch's lease on it runs from then).
    due = NOON + datetime.timedelta(seconds=30)
    assert (reminder.status, reminder.queued_at, reminder.attempts) == (Status.QUEUED, due, 1)
    assert reminder.last_error.startswith("SMTPResponseException: (421")


def test_permanent_error_fails_at_once_with_the_error(clock, smtp):
    smtp.errors.append(support.permanent_error())
    reminder = support.queued(support.follow_up_due())

    tasks.reminder_send.delay(reminder.pk)

    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED
    assert reminder.attempts == 1
    assert reminder.last_error == "SMTPRecipientsRefused: recipient refused (550)"
    assert smtp.attempts == 1
    assert mail.outbox == []


def test_attempts_exhausted_fails(clock, smtp, settings, retries_inline):
    settings.REMINDER_MAX_ATTEMPTS = 3
    smtp.errors.extend(support.transient_error() for _ in range(3))
    reminder = support.queued(support.follow_up_due())

    result = _send_with_retries(reminder)

    assert (result.state, result.result) == ("SUCCESS", "failed")
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.FAILED, 3)
    assert "421" in reminder.last_error
    assert smtp.attempts == 3
    assert mail.outbox == []


def test_a_crash_mid_send_fails_and_is_not_retried(clock, smtp):
    """Not an SMTP answer: the message may or may not have gone. Never resend it."""
    smtp.errors.append(RuntimeError("worker hit its time limit"))
    reminder = support.queued(support.follow_up_due())

    tasks.reminder_send.delay(reminder.pk)

    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED
    assert reminder.last_error == (
        "interrupted while sending; check before retrying (RuntimeError)"
    )
    assert smtp.attempts == 1


def test_stale_sending_is_failed_not_resent(clock, smtp, django_capture_on_commit_callbacks):
    reminder = support.follow_up_due()
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Status.SENDING, sending_at=NOON - datetime.timedelta(hours=1), attempts=1
    )

    _dispatch(django_capture_on_commit_callbacks)
    tasks.reminder_send.delay(reminder.pk)  # the redelivered original message

    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED
    assert reminder.last_error == "interrupted while sending; check before retrying"
    assert smtp.attempts == 0
    assert mail.outbox == []


def test_a_message_delivered_outside_the_hours_waits_for_the_window(time_machine, smtp):
    support.frozen_at(time_machine, london(2025, 6, 15, 19, 58))
    reminder = support.queued(support.follow_up_due())
    time_machine.move_to(london(2025, 6, 15, 20, 1))

    assert tasks.reminder_send.delay(reminder.pk).get() == "deferred"

    reminder.refresh_from_db()
    assert (reminder.status, reminder.due_at, reminder.attempts) == (
        Status.PENDING,
        london(2025, 6, 16, 8, 0),
        0,
    )
    assert mail.outbox == []


def test_a_failed_build_is_failed_with_the_error(clock, smtp, settings):
    """E.g. a route missing in a deployment: visible on the dashboard, nothing sent."""
    settings.ROOT_URLCONF = "tests.screening.urls_without_follow_up"
    reminder = support.queued(support.follow_up_due())

    assert tasks.reminder_send.delay(reminder.pk).get() == "failed"

    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED
    assert reminder.last_error.startswith("NoReverseMatch:")
    assert smtp.attempts == 0


def test_escalation_and_digest_tasks_store_rows(clock, smtp, django_capture_on_commit_callbacks):
    support.staff("onduty", support.CLINICIAN, support.ON_DUTY)
    SubmissionFactory(level="urgent", status="new", submitted_at=NOON - datetime.timedelta(hours=2))

    assert tasks.reminders_schedule_escalations.delay().get() == 1
    assert tasks.reminders_schedule_digest.delay().get() == 1
    _dispatch(django_capture_on_commit_callbacks)

    assert sorted(Reminder.objects.values_list("kind", "status")) == [
        ("digest", Status.SENT),
        ("escalation", Status.SENT),
    ]
    assert len(mail.outbox) == 2


def test_a_dispatch_that_claims_a_full_batch_dispatches_again_until_drained(
    clock, smtp, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_BATCH_SIZE = 2
    rows = [support.follow_up_due() for _ in range(7)]

    _dispatch(django_capture_on_commit_callbacks)  # one run of the every-minute job

    assert set(
        Reminder.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True)
    ) == {Status.SENT}
    assert len(mail.outbox) == 7


def test_draining_stops_after_its_rounds_and_the_minute_takes_the_rest(
    clock, smtp, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REMINDER_BATCH_SIZE = 2
    monkeypatch.setattr(tasks, "DRAIN_MAX_ROUNDS", 1)
    for _ in range(7):
        support.follow_up_due()

    _dispatch(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 4  # the run and one more round
    _dispatch(django_capture_on_commit_callbacks)  # the next minute
    assert len(mail.outbox) == 7


def test_a_dispatch_that_claims_less_than_a_batch_does_not_dispatch_again(
    clock, smtp, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REMINDER_BATCH_SIZE = 5
    support.follow_up_due()
    calls = []
    real = tasks.reminders_dispatch.apply_async
    monkeypatch.setattr(
        tasks.reminders_dispatch, "apply_async", lambda *a, **k: calls.append(k) or real(*a, **k)
    )

    _dispatch(django_capture_on_commit_callbacks)

    assert [call for call in calls if "drain_round" in (call.get("kwargs") or {})] == []
    assert len(calls) == 1  # the run itself (delay is apply_async)
    assert len(mail.outbox) == 1
