"""Tasks: created with a decision, closed, reassigned, and a submission closed with a
reason; each with its audit event, and the submission's place in the open queue."""

from __future__ import annotations

import datetime

import pytest

from screening.domain import tasks as task_services
from screening.domain.queries import tasks as task_queries
from screening.domain.queries.queue import queue_submissions
from screening.domain.review import TransitionNotAllowed, submission_status_change
from screening.models import AuditEvent, StatusChange, Task
from tests.factories import SubmissionFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 9, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 6, 15)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def _spec(kind: str, owner, days: int = 2) -> task_services.TaskSpec:
    return task_services.TaskSpec(
        kind=kind, owner=owner, due_on=TODAY + datetime.timedelta(days=days)
    )


def _events(what: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(what=what).order_by("id"))


# --- decisions that create tasks -------------------------------------------------------


def test_decision_with_tasks_creates_them_and_keeps_the_submission_open(clinician, now):
    submission = SubmissionFactory(status="in_review", assignee=clinician)

    review = task_services.decision_record(
        submission=submission,
        by=clinician,
        outcomes=["contact_patient"],
        note="",
        tasks=[_spec("contact_patient", clinician), _spec("chase_result", clinician, 14)],
    )

    submission.refresh_from_db()
    assert submission.status == "tasks_open"
    assert list(
        Task.objects.values_list("kind", "owner__username", "due_on", "review_id", "created_by")
    ) == [
        ("contact_patient", "clinician", datetime.date(2025, 6, 17), review.pk, clinician.pk),
        ("chase_result", "clinician", datetime.date(2025, 6, 29), review.pk, clinician.pk),
    ]
    events = _events("task.create")
    assert [(e.action, e.object_type, e.detail["kind"]) for e in events] == [
        (AuditEvent.Action.CHANGE, "task", "contact_patient"),
        (AuditEvent.Action.CHANGE, "task", "chase_result"),
    ]
    assert events[0].detail == {
        "reference": submission.reference,
        "kind": "contact_patient",
        "owner": "clinician",
        "due_on": "2025-06-17",
        "review_id": review.pk,
    }
    assert [s.pk for s in queue_submissions(user=clinician, clinical=True)] == [submission.pk]


def test_decision_ordering_a_test_with_tasks_is_awaiting_test(clinician, now):
    submission = SubmissionFactory(status="in_review")

    task_services.decision_record(
        submission=submission,
        by=clinician,
        outcomes=["order_b12_test"],
        note="",
        tasks=[_spec("order_b12_test", clinician)],
    )

    submission.refresh_from_db()
    assert submission.status == "awaiting_test"
    assert Task.objects.count() == 1


def test_decision_without_tasks_is_reviewed(clinician, now):
    submission = SubmissionFactory(status="in_review")

    task_services.decision_record(
        submission=submission, by=clinician, outcomes=["no_action"], note="", tasks=[]
    )

    submission.refresh_from_db()
    assert submission.status == "reviewed"
    assert Task.objects.count() == 0


def test_decision_without_tasks_keeps_earlier_open_tasks_open(clinician, now):
    task = TaskFactory(owner=clinician)

    task_services.decision_record(
        submission=task.submission, by=clinician, outcomes=["refer"], note="", tasks=[]
    )

    task.submission.refresh_from_db()
    assert task.submission.status == "tasks_open"


def test_task_owner_must_be_a_clinician(clinician, receptionist, now):
    submission = SubmissionFactory(status="in_review")

    with pytest.raises(ValueError, match="cannot own a task"):
        task_services.decision_record(
            submission=submission,
            by=clinician,
            outcomes=["contact_patient"],
            note="",
            tasks=[_spec("contact_patient", receptionist)],
        )

    submission.refresh_from_db()
    assert (submission.status, Task.objects.count(), _events("submission.review")) == (
        "in_review",
        0,
        [],
    )


# --- closing a task ------------------------------------------------------------------


def test_closing_the_last_task_moves_the_submission_to_reviewed(clinician, now):
    first = TaskFactory(owner=clinician)
    second = TaskFactory(owner=clinician, submission=first.submission, kind="chase_result")

    assert (
        task_services.task_close(task=first, by=clinician, outcome="done", note="Called.") is None
    )
    first.submission.refresh_from_db()
    assert first.submission.status == "tasks_open"

    change = task_services.task_close(task=second, by=clinician, outcome="no_answer")

    first.submission.refresh_from_db()
    assert first.submission.status == "reviewed"
    assert (change.from_status, change.to_status, change.changed_by) == (
        "tasks_open",
        "reviewed",
        clinician,
    )
    first.refresh_from_db()
    assert (first.outcome, first.note, first.closed_at, first.closed_by) == (
        "done",
        "Called.",
        NOW,
        clinician,
    )
    assert [e.detail for e in _events("task.close")] == [
        {
            "reference": first.submission.reference,
            "outcome": "done",
            "note_given": True,
            "submission_status": "tasks_open",
        },
        {
            "reference": first.submission.reference,
            "outcome": "no_answer",
            "note_given": False,
            "submission_status": "reviewed",
        },
    ]
    assert "Called." not in str([e.detail for e in AuditEvent.objects.all()])


def test_closing_a_task_while_awaiting_test_keeps_the_status(clinician, now):
    task = TaskFactory(owner=clinician, submission__status="awaiting_test")

    task_services.task_close(task=task, by=clinician, outcome="declined")

    task.submission.refresh_from_db()
    assert task.submission.status == "awaiting_test"


def test_closing_a_closed_task_is_refused(clinician, now):
    task = TaskFactory(owner=clinician)
    stale = Task.objects.get(pk=task.pk)
    task_services.task_close(task=task, by=clinician, outcome="done")

    with pytest.raises(task_services.TaskAlreadyClosed):
        task_services.task_close(task=stale, by=clinician, outcome="no_answer")

    task.refresh_from_db()
    assert task.outcome == "done"
    assert len(_events("task.close")) == 1


def test_closing_with_cancelled_is_refused(clinician, now):
    task = TaskFactory(owner=clinician)

    with pytest.raises(ValueError, match="Outcome must be"):
        task_services.task_close(task=task, by=clinician, outcome="cancelled")
    assert Task.objects.open().count() == 1


# --- reassigning ---------------------------------------------------------------------


def test_reassign_changes_owner_and_due_date_and_is_audited(clinician, now):
    colleague = UserFactory(username="colleague")
    colleague.groups.set(clinician.groups.all())
    task = TaskFactory(owner=clinician, due_on=TODAY)

    task_services.task_reassign(
        task=task, by=clinician, owner=colleague, due_on=datetime.date(2025, 6, 20)
    )

    task.refresh_from_db()
    assert (task.owner, task.due_on) == (colleague, datetime.date(2025, 6, 20))
    [event] = _events("task.reassign")
    assert event.detail == {
        "reference": task.submission.reference,
        "from_owner": "clinician",
        "to_owner": "colleague",
        "from_due_on": "2025-06-15",
        "to_due_on": "2025-06-20",
    }


# --- closing a submission with a reason ------------------------------------------------


def test_close_with_a_reason_cancels_open_tasks(clinician, now):
    task = TaskFactory(owner=clinician)
    done = TaskFactory(owner=clinician, submission=task.submission, closed_at=NOW, outcome="done")
    submission = task.submission

    change = task_services.submission_close(
        submission=submission, by=clinician, reason="Patient moved away."
    )

    submission.refresh_from_db()
    task.refresh_from_db()
    done.refresh_from_db()
    assert submission.status == "closed"
    assert (change.from_status, change.to_status, change.reason) == (
        "tasks_open",
        "closed",
        "Patient moved away.",
    )
    assert (task.outcome, task.closed_by) == ("cancelled", clinician)
    assert done.outcome == "done"
    [close_event] = _events("task.close")
    assert close_event.object_id == str(task.public_id)
    [status_event] = _events("submission.status")
    assert status_event.detail == {
        "reference": submission.reference,
        "from_status": "tasks_open",
        "to_status": "closed",
        "status_change_id": change.pk,
        "reason_given": True,
        "tasks_cancelled": [str(task.public_id)],
    }
    assert queue_submissions(user=clinician, clinical=True).count() == 0


@pytest.mark.parametrize("reason", ["", "   "])
def test_close_needs_a_reason(clinician, now, reason):
    submission = SubmissionFactory(status="awaiting_test")

    with pytest.raises(ValueError, match="reason"):
        task_services.submission_close(submission=submission, by=clinician, reason=reason)

    submission.refresh_from_db()
    assert submission.status == "awaiting_test"


@pytest.mark.parametrize("status", ["new", "in_review", "closed"])
def test_close_with_a_reason_needs_a_decision(clinician, now, status):
    submission = SubmissionFactory(status=status)

    with pytest.raises(TransitionNotAllowed):
        task_services.submission_close(submission=submission, by=clinician, reason="Done.")
    assert StatusChange.objects.count() == 0


def test_plain_close_is_refused_while_tasks_are_open(clinician, now):
    """A reviewed submission reopened and decided again could carry open tasks; the
    close button is refused then, whatever the status."""
    task = TaskFactory(owner=clinician, submission__status="reviewed")

    with pytest.raises(TransitionNotAllowed, match="open tasks"):
        submission_status_change(submission=task.submission, to_status="closed", by=clinician)


# --- selectors -----------------------------------------------------------------------


def test_open_tasks_mine_and_all_soonest_first(clinician, now):
    other = UserFactory(username="other")
    late = TaskFactory(owner=clinician, due_on=TODAY - datetime.timedelta(days=1))
    later = TaskFactory(owner=clinician, due_on=TODAY + datetime.timedelta(days=5))
    others = TaskFactory(owner=other, due_on=TODAY)
    TaskFactory(owner=clinician, closed_at=NOW, outcome="done")

    assert list(task_queries.open_tasks(owner=clinician)) == [late, later]
    assert list(task_queries.open_tasks(owner=None)) == [late, others, later]
    rows = task_queries.task_rows(tasks=[late, others, later], today=TODAY)
    assert [row.overdue for row in rows] == [True, False, False]
    assert task_queries.task_counts(owner=clinician, today=TODAY) == {"open": 2, "overdue": 1}
    assert task_queries.task_counts(owner=None, today=TODAY) == {"open": 3, "overdue": 1}


def test_submission_tasks_open_first_then_latest_closed(clinician, now):
    submission = SubmissionFactory()
    older = TaskFactory(
        submission=submission, owner=clinician, closed_at=NOW - datetime.timedelta(days=1)
    )
    newer = TaskFactory(submission=submission, owner=clinician, closed_at=NOW)
    open_one = TaskFactory(submission=submission, owner=clinician)

    assert task_queries.submission_tasks(submission=submission) == [open_one, newer, older]
