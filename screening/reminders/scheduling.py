"""Scheduling reminders: storing the outbox row for a cause, once.

Call inside the transaction of the event that causes the reminder:
- `reminder_schedule_follow_up`, `reminder_schedule_blood_test` (together:
  `reminders_schedule_for_review`): from `review_record`.
- `reminder_schedule_confirmation`: when a patient sends an intake (sent at once).
- `reminder_schedule_intake_saved` (the link, at once) and
  `reminder_schedule_unfinished_intake` (the later reminder): when a patient saves an
  intake to finish later.
- `reminder_schedule_clinic_message`: when a clinician sends a patient a message (sent
  at once).
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
from django.db.models import OuterRef, Q, QuerySet
from django.utils import timezone

from screening.accounts import roles
from screening.models import IntakeDraft, PatientMessage, Reminder, Review, Submission
from screening.reminders.dispatch import reminders_send_soon
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
    transaction.

    Nothing for a possible match (an intake filed on a record it may not belong to): its
    patient emails wait until a clinician confirms the match or splits it off, which
    schedules them from the latest decision (`screening.domain.patients`)."""
    if submission.identity_status == Submission.IdentityStatus.POSSIBLE_MATCH:
        return
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


def reminder_schedule_confirmation(*, submission: Submission, new: bool = False) -> Reminder:
    """The patient's confirmation that their form was sent, once per submission (a
    double submit stores it once), due now and handed to a worker as soon as the
    transaction commits (`dispatch.reminders_send_soon`), at any hour: the patient is
    waiting for it. `new`: the submission was created in this transaction, so its row
    cannot exist yet and is inserted without a lookup."""
    key, due_at = f"confirmation:{submission.public_id}", timezone.now()
    fields: dict[str, Any] = {
        "kind": Kind.CONFIRMATION,
        "patient_id": submission.patient_id,
        "submission": submission,
        "language": submission.language,
    }
    if new:
        reminder, created = Reminder.objects.create(key=key, due_at=due_at, **fields), True
    else:
        reminder, created = _reminder_store(key=key, due_at=due_at, **fields)
    if created:
        reminders_send_soon([reminder.pk])
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


def reminder_schedule_clinic_message(*, message: PatientMessage) -> Reminder:
    """The email saying the clinic has a message, with the link to read it: one per
    message, due now and handed to a worker once the transaction commits, at any hour
    (the clinician sent it for the patient to read now). It carries no message text."""
    submission = message.submission
    reminder, created = _reminder_store(
        key=f"clinic_message:{message.public_id}",
        kind=Kind.CLINIC_MESSAGE,
        due_at=timezone.now(),
        patient_id=submission.patient_id,
        submission=submission,
        language=message.language,
    )
    if created:
        reminders_send_soon([reminder.pk])
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


def waiting_from_client(tag: str | OuterRef) -> QuerySet[Submission]:
    """Urgent submissions nobody has picked up yet from one client (`client_tag`; an
    OuterRef in the re-check's subquery)."""
    return Submission.objects.filter(client_tag=tag, level="urgent", status=Submission.Status.NEW)


# cancelled_reason of an escalation stored already cancelled: its clinician has an email
# (sent or due) about another urgent submission from the same client that still waits,
# which counts this one too when it is sent.
CANCELLED_BATCHED = "batched_with_same_client"
# A client tag is kept this long: long past its escalation (ESCALATION_AFTER_MINUTES).
CLIENT_TAG_KEPT = datetime.timedelta(days=1)


def _clients_told(staff: list[Any]) -> set[tuple[str, int]]:
    """(client tag, clinician) pairs where the clinician has an escalation, sent or due,
    about an urgent submission from that client that nobody has picked up yet."""
    rows = (
        Reminder.objects.filter(
            kind=Kind.ESCALATION,
            staff_user__in=staff,
            submission__level="urgent",
            submission__status=Submission.Status.NEW,
        )
        .exclude(submission__client_tag="")
        .filter(
            Q(status__in=[Status.PENDING, Status.QUEUED, Status.SENDING, Status.SENT])
            | Q(status=Status.CANCELLED, cancelled_reason=CANCELLED_BATCHED)
        )
    )
    return set(rows.values_list("submission__client_tag", "staff_user_id"))


def reminders_schedule_escalations(*, now: datetime.datetime) -> int:
    """One escalation row per waiting urgent submission and clinician on duty, once.

    Urgent submissions from one client (the same `client_tag`: one address within one
    clock hour) make one email per clinician: the oldest one's row is sent and counts,
    when it is sent, all of that client's that still wait; the others' rows are stored
    already cancelled (CANCELLED_BATCHED) while the clinician has that email about one
    still waiting. One that comes after the clinic picked all the earlier ones up gets
    an email of its own. Without a tag (an EHR's, a follow-up) each has its own email.
    Returns how many emails were scheduled (0 when everything was already escalated)."""
    scheduled = 0
    staff = list(on_duty_clinicians())
    with transaction.atomic():
        told = _clients_told(staff)
        waiting = _waiting_urgent(now).only("pk", "public_id", "client_tag")
        for submission in waiting.order_by("submitted_at", "pk"):
            tag = submission.client_tag
            for user in staff:
                batched = bool(tag) and (tag, user.pk) in told
                cancelled = {"status": Status.CANCELLED, "cancelled_reason": CANCELLED_BATCHED}
                _reminder, created = _reminder_store(
                    key=f"escalation:{submission.public_id}:{user.pk}",
                    kind=Kind.ESCALATION,
                    due_at=now,
                    submission=submission,
                    staff_user=user,
                    language=settings.LANGUAGE_CODE,
                    **(cancelled if batched else {}),
                )
                scheduled += created and not batched
                if tag:
                    told.add((tag, user.pk))
    return scheduled


def reminders_schedule_urgent_new(*, submission: Submission) -> list[Reminder]:
    """An urgent submission has just arrived: one email per clinician on duty, due now
    and handed to a worker as soon as the transaction commits, so the clinic hears of it
    at once instead of after ESCALATION_AFTER_MINUTES (the escalation still follows if
    nobody picks it up). Once per submission and clinician (the key): a double submit or
    the urgent page's early store followed by the full form stores it once. The email
    says only that an urgent submission waits, with a staff link (`emails.urgent_new`).
    Urgent submissions from one client (`client_tag`) that still wait make one notice per
    clinician, as escalations do: a later one's row is stored already cancelled
    (CANCELLED_BATCHED), so a flood of forms from one address does not flood the inbox.
    Returns the rows stored now."""
    stored = []
    told = _clients_noticed(submission)
    for user in on_duty_clinicians():
        batched = user.pk in told
        cancelled = {"status": Status.CANCELLED, "cancelled_reason": CANCELLED_BATCHED}
        reminder, created = _reminder_store(
            key=f"urgent_new:{submission.public_id}:{user.pk}",
            kind=Kind.URGENT_NEW,
            due_at=timezone.now(),
            submission=submission,
            staff_user=user,
            language=settings.LANGUAGE_CODE,
            **(cancelled if batched else {}),
        )
        if created:
            stored.append(reminder)
    to_send = [reminder.pk for reminder in stored if reminder.status == Status.PENDING]
    if to_send:
        reminders_send_soon(to_send)
    return stored


def _clients_noticed(submission: Submission) -> set[int]:
    """The clinicians already sent (or about to be sent) a notice about another urgent
    submission from this one's client that still waits."""
    if not submission.client_tag:
        return set()
    rows = Reminder.objects.filter(
        kind=Kind.URGENT_NEW,
        submission__client_tag=submission.client_tag,
        submission__level="urgent",
        submission__status=Submission.Status.NEW,
        status__in=[Status.PENDING, Status.QUEUED, Status.SENDING, Status.SENT],
    ).exclude(submission=submission)
    return set(rows.values_list("staff_user_id", flat=True))


def client_tags_clear(*, now: datetime.datetime) -> int:
    """Clear the client tags older than CLIENT_TAG_KEPT (each escalation has been stored
    by then): a tag links one client's submissions and is kept no longer than batching
    their escalations needs. Returns how many were cleared."""
    return (
        Submission.objects.exclude(client_tag="")
        .filter(submitted_at__lt=now - CLIENT_TAG_KEPT)
        .update(client_tag="")
    )


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
