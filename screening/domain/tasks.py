"""Tasks: creating them with a decision, closing, reassigning, and closing a submission
with a reason.

A decision may leave tasks (contact the patient, order a B12 test, chase a result), each
with an owner and a due date (`TASK_DUE_DAYS` by default). The submission stays in the open
queue (status "tasks open", or awaiting test) while any task is open; closing the last one
moves a "tasks open" submission to reviewed. A clinician may instead close the submission
with a reason, which cancels its open tasks.

Each public function is one transaction with its audit events (CHANGE "task.create",
"task.close", "task.reassign", "submission.status"). Events carry ids and codes, never the
note or the reason: those stay on the task and the status change.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from screening.domain.audit import audit_record
from screening.domain.review import (
    TransitionNotAllowed,
    _lock,
    _status_set,
    review_record,
)
from screening.domain.text import plain_text
from screening.models import AuditEvent, Review, StatusChange, Submission, Task

Status = Submission.Status

# A task's default due date: this many days after the decision (clinic days are calendar
# days). Contacting the patient and ordering the test are soon; a result takes about two
# weeks to come back before it is worth chasing.
TASK_DUE_DAYS: dict[str, int] = {
    Task.Kind.CONTACT_PATIENT: 2,
    Task.Kind.ORDER_B12_TEST: 2,
    Task.Kind.CHASE_RESULT: 14,
}
# What a clinician may close a task with; CANCELLED is only for submission_close.
CLOSING_OUTCOMES = (Task.Outcome.DONE, Task.Outcome.NO_ANSWER, Task.Outcome.DECLINED)
# The submissions a clinician may close with a reason.
CLOSABLE_STATUSES = (Status.AWAITING_TEST, Status.TASKS_OPEN, Status.REVIEWED)
REASON_MAX_LENGTH = 500


class TaskAlreadyClosed(TransitionNotAllowed):
    """A colleague closed the task a moment ago."""


@dataclass(frozen=True)
class TaskSpec:
    """A task a decision asks for."""

    kind: str
    owner: User
    due_on: datetime.date


def task_due_default(kind: str, *, today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=TASK_DUE_DAYS[kind])


def may_own_tasks(user: User) -> bool:
    """Only active clinicians (who can open the submission) own tasks."""
    return user.is_active and user.has_perm("screening.review_submission")


def _audit(task: Task, *, by: User, address: str | None, what: str, detail: dict[str, Any]) -> None:
    audit_record(
        by=by,
        address=address,
        action=AuditEvent.Action.CHANGE,
        what=what,
        object_type="task",
        object_id=str(task.public_id),
        patient=task.submission.patient,
        detail={"reference": task.submission.reference, **detail},
    )


def decision_record(
    *,
    submission: Submission,
    by: User,
    outcomes: list[str],
    note: str,
    tasks: Sequence[TaskSpec] = (),
    address: str | None = None,
    seen_review_id: int | None = None,
) -> Review:
    """Record a decision (`review.review_record`) and the tasks it asks for, together.

    `seen_review_id`: the latest decision (its id, 0 for none) on the page the clinician
    decided from. If another was recorded since (a double submit, or a colleague), nothing
    is stored: a second click must not create every task twice."""
    for spec in tasks:
        if spec.kind not in Task.Kind.values:
            raise ValueError(f"Unknown task {spec.kind!r}")
        if not may_own_tasks(spec.owner):
            raise ValueError(f"{spec.owner.get_username()} cannot own a task")
    with transaction.atomic():
        _lock(submission)
        if seen_review_id is not None and seen_review_id != latest_review_id(submission):
            raise TransitionNotAllowed(
                "A decision was recorded on this submission a moment ago; nothing was saved. "
                "Read it before recording another."
            )
        review = review_record(
            submission=submission,
            by=by,
            outcomes=outcomes,
            note=note,
            address=address,
            tasks_open=bool(tasks),
        )
        for spec in tasks:
            task = Task.objects.create(
                submission=submission,
                review=review,
                kind=spec.kind,
                owner=spec.owner,
                due_on=spec.due_on,
                created_by=by,
            )
            _audit(
                task,
                by=by,
                address=address,
                what="task.create",
                detail={
                    "kind": task.kind,
                    "owner": spec.owner.get_username(),
                    "due_on": task.due_on.isoformat(),
                    "review_id": review.pk,
                },
            )
        return review


def latest_review_id(submission: Submission) -> int:
    """The id of the submission's latest decision, 0 when there is none."""
    latest = Review.objects.filter(submission=submission).order_by("-id").first()
    return latest.pk if latest else 0


def _lock_task(task: Task) -> None:
    """Lock the task row and re-read what a colleague may have changed."""
    current = (
        Task.objects.select_for_update()
        .filter(pk=task.pk)
        .values("closed_at", "owner_id", "due_on")
        .get()
    )
    for field, value in current.items():
        setattr(task, field, value)


def _close(task: Task, *, outcome: str, note: str, by: User) -> None:
    task.closed_at = timezone.now()
    task.closed_by = by
    task.outcome = outcome
    task.note = plain_text(note)
    task.save(update_fields=["closed_at", "closed_by", "outcome", "note"])


def task_close(
    *, task: Task, by: User, outcome: str, note: str = "", address: str | None = None
) -> StatusChange | None:
    """Close a task with its outcome (done, no answer, declined) and an optional note.

    Closing the last open task of a "tasks open" submission moves it to reviewed: it leaves
    the open queue. Returns that status change, if any.
    """
    if outcome not in CLOSING_OUTCOMES:
        raise ValueError(f"Outcome must be one of {[str(o) for o in CLOSING_OUTCOMES]}")
    submission = task.submission
    with transaction.atomic():
        _lock(submission)  # the submission first, as every review service locks it
        _lock_task(task)
        if not task.is_open:
            raise TaskAlreadyClosed("This task is already closed.")
        _close(task, outcome=outcome, note=note, by=by)
        change = None
        others_open = Task.objects.open().filter(submission=submission).exists()
        if submission.status == Status.TASKS_OPEN and not others_open:
            change = _status_set(submission, Status.REVIEWED, by=by)
        _audit(
            task,
            by=by,
            address=address,
            what="task.close",
            detail={
                "outcome": outcome,
                "note_given": bool(task.note),
                "submission_status": submission.status,
            },
        )
        return change


def task_reassign(
    *,
    task: Task,
    by: User,
    owner: User,
    due_on: datetime.date,
    address: str | None = None,
) -> None:
    """Give an open task to another clinician and/or move its due date."""
    if not may_own_tasks(owner):
        raise ValueError(f"{owner.get_username()} cannot own a task")
    with transaction.atomic():
        _lock_task(task)
        if not task.is_open:
            raise TaskAlreadyClosed("This task is already closed.")
        before_owner = task.owner.get_username() if task.owner_id else ""
        before_due = task.due_on
        task.owner = owner
        task.due_on = due_on
        task.save(update_fields=["owner", "due_on"])
        _audit(
            task,
            by=by,
            address=address,
            what="task.reassign",
            detail={
                "from_owner": before_owner,
                "to_owner": owner.get_username(),
                "from_due_on": before_due.isoformat(),
                "to_due_on": due_on.isoformat(),
            },
        )


def submission_close(
    *, submission: Submission, by: User, reason: str, address: str | None = None
) -> StatusChange:
    """Close a submission with a reason (kept on the status change), whatever tasks are
    still open: they are closed as cancelled, each with its own event."""
    reason = plain_text(reason).strip()
    if not reason:
        raise ValueError("A reason is needed to close a submission.")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValueError(f"The reason is longer than {REASON_MAX_LENGTH} characters.")
    with transaction.atomic():
        _lock(submission)
        if submission.status not in CLOSABLE_STATUSES:
            raise TransitionNotAllowed(
                "Only a submission with a decision can be closed: record a decision first."
            )
        cancelled = list(
            Task.objects.select_for_update().open().filter(submission=submission).order_by("id")
        )
        for task in cancelled:
            task.submission = submission
            _close(task, outcome=Task.Outcome.CANCELLED, note="", by=by)
            _audit(
                task,
                by=by,
                address=address,
                what="task.close",
                detail={
                    "outcome": Task.Outcome.CANCELLED.value,
                    "note_given": False,
                    "submission_status": Status.CLOSED.value,
                },
            )
        change = _status_set(submission, Status.CLOSED, by=by, reason=reason)
        audit_record(
            by=by,
            address=address,
            action=AuditEvent.Action.CHANGE,
            what="submission.status",
            object_type="submission",
            object_id=str(submission.public_id),
            patient=submission.patient,
            detail={
                "reference": submission.reference,
                "from_status": change.from_status,
                "to_status": change.to_status,
                "status_change_id": change.pk,
                "reason_given": True,
                "tasks_cancelled": [str(task.public_id) for task in cancelled],
            },
        )
        return change
