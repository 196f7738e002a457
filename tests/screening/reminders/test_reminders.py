"""The reminder outbox as services: scheduling, dispatch, send-time re-checks, sending
hours, retry and opt-out (screening/reminders/: scheduling, dispatch, recheck, hours,
delivery, opt_out). Sending itself is in test_tasks.py."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from screening.domain import retries
from screening.domain.review import review_record
from screening.models import EmailOptOut, Reminder, Review, Submission
from screening.reminders import delivery, dispatch, opt_out, scheduling
from screening.reminders.hours import (
    in_patient_email_hours,
    next_patient_email_window,
    patient_email_hours,
)
from tests.factories import LabResultFactory, SubmissionFactory
from tests.screening import reminder_support as support
from tests.screening.reminder_support import NOON, london

pytestmark = pytest.mark.django_db

Status = Reminder.Status
Kind = Reminder.Kind


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def smtp(settings):
    return support.scripted_smtp(settings)


# --- scheduling -----------------------------------------------------------------------


def test_follow_up_is_due_the_default_weeks_after_the_decision(clock, settings):
    settings.FOLLOW_UP_AFTER_WEEKS = 8
    review = support.decided(Review.Outcome.NO_ACTION)

    reminder = scheduling.reminder_schedule_follow_up(submission=review.submission, review=review)

    assert reminder.due_at == london(2025, 8, 10, 12, 0)
    assert reminder.kind == Kind.FOLLOW_UP
    assert reminder.status == Status.PENDING
    assert reminder.key == f"follow_up:{review.submission.public_id}"
    assert reminder.patient == review.submission.patient
    assert reminder.submission == review.submission


def test_follow_up_weeks_come_from_the_outcome(clock, settings):
    settings.FOLLOW_UP_WEEKS_BY_OUTCOME = {"start_treatment": 12, "refer": 4}
    review = support.decided(Review.Outcome.START_TREATMENT)

    reminder = scheduling.reminder_schedule_follow_up(submission=review.submission, review=review)

    assert reminder.due_at == london(2025, 9, 7, 12, 0)


def test_follow_up_with_several_outcomes_takes_the_soonest(clock, settings):
    settings.FOLLOW_UP_WEEKS_BY_OUTCOME = {"start_treatment": 12, "refer": 4}
    settings.FOLLOW_UP_AFTER_WEEKS = 8
    review = support.decided(Review.Outcome.START_TREATMENT, Review.Outcome.REFER)

    reminder = scheduling.reminder_schedule_follow_up(submission=review.submission, review=review)

    assert reminder.due_at == london(2025, 7, 13, 12, 0)


def test_follow_up_keeps_the_clinic_wall_clock_across_a_clock_change(time_machine, settings):
    """Decided at 10:00 GMT in March; eight weeks later it is 10:00 BST (09:00 UTC)."""
    settings.FOLLOW_UP_AFTER_WEEKS = 8
    support.frozen_at(time_machine, london(2025, 3, 1, 10, 0))
    review = support.decided()

    reminder = scheduling.reminder_schedule_follow_up(submission=review.submission, review=review)

    assert reminder.due_at == datetime.datetime(2025, 4, 26, 9, 0, tzinfo=datetime.UTC)
    assert timezone.localtime(reminder.due_at).hour == 10


def test_blood_test_reminder_only_when_a_b12_test_is_ordered(clock, settings):
    settings.BLOOD_TEST_REMINDER_DAYS = 14
    ordered = support.decided(Review.Outcome.ORDER_B12_TEST, status="awaiting_test")
    other = support.decided(Review.Outcome.ORDER_BLOOD_COUNT, status="awaiting_test")

    reminder = scheduling.reminder_schedule_blood_test(
        submission=ordered.submission, review=ordered
    )
    none = scheduling.reminder_schedule_blood_test(submission=other.submission, review=other)

    assert reminder.due_at == london(2025, 6, 29, 12, 0)
    assert reminder.kind == Kind.BLOOD_TEST
    assert reminder.key == f"blood_test:{ordered.submission.public_id}"
    assert none is None
    assert Reminder.objects.filter(kind=Kind.BLOOD_TEST).count() == 1


def test_scheduling_twice_stores_once(clock):
    review = support.decided(Review.Outcome.ORDER_B12_TEST)

    for _ in range(2):
        scheduling.reminders_schedule_for_review(submission=review.submission, review=review)

    assert sorted(Reminder.objects.values_list("kind", flat=True)) == [
        Kind.BLOOD_TEST,
        Kind.FOLLOW_UP,
    ]


def test_a_later_decision_moves_a_pending_follow_up(clock, settings):
    settings.FOLLOW_UP_WEEKS_BY_OUTCOME = {"start_treatment": 12}
    first = support.decided(Review.Outcome.ORDER_B12_TEST)
    scheduling.reminder_schedule_follow_up(submission=first.submission, review=first)
    clock.move_to(london(2025, 6, 29, 9, 0))
    later = Review.objects.create(
        submission=first.submission,
        clinician=first.clinician,
        outcomes=[Review.Outcome.START_TREATMENT],
        created_at=timezone.now(),
    )

    reminder = scheduling.reminder_schedule_follow_up(submission=first.submission, review=later)

    assert Reminder.objects.count() == 1
    assert reminder.due_at == london(2025, 9, 21, 9, 0)


def test_a_sent_reminder_is_never_rescheduled(clock):
    review = support.decided()
    reminder = scheduling.reminder_schedule_follow_up(submission=review.submission, review=review)
    Reminder.objects.filter(pk=reminder.pk).update(status=Status.SENT)
    clock.move_to(london(2025, 7, 1, 9, 0))

    again = scheduling.reminder_schedule_follow_up(submission=review.submission, review=review)

    assert again.pk == reminder.pk
    assert again.status == Status.SENT
    assert again.due_at == reminder.due_at


def test_review_record_writes_the_reminders_in_its_transaction(clock, clinician):
    submission = SubmissionFactory(status="new")

    review_record(
        submission=submission,
        by=clinician,
        outcomes=[Review.Outcome.ORDER_B12_TEST],
        note="",
    )

    assert set(Reminder.objects.values_list("key", flat=True)) == {
        f"follow_up:{submission.public_id}",
        f"blood_test:{submission.public_id}",
    }


def test_a_decision_rolled_back_leaves_no_reminder(clock, clinician):
    submission = SubmissionFactory(status="new")

    with pytest.raises(RuntimeError), transaction.atomic():
        review_record(submission=submission, by=clinician, outcomes=["no_action"], note="")
        raise RuntimeError("the request failed after the decision")

    assert Reminder.objects.count() == 0


def test_unfinished_intake_reminder_once_hours_after_the_last_save(clock, settings):
    settings.UNFINISHED_INTAKE_REMINDER_HOURS = 24
    draft = support.draft_saved(language="es")

    first = scheduling.reminder_schedule_unfinished_intake(draft=draft)
    clock.move_to(london(2025, 6, 15, 18, 0))
    draft.updated_at = timezone.now()
    draft.save()
    second = scheduling.reminder_schedule_unfinished_intake(draft=draft)

    assert first.pk == second.pk
    assert Reminder.objects.count() == 1
    assert second.due_at == london(2025, 6, 16, 18, 0)
    assert second.key == f"unfinished_intake:{draft.public_id}"
    assert second.language == "es"
    assert second.draft == draft


# --- escalations and digest -----------------------------------------------------------


def test_escalation_goes_only_to_on_duty_clinicians(clock, settings):
    settings.ESCALATION_AFTER_MINUTES = 60
    on_duty = support.staff("onduty", support.CLINICIAN, support.ON_DUTY)
    support.staff("offduty", support.CLINICIAN)
    support.staff("desk", support.RECEPTIONIST, support.ON_DUTY)
    support.staff("gone", support.CLINICIAN, support.ON_DUTY, active=False)
    waiting = SubmissionFactory(
        level="urgent", status="new", submitted_at=london(2025, 6, 15, 10, 59)
    )

    stored = scheduling.reminders_schedule_escalations(now=timezone.now())

    rows = list(Reminder.objects.values_list("kind", "staff_user", "submission", "due_at"))
    assert stored == 1
    assert rows == [(Kind.ESCALATION, on_duty.pk, waiting.pk, NOON)]


@pytest.mark.parametrize(
    ("level", "status", "minutes_ago"),
    [
        ("urgent", "new", 59),  # not waited long enough yet
        ("urgent", "in_review", 120),  # someone picked it up
        ("review_soon", "new", 120),  # not urgent
    ],
)
def test_no_escalation_for(clock, settings, level, status, minutes_ago):
    settings.ESCALATION_AFTER_MINUTES = 60
    support.staff("onduty", support.CLINICIAN, support.ON_DUTY)
    SubmissionFactory(
        level=level, status=status, submitted_at=NOON - datetime.timedelta(minutes=minutes_ago)
    )

    assert scheduling.reminders_schedule_escalations(now=timezone.now()) == 0
    assert Reminder.objects.count() == 0


def test_escalating_twice_stores_once(clock):
    support.staff("onduty", support.CLINICIAN, support.ON_DUTY)
    SubmissionFactory(level="urgent", status="new", submitted_at=NOON - datetime.timedelta(days=1))

    assert scheduling.reminders_schedule_escalations(now=timezone.now()) == 1
    assert scheduling.reminders_schedule_escalations(now=timezone.now()) == 0
    assert Reminder.objects.count() == 1


def test_digest_once_a_day_to_every_clinician(clock):
    first = support.staff("one", support.CLINICIAN)
    second = support.staff("two", support.CLINICIAN, support.ON_DUTY)
    support.staff("desk", support.RECEPTIONIST)

    assert scheduling.reminders_schedule_digest(now=timezone.now()) == 2
    assert scheduling.reminders_schedule_digest(now=timezone.now()) == 0
    clock.move_to(london(2025, 6, 16, 7, 0))
    assert scheduling.reminders_schedule_digest(now=timezone.now()) == 2

    keys = sorted(Reminder.objects.values_list("key", flat=True))
    # Sorted as strings on both sides: user ids 99 and 100 sort "100" first.
    assert keys == sorted(
        [
            f"digest:2025-06-15:{first.pk}",
            f"digest:2025-06-15:{second.pk}",
            f"digest:2025-06-16:{first.pk}",
            f"digest:2025-06-16:{second.pk}",
        ]
    )


def test_digest_day_is_the_clinic_day(time_machine):
    """00:30 in London in summer is still the previous day in UTC."""
    support.frozen_at(time_machine, london(2025, 6, 16, 0, 30))
    user = support.staff("one", support.CLINICIAN)

    scheduling.reminders_schedule_digest(now=timezone.now())

    assert Reminder.objects.get().key == f"digest:2025-06-16:{user.pk}"


# --- dispatch -------------------------------------------------------------------------


def test_dispatch_claims_only_due_rows_and_enqueues_after_commit(
    clock, smtp, django_capture_on_commit_callbacks
):
    due = support.follow_up_due()
    future = support.follow_up_due()
    Reminder.objects.filter(pk=future.pk).update(due_at=NOON + datetime.timedelta(minutes=1))

    with django_capture_on_commit_callbacks() as callbacks:
        dispatched = dispatch.reminders_dispatch(now=timezone.now())
        # Nothing is handed to a worker before the claim commits.
        assert mail.outbox == []

    assert dispatched.claimed == 1
    assert len(callbacks) == 1
    due.refresh_from_db()
    future.refresh_from_db()
    assert (due.status, due.queued_at) == (Status.QUEUED, NOON)
    assert future.status == Status.PENDING
    for callback in callbacks:
        callback()
    due.refresh_from_db()
    assert due.status == Status.SENT
    assert len(mail.outbox) == 1


def test_dispatch_claims_in_batches_oldest_first(
    clock, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_BATCH_SIZE = 2
    rows = [support.follow_up_due() for _ in range(3)]
    for minutes, row in zip((1, 3, 2), rows, strict=True):
        Reminder.objects.filter(pk=row.pk).update(due_at=NOON - datetime.timedelta(minutes=minutes))

    with django_capture_on_commit_callbacks():
        first = dispatch.reminders_dispatch(now=timezone.now())
    claimed_first = set(Reminder.objects.filter(status=Status.QUEUED).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks():
        second = dispatch.reminders_dispatch(now=timezone.now())
    with django_capture_on_commit_callbacks():
        third = dispatch.reminders_dispatch(now=timezone.now())

    assert (first.claimed, second.claimed, third.claimed) == (2, 1, 0)
    assert claimed_first == {rows[1].pk, rows[2].pk}


def test_dispatch_enqueues_again_a_row_queued_too_long(clock, django_capture_on_commit_callbacks):
    """Longer than the lease, with nothing waiting in the broker (eager mode): lost."""
    lost = support.queued(support.follow_up_due())
    fresh = support.queued(support.follow_up_due())
    Reminder.objects.filter(pk=lost.pk).update(queued_at=NOON - datetime.timedelta(seconds=31))
    Reminder.objects.filter(pk=fresh.pk).update(queued_at=NOON - datetime.timedelta(seconds=29))

    with django_capture_on_commit_callbacks() as callbacks:
        dispatched = dispatch.reminders_dispatch(now=timezone.now())

    assert dispatched.requeued == 1
    assert len(callbacks) == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.queued_at == NOON
    assert fresh.queued_at == NOON - datetime.timedelta(seconds=29)


def test_dispatch_fails_a_row_left_in_sending_and_never_resends_it(
    clock, settings, smtp, django_capture_on_commit_callbacks
):
    settings.REMINDER_LEASE_SECONDS = 30
    stuck = support.follow_up_due()
    recent = support.follow_up_due()
    Reminder.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING, sending_at=NOON - datetime.timedelta(seconds=31), attempts=1
    )
    Reminder.objects.filter(pk=recent.pk).update(
        status=Status.SENDING, sending_at=NOON - datetime.timedelta(seconds=29), attempts=1
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        dispatched = dispatch.reminders_dispatch(now=timezone.now())

    assert dispatched.interrupted == 1
    assert callbacks == []
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert stuck.status == Status.FAILED
    assert stuck.last_error == "interrupted while sending; check before retrying"
    assert recent.status == Status.SENDING
    assert mail.outbox == []


# --- sending hours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "inside"),
    [
        (london(2025, 6, 15, 7, 59), False),
        (london(2025, 6, 15, 8, 0), True),
        (london(2025, 6, 15, 19, 59), True),
        (london(2025, 6, 15, 20, 0), False),
        (london(2025, 12, 15, 8, 0), True),  # winter: GMT
        (london(2025, 12, 15, 7, 59), False),
    ],
)
def test_patient_email_hours_are_clinic_time(settings, local, inside):
    settings.PATIENT_EMAIL_HOURS = "08:00-20:00"
    assert in_patient_email_hours(local.astimezone(datetime.UTC)) is inside


@pytest.mark.parametrize(
    ("moment", "window"),
    [
        (london(2025, 6, 15, 21, 0), london(2025, 6, 16, 8, 0)),
        (london(2025, 6, 15, 3, 0), london(2025, 6, 15, 8, 0)),
        # The night the clocks go forward (01:00 GMT -> 02:00 BST): 08:00 BST is 07:00 UTC.
        (london(2025, 3, 29, 22, 0), datetime.datetime(2025, 3, 30, 7, 0, tzinfo=datetime.UTC)),
        # The night they go back (02:00 BST -> 01:00 GMT): 08:00 GMT is 08:00 UTC.
        (london(2025, 10, 25, 21, 0), datetime.datetime(2025, 10, 26, 8, 0, tzinfo=datetime.UTC)),
    ],
)
def test_next_patient_email_window(settings, moment, window):
    settings.PATIENT_EMAIL_HOURS = "08:00-20:00"
    assert next_patient_email_window(moment) == window


def test_patient_email_hours_follow_the_clinic_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.PATIENT_EMAIL_HOURS = "08:00-20:00"
    # 12:30 UTC is 08:30 in New York (EDT) but 13:30 in London.
    assert in_patient_email_hours(datetime.datetime(2025, 6, 15, 12, 30, tzinfo=datetime.UTC))
    assert not in_patient_email_hours(datetime.datetime(2025, 6, 15, 11, 30, tzinfo=datetime.UTC))


def test_dispatch_outside_hours_defers_patient_emails_but_sends_staff_ones(
    time_machine, smtp, django_capture_on_commit_callbacks
):
    support.frozen_at(time_machine, london(2025, 6, 15, 22, 0))
    patient_row = support.follow_up_due()
    support.staff("onduty", support.CLINICIAN, support.ON_DUTY)
    SubmissionFactory(level="urgent", status="new", submitted_at=london(2025, 6, 15, 20, 0))
    scheduling.reminders_schedule_escalations(now=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        dispatched = dispatch.reminders_dispatch(now=timezone.now())

    assert (dispatched.deferred, dispatched.claimed) == (1, 1)
    patient_row.refresh_from_db()
    assert patient_row.status == Status.PENDING
    assert patient_row.due_at == london(2025, 6, 16, 8, 0)
    assert [message.to for message in mail.outbox] == [["onduty@clinic.example"]]


def test_patient_email_hours_setting_must_be_a_same_day_range(settings):
    settings.PATIENT_EMAIL_HOURS = "20:00-08:00"
    with pytest.raises(Exception, match="start before it ends"):
        patient_email_hours()


@pytest.mark.parametrize(
    ("hours", "local", "inside"),
    [
        ("00:00-24:00", london(2025, 6, 15, 0, 0), True),
        ("00:00-24:00", london(2025, 6, 15, 12, 0), True),
        ("00:00-24:00", london(2025, 6, 15, 23, 59, 59, 999999), True),
        ("00:00-24:00", london(2025, 3, 30, 1, 30), True),  # clocks go forward at 01:00 GMT
        ("18:00-24:00", london(2025, 6, 15, 17, 59), False),
        ("18:00-24:00", london(2025, 6, 15, 18, 0), True),
        ("18:00-24:00", london(2025, 6, 15, 23, 59, 59, 999999), True),
        ("18:00-24:00", london(2025, 6, 16, 0, 0), False),
    ],
)
def test_patient_email_hours_may_end_at_24_00(settings, hours, local, inside):
    settings.PATIENT_EMAIL_HOURS = hours
    assert in_patient_email_hours(local.astimezone(datetime.UTC)) is inside


def test_patient_email_hours_ending_at_24_00_are_read_as_the_end_of_the_day(settings):
    settings.PATIENT_EMAIL_HOURS = " 00:00 - 24:00 "
    assert patient_email_hours() == (datetime.time(0, 0), None)


def test_next_patient_email_window_when_the_hours_end_at_24_00(settings):
    settings.PATIENT_EMAIL_HOURS = "18:00-24:00"
    assert next_patient_email_window(london(2025, 6, 16, 0, 30)) == london(2025, 6, 16, 18, 0)


@pytest.mark.parametrize("hours", ["24:00-08:00", "24:00-24:00"])
def test_patient_email_hours_may_not_start_at_24_00(settings, hours):
    settings.PATIENT_EMAIL_HOURS = hours
    with pytest.raises(Exception, match="not start there"):
        patient_email_hours()


@pytest.mark.parametrize("hours", ["08:00-24:01", "08:00-25:00", "08:00-24"])
def test_patient_email_hours_accept_no_other_hour_24(settings, hours):
    settings.PATIENT_EMAIL_HOURS = hours
    with pytest.raises(Exception, match="must look like 08:00-20:00"):
        patient_email_hours()


def test_dispatch_at_one_minute_to_midnight_sends_when_the_hours_are_the_whole_day(
    time_machine, settings, smtp, django_capture_on_commit_callbacks
):
    settings.PATIENT_EMAIL_HOURS = "00:00-24:00"
    support.frozen_at(time_machine, london(2025, 6, 15, 23, 59))
    patient_row = support.follow_up_due()

    with django_capture_on_commit_callbacks(execute=True):
        dispatched = dispatch.reminders_dispatch(now=timezone.now())

    assert (dispatched.deferred, dispatched.claimed) == (0, 1)
    patient_row.refresh_from_db()
    assert patient_row.status == Status.SENT
    assert len(mail.outbox) == 1


# --- re-checks at send time -----------------------------------------------------------


def _send(reminder: Reminder) -> Reminder:
    """Queue and deliver one row; return it as stored afterwards."""
    support.queued(reminder)
    delivery.reminder_deliver(reminder_id=reminder.pk)
    reminder.refresh_from_db()
    return reminder


def _assert_cancelled(reminder: Reminder, reason: str) -> None:
    reminder = _send(reminder)
    assert (reminder.status, reminder.cancelled_reason) == (Status.CANCELLED, reason)
    assert reminder.sent_at is None
    assert mail.outbox == []


def test_cancelled_when_consent_was_withdrawn(clock, smtp):
    reminder = support.follow_up_due()
    reminder.submission.patient.contact_consent = False
    reminder.submission.patient.save()
    _assert_cancelled(reminder, "no_contact_consent")


def test_cancelled_when_the_address_unsubscribed(clock, smtp):
    reminder = support.follow_up_due()
    EmailOptOut.objects.create(email=reminder.submission.patient.email.upper())
    _assert_cancelled(reminder, "unsubscribed")


def test_cancelled_when_the_case_is_closed(clock, smtp):
    reminder = support.follow_up_due(status="closed")
    _assert_cancelled(reminder, "case_closed")


def test_follow_up_cancelled_when_the_follow_up_is_done(clock, smtp):
    reminder = support.follow_up_due()
    SubmissionFactory(
        patient=reminder.submission.patient, kind="follow_up", follow_up_of=reminder.submission
    )
    _assert_cancelled(reminder, "follow_up_done")


def _blood_test_due() -> Reminder:
    review = support.decided(Review.Outcome.ORDER_B12_TEST, status="awaiting_test")
    reminder = scheduling.reminder_schedule_blood_test(submission=review.submission, review=review)
    return reminder


@pytest.mark.parametrize("test", ["total_b12", "active_b12"])
def test_blood_test_cancelled_when_a_b12_result_arrived(clock, smtp, test):
    reminder = _blood_test_due()
    clock.move_to(london(2025, 6, 20, 12, 0))
    LabResultFactory(submission=reminder.submission, test=test, source="clinician")
    clock.move_to(london(2025, 6, 29, 12, 0))
    _assert_cancelled(reminder, "lab_result_in")


def test_blood_test_sent_when_only_an_older_or_other_result_exists(clock, smtp):
    before = london(2025, 6, 1, 12, 0)
    clock.move_to(before)
    submission = SubmissionFactory(status="awaiting_test")
    LabResultFactory(submission=submission, test="total_b12")  # from the intake, before
    clock.move_to(NOON)
    review = Review.objects.create(
        submission=submission,
        clinician=support.staff("doc", support.CLINICIAN),
        outcomes=[Review.Outcome.ORDER_B12_TEST],
        created_at=timezone.now(),
    )
    reminder = scheduling.reminder_schedule_blood_test(submission=submission, review=review)
    clock.move_to(london(2025, 6, 20, 12, 0))
    LabResultFactory(submission=submission, test="haemoglobin", unit="g/L", value=120)
    clock.move_to(london(2025, 6, 29, 12, 0))

    reminder = _send(reminder)

    assert reminder.status == Status.SENT
    assert len(mail.outbox) == 1


def test_unfinished_intake_cancelled_when_the_draft_was_submitted(clock, smtp):
    draft = support.draft_saved(submitted_at=NOON)
    _assert_cancelled(
        scheduling.reminder_schedule_unfinished_intake(draft=draft), "draft_submitted"
    )


def test_unfinished_intake_cancelled_when_the_draft_expired(clock, smtp):
    draft = support.draft_saved(expires_at=NOON + datetime.timedelta(hours=1))
    reminder = scheduling.reminder_schedule_unfinished_intake(draft=draft)
    clock.move_to(london(2025, 6, 16, 12, 0))
    _assert_cancelled(reminder, "draft_expired")


def test_unfinished_intake_cancelled_when_the_address_unsubscribed(clock, smtp):
    draft = support.draft_saved(email="Draft.Patient@example.com")
    EmailOptOut.objects.create(email="draft.patient@example.com")
    _assert_cancelled(scheduling.reminder_schedule_unfinished_intake(draft=draft), "unsubscribed")


def _escalation() -> Reminder:
    support.staff("onduty", support.CLINICIAN, support.ON_DUTY)
    SubmissionFactory(level="urgent", status="new", submitted_at=NOON - datetime.timedelta(days=1))
    scheduling.reminders_schedule_escalations(now=timezone.now())
    return Reminder.objects.get(kind=Kind.ESCALATION)


def test_escalation_cancelled_when_someone_picked_the_submission_up(clock, smtp):
    reminder = _escalation()
    Submission.objects.filter(pk=reminder.submission_id).update(status="in_review")
    _assert_cancelled(reminder, "no_longer_waiting")


def test_escalation_cancelled_when_the_clinician_went_off_duty(clock, smtp):
    reminder = _escalation()
    reminder.staff_user.groups.remove(reminder.staff_user.groups.get(name=support.ON_DUTY))
    _assert_cancelled(reminder, "not_on_duty")


def test_staff_email_cancelled_when_the_account_is_inactive(clock, smtp):
    support.staff("one", support.CLINICIAN)
    scheduling.reminders_schedule_digest(now=timezone.now())
    reminder = Reminder.objects.get()
    reminder.staff_user.is_active = False
    reminder.staff_user.save()
    _assert_cancelled(reminder, "no_address")


# --- retry and opt-out ----------------------------------------------------------------


def test_retry_puts_a_failed_reminder_back_due_now(clock):
    reminder = support.follow_up_due()
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Status.FAILED, attempts=5, last_error="SMTPResponseException: 421"
    )
    clock.move_to(london(2025, 6, 16, 9, 0))

    retried = retries.failed_reminder_retry(reminder=reminder, by=support.staff("doc"))

    assert (retried.status, retried.due_at, retried.attempts, retried.last_error) == (
        Status.PENDING,
        london(2025, 6, 16, 9, 0),
        0,
        "",
    )


def test_retry_refuses_a_reminder_that_is_not_failed(clock):
    reminder = support.follow_up_due()
    with pytest.raises(retries.NotFailed):
        retries.failed_reminder_retry(reminder=reminder, by=support.staff("doc"))
    reminder.refresh_from_db()
    assert reminder.status == Status.PENDING


def test_opt_out_records_the_address_once_in_lower_case(clock):
    draft = support.draft_saved(email="Mixed.Case@Example.com")
    reminder = scheduling.reminder_schedule_unfinished_intake(draft=draft)

    opt_out.email_opt_out(reminder=reminder)
    opt_out.email_opt_out(reminder=reminder)

    assert list(EmailOptOut.objects.values_list("email", flat=True)) == ["mixed.case@example.com"]


# --- errors ---------------------------------------------------------------------------


def test_error_text_has_no_address():
    error = smtplib.SMTPRecipientsRefused(
        {"ann.example@example.com": (550, b"5.1.1 <ann.example@example.com> unknown")}
    )
    assert delivery.error_text(error) == "SMTPRecipientsRefused: recipient refused (550)"
    other = smtplib.SMTPSenderRefused(553, b"bad sender", "clinic@example.org")
    assert "@" not in delivery.error_text(smtplib.SMTPDataError(554, "no ann@example.com"))
    assert "clinic@example.org" not in delivery.error_text(other)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPResponseException(421, b"try later"), True),
        (smtplib.SMTPConnectError(421, b"busy"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"mailbox busy")}), True),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPResponseException(550, b"no"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}), False),
        (smtplib.SMTPNotSupportedError("no STARTTLS"), False),
    ],
)
def test_transient_or_permanent(error, transient):
    assert delivery.is_transient(error) is transient


def test_retry_backoff_is_short_and_bounded():
    assert [delivery.retry_backoff(n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    # A lost message or a dead worker is found by the next dispatch (every minute).
    assert dispatch.lease() < datetime.timedelta(minutes=1)
