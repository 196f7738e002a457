"""The send-time re-check: does the reason for a reminder still hold?

`delivery` reads a chunk's rows with `for_sending` (the fields the re-check and the emails
use, and the re-check's lookups as EXISTS annotations: one statement for the chunk) and
asks `cancel_reason` of each row right before its send. docs/reminders.md, "What is
re-checked".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Trim

from screening.engine import contract
from screening.models import EmailOptOut, LabResult, Reminder, Submission
from screening.reminders.scheduling import on_duty_clinicians, waiting_from_client

Kind = Reminder.Kind

# Emails to the patient of a submission (the address is the submission's patient's).
PATIENT_SUBMISSION_KINDS = (
    Kind.FOLLOW_UP,
    Kind.BLOOD_TEST,
    Kind.CONFIRMATION,
    Kind.CLINIC_MESSAGE,
)

# cancelled_reason values
CANCELLED_NO_CONSENT = "no_contact_consent"
CANCELLED_UNSUBSCRIBED = "unsubscribed"
CANCELLED_CASE_CLOSED = "case_closed"
CANCELLED_FOLLOW_UP_DONE = "follow_up_done"
CANCELLED_LAB_RESULT_IN = "lab_result_in"
CANCELLED_DRAFT_SUBMITTED = "draft_submitted"
CANCELLED_DRAFT_EXPIRED = "draft_expired"
CANCELLED_DRAFT_RESUMED = "draft_resumed"  # its link, or the other one to the draft, was used
CANCELLED_NO_LONGER_NEW = "no_longer_waiting"
CANCELLED_NOT_ON_DUTY = "not_on_duty"
CANCELLED_NO_ADDRESS = "no_address"
CANCELLED_POSSIBLE_MATCH = "possible_match"


# What the re-check and the emails read of the related rows (the rest is not loaded: a
# submission's answers, a draft's saved data). A field used but not listed here costs a
# query per email: tests/screening/reminders/test_reminders_send.py counts them for every kind.
SENDING_RELATED_FIELDS = (
    "submission__status",
    "submission__public_id",
    "submission__client_tag",
    "submission__identity_status",
    "submission__reference",
    "submission__patient__email",
    "submission__patient__contact_consent",
    "draft__email",
    "draft__expires_at",
    "draft__submitted_at",
    "staff_user__email",
    "staff_user__is_active",
)


def for_sending() -> QuerySet[Reminder]:
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
            client_waiting=Coalesce(
                Subquery(
                    waiting_from_client(OuterRef("submission__client_tag"))
                    .exclude(client_tag="")
                    .order_by()
                    .values("client_tag")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
        )
    )


def client_waiting(reminder: Reminder) -> int:
    """How many urgent submissions from the client of an escalation's submission nobody
    has picked up yet (0 for a submission without a client tag): the count its email
    gives (`emails.escalation`). Read with the chunk (`for_sending`) or on its own."""
    assert reminder.submission is not None  # an escalation names its submission
    tag = reminder.submission.client_tag
    if not tag:
        return 0
    value: Any = getattr(reminder, "client_waiting", None)
    return waiting_from_client(tag).count() if value is None else int(value)


def _opted_out(address: str) -> bool:
    return EmailOptOut.objects.filter(email__iexact=address.strip()).exists()


# The re-check's lookups, read with the chunk's rows as annotations (`for_sending`): the
# same conditions as the queries below, one statement for the whole chunk. A reminder
# read without them (none in the send path) falls back to a query each.
def _looked_up(reminder: Reminder, name: str, query: Callable[[], bool]) -> bool:
    value: Any = getattr(reminder, name, None)
    return query() if value is None else bool(value)


def _patient_reason(reminder: Reminder) -> str:
    """Why a follow-up, blood test, confirmation or clinic message email must not go out
    any more ("" if it may): the patient withdrew their consent to emails, or
    unsubscribed, or the case is closed (the check-in or the reminder no longer applies;
    a clinician's message still goes)."""
    submission = reminder.submission
    assert submission is not None  # a follow-up, blood test or confirmation row has one
    patient = submission.patient
    if submission.identity_status == Submission.IdentityStatus.POSSIBLE_MATCH:
        # Not known to be this patient's (none is scheduled for one; a backstop).
        return CANCELLED_POSSIBLE_MATCH
    if not patient.contact_consent:
        return CANCELLED_NO_CONSENT
    if _looked_up(reminder, "patient_opted_out", lambda: _opted_out(patient.email)):
        return CANCELLED_UNSUBSCRIBED
    # A clinician's message is for the patient even when the case is closed.
    if submission.status == Submission.Status.CLOSED and reminder.kind != Kind.CLINIC_MESSAGE:
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
    assert draft is not None  # an unfinished-intake row has its draft
    if draft.submitted_at is not None:
        return CANCELLED_DRAFT_SUBMITTED
    if draft.expires_at <= now:
        return CANCELLED_DRAFT_EXPIRED
    if reminder.link_used_at is not None:  # the answers are back in a browser, not here
        return CANCELLED_DRAFT_RESUMED
    if _looked_up(reminder, "draft_opted_out", lambda: _opted_out(draft.email)):
        return CANCELLED_UNSUBSCRIBED
    return ""


def _staff_reason(reminder: Reminder) -> str:
    user = reminder.staff_user
    assert user is not None  # an escalation, urgent notice or digest row has its staff user
    if not user.is_active or not user.email:
        return CANCELLED_NO_ADDRESS
    if reminder.kind == Kind.URGENT_NEW:
        if not _looked_up(
            reminder, "on_duty", lambda: on_duty_clinicians().filter(pk=user.pk).exists()
        ):
            return CANCELLED_NOT_ON_DUTY
        assert reminder.submission is not None  # the notice names its submission
        if reminder.submission.status != Submission.Status.NEW:
            return CANCELLED_NO_LONGER_NEW
    if reminder.kind == Kind.ESCALATION:
        if not _looked_up(
            reminder, "on_duty", lambda: on_duty_clinicians().filter(pk=user.pk).exists()
        ):
            return CANCELLED_NOT_ON_DUTY
        assert reminder.submission is not None  # an escalation names its submission
        if reminder.submission.client_tag:
            # One email for a client's urgent submissions: sent while any of them waits.
            if client_waiting(reminder) == 0:
                return CANCELLED_NO_LONGER_NEW
        elif reminder.submission.status != Submission.Status.NEW:
            return CANCELLED_NO_LONGER_NEW
    return ""


def cancel_reason(reminder: Reminder, now: datetime.datetime) -> str:
    """Re-check, at send time, that the reason for the reminder still holds. Returns the
    cancelled_reason, or "" when it should be sent."""
    if reminder.kind in PATIENT_SUBMISSION_KINDS:
        return _patient_reason(reminder)
    if reminder.kind in (Kind.UNFINISHED_INTAKE, Kind.INTAKE_SAVED):
        return _draft_reason(reminder, now)
    return _staff_reason(reminder)
