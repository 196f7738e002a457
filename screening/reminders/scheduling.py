"""Scheduling reminders: storing the outbox row for a cause, once.

Call inside the transaction of the event that causes the reminder:
- `reminder_schedule_follow_up`, `reminder_schedule_blood_test` (together:
  `reminders_schedule_for_review`): from `review_record`.
- `reminder_schedule_intake_saved` (the link, at once) and
  `reminder_schedule_unfinished_intake` (the later reminder): when a patient saves an
  intake to finish later.
- `reminders_schedule_escalations`, `reminders_schedule_digest`: periodic, for staff.

Each row's `key` is unique per cause, so scheduling twice stores once. The domain calls
this module, so it renders nothing: the emails are built at send time (`delivery`).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from screening.accounts import roles
from screening.models import IntakeDraft, Reminder, Review, Submission
from screening.reminders.hours import clinic_zone

Kind = Reminder.Kind
Status = Reminder.Status


def _later(moment: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
    """`moment` + `delta` on the clinic's wall clock: a follow-up eight weeks after a
    10:00 decision is at 10:00, whether or not the clocks changed in between."""
    # Arithmetic on an aware datetime keeps the wall time; ZoneInfo then gives the UTC
    # offset in force on the new date.
    return timezone.localtime(moment, clinic_zone()) + delta


def _reminder_store(*, key: str, due_at: datetime.datetime, **fields: Any) -> tuple[Reminder, bool]:
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


def reminder_schedule_intake_saved(*, draft: IntakeDraft) -> Reminder:
    """The resume link, due at once: the patient asked for it and the answers in their
    browser last only SESSION_COOKIE_AGE. One per draft (saving again does not send it
    again: its link opens the answers saved last), at any hour: not a reminder but what
    the patient asked for, so not held for the patient email hours (`rows.PATIENT_KINDS`)."""
    reminder, _created = _reminder_store(
        key=f"intake_saved:{draft.public_id}",
        kind=Kind.INTAKE_SAVED,
        due_at=draft.updated_at or timezone.now(),
        draft=draft,
        language=draft.language,
    )
    return reminder


def on_duty_clinicians() -> QuerySet[Any]:
    """Active clinicians in the on_duty group who have an email address."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.ON_DUTY)
        .filter(groups__name=roles.CLINICIAN)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def clinicians() -> QuerySet[Any]:
    """Every active clinician with an email address (the daily digest goes to them)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.CLINICIAN)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _waiting_urgent(now: datetime.datetime) -> QuerySet[Submission]:
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
