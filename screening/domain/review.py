"""Staff review of a submission: assignment, status, decisions, and a clinician's lab
results.

Each public function is one transaction: the change and its audit event (CHANGE, named
after the page: "submission.assign", "submission.status", "submission.review",
"lab_result.add") are stored together, or nothing is. They take the staff member (`by`)
and the address of their request (`address`) for the event.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from screening.domain.audit import audit_record
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.domain.results import screen_answers, screening_result_add
from screening.domain.text import plain_text
from screening.engine import contract
from screening.models import (
    AuditEvent,
    LabResult,
    Review,
    ScreeningResult,
    StatusChange,
    Submission,
    Task,
)
from screening.reminders import scheduling


class TransitionNotAllowed(ValueError):
    """The submission is not in a state that allows this change (someone may have moved
    it a moment ago); the message says why in words staff can act on."""


Status = Submission.Status

# Moves a clinician can make with a button. A new submission goes to in review by being
# assigned (submission_assign); decisions (review_record) move it to awaiting test or
# reviewed.
# An open submission (awaiting test, tasks open) leaves the open queue only when its
# tasks are closed or a clinician closes it with a reason (tasks.submission_close).
MANUAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (),
    Status.IN_REVIEW: (Status.NEW,),  # release back to the queue
    Status.AWAITING_TEST: (Status.IN_REVIEW,),
    Status.TASKS_OPEN: (Status.IN_REVIEW,),
    Status.REVIEWED: (Status.IN_REVIEW, Status.CLOSED),
    Status.CLOSED: (Status.IN_REVIEW,),  # reopen
}
# A decision that orders a test leaves the submission waiting for the result.
OUTCOMES_AWAITING_TEST = (Review.Outcome.ORDER_B12_TEST, Review.Outcome.ORDER_BLOOD_COUNT)
DECIDABLE_STATUSES = (Status.NEW, Status.IN_REVIEW, Status.AWAITING_TEST, Status.TASKS_OPEN)


def _lock(submission: Submission) -> None:
    """Lock the row until the transaction ends and re-read what a colleague may have
    changed since `submission` was loaded."""
    current = (
        Submission.objects.select_for_update()
        .filter(pk=submission.pk)
        .values("status", "assignee_id", "status_changed_at", "identity_status")
        .get()
    )
    for field, value in current.items():
        setattr(submission, field, value)


def submission_has_open_tasks(submission: Submission) -> bool:
    return Task.objects.open().filter(submission=submission).exists()


def _status_set(
    submission: Submission, to_status: str, *, by: User, reason: str = ""
) -> StatusChange:
    now = timezone.now()
    change = StatusChange.objects.create(
        submission=submission,
        from_status=submission.status,
        to_status=to_status,
        changed_by=by,
        changed_at=now,
        reason=reason,
    )
    submission.status = to_status
    submission.status_changed_at = now
    submission.save(update_fields=["status", "status_changed_at", "assignee"])
    return change


def _audit_change(
    submission: Submission, *, by: User, address: str | None, what: str, detail: dict[str, Any]
) -> None:
    audit_record(
        by=by,
        address=address,
        action=AuditEvent.Action.CHANGE,
        what=what,
        object_type="submission",
        object_id=str(submission.public_id),
        patient=submission.patient,
        detail={"reference": submission.reference, **detail},
    )


def submission_assign(
    *, submission: Submission, by: User, address: str | None = None
) -> StatusChange | None:
    """Assign the submission to `by` ("assign to me"); a new one moves to in review.

    Taking over a submission a colleague has in review is allowed (the audit trail says
    who). A reviewed or closed submission must be reopened first.
    """
    with transaction.atomic():
        _lock(submission)
        if submission.status in (Status.REVIEWED, Status.CLOSED):
            raise TransitionNotAllowed("This submission has a decision; reopen it first.")
        submission.assignee = by
        change = None
        if submission.status == Status.NEW:
            change = _status_set(submission, Status.IN_REVIEW, by=by)
        else:
            submission.save(update_fields=["assignee"])
        _audit_change(
            submission,
            by=by,
            address=address,
            what="submission.assign",
            detail={"assignee": by.get_username(), "status": submission.status},
        )
        return change


def _status_words(status: str) -> str:
    return str(Status(status).label).lower() if status in Status.values else status


def submission_status_change(
    *, submission: Submission, to_status: str, by: User, address: str | None = None
) -> StatusChange:
    """One of MANUAL_TRANSITIONS. Moving to in review assigns the submission to `by`;
    moving back to new (release) unassigns it."""
    with transaction.atomic():
        _lock(submission)
        if to_status not in MANUAL_TRANSITIONS.get(submission.status, ()):
            raise TransitionNotAllowed(
                f"A submission that is {_status_words(submission.status)} cannot be moved "
                f"to {_status_words(to_status)}."
            )
        if to_status == Status.CLOSED and submission_has_open_tasks(submission):
            raise TransitionNotAllowed(
                "This submission has open tasks: close them, or close it with a reason."
            )
        if to_status == Status.IN_REVIEW:
            submission.assignee = by
        elif to_status == Status.NEW:
            submission.assignee = None
        change = _status_set(submission, to_status, by=by)
        _audit_change(
            submission,
            by=by,
            address=address,
            what="submission.status",
            detail={"from_status": change.from_status, "to_status": change.to_status},
        )
        return change


def review_record(
    *,
    submission: Submission,
    by: User,
    outcomes: list[str],
    note: str,
    address: str | None = None,
    tasks_open: bool = False,
) -> Review:
    """Record a clinician's (`by`) decision and move the submission on.

    Ordering a B12 test or a full blood count moves it to awaiting test; otherwise a
    submission with open tasks (`tasks_open`: the decision is about to create some, see
    `screening.domain.tasks.decision_record`) to tasks open; any other decision to
    reviewed. A new submission is first put in review for the clinician (two status
    changes are recorded, so the history has no gap); an unassigned one is assigned to them.
    """
    codes = list(dict.fromkeys(outcomes))
    unknown = [code for code in codes if code not in Review.Outcome.values]
    if not codes or unknown:
        raise ValueError(f"Outcomes must be one or more of {Review.Outcome.values}: {unknown}")
    with transaction.atomic():
        _lock(submission)
        if submission.status not in DECIDABLE_STATUSES:
            raise TransitionNotAllowed("This submission has a decision; reopen it first.")
        if submission.assignee_id is None:
            submission.assignee = by
        if submission.status == Status.NEW:
            _status_set(submission, Status.IN_REVIEW, by=by)
        review = Review.objects.create(
            submission=submission, clinician=by, outcomes=codes, note=plain_text(note)
        )
        ordered = any(code in OUTCOMES_AWAITING_TEST for code in codes)
        if ordered:
            to_status = Status.AWAITING_TEST
        elif tasks_open or submission_has_open_tasks(submission):
            to_status = Status.TASKS_OPEN
        else:
            to_status = Status.REVIEWED
        if submission.status != to_status:
            _status_set(submission, to_status, by=by)
        else:
            submission.save(update_fields=["assignee"])
        # The patient's follow-up and blood test reminders: outbox rows in this transaction.
        scheduling.reminders_schedule_for_review(submission=submission, review=review)
        _audit_change(
            submission,
            by=by,
            address=address,
            what="submission.review",
            detail={"review_id": review.pk, "status": submission.status},
        )
        return review


# ---------------------------------------------------------------------------
# Lab results entered by a clinician
# ---------------------------------------------------------------------------


def _outcome(result: dict[str, Any]) -> dict[str, Any]:
    """What makes a screening outcome different, as ScreeningResult fields. rules_version
    alone does not: a stored result stays true for the version it names."""
    return {
        "level": result["level"],
        "possible_b12_deficiency": result["possible_b12_deficiency"],
        "red_flags": result["red_flags"],
        "reasons": result["reasons"],
        "suggested_actions": result["suggested_actions"],
        "b12_status": result["lab_interpretation"]["b12_status"],
    }


def lab_result_add(
    *,
    submission: Submission,
    test: str,
    value: Decimal,
    unit: str,
    date: datetime.date,
    by: User,
    address: str | None = None,
) -> tuple[LabResult, ScreeningResult | None]:
    """Store a clinician's lab result on the submission (and so on its patient), then
    re-screen the submission's answers with it.

    Where the lab changes the screening outcome (any field of `_outcome`), a new
    ScreeningResult (trigger "lab") is added next to the old one, never over it, and the
    queue level follows; otherwise no result is added. Returns (lab, new result or None).
    """
    if unit not in contract.LAB_UNITS.get(test, ()):
        raise ValueError(f"{unit!r} is not a unit for {test!r}")
    if not 0 <= value < contract.LAB_VALUE_MAX:
        raise ValueError(f"value: must be 0 or more and less than {contract.LAB_VALUE_MAX:,}")
    if date > timezone.localdate():  # clinical.md E4: it would hide every earlier result
        raise ValueError(f"date: {date.isoformat()} is after the day of screening")
    with transaction.atomic():
        _lock(submission)
        lab = LabResult.objects.create(
            patient=submission.patient,
            submission=submission,
            test=test,
            value=value,
            unit=unit,
            date=date,
            source=LabResult.Source.CLINICIAN,
            entered_by=by,
        )
        current = submission_current_result(submission=submission)
        screened = screen_answers(submission_answers(submission=submission))
        unchanged = current is not None and all(
            getattr(current, field) == outcome for field, outcome in _outcome(screened).items()
        )
        result = None
        if not unchanged:
            result = screening_result_add(
                submission=submission, trigger=ScreeningResult.Trigger.LAB
            )
        _audit_change(
            submission,
            by=by,
            address=address,
            what="lab_result.add",
            detail={
                "lab_result_id": lab.pk,
                "screening_result_id": result.pk if result else None,
            },
        )
        return lab, result
