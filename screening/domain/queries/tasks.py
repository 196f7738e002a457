"""Tasks as the staff pages read them: "My tasks", the clinic's open tasks, one
submission's tasks, and the overdue counts (also for the daily digest)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet

from screening.models import Submission, Task

TASKS_SCOPE_MINE = "mine"
TASKS_SCOPE_ALL = "all"


@dataclass(frozen=True)
class TaskRow:
    """A task with what the clock says about it."""

    task: Task
    overdue: bool  # open, and due before today


def open_tasks(*, owner: User | None) -> QuerySet[Task]:
    """Open tasks, soonest due first: `owner`'s, or the whole clinic's (None), with the
    submission, patient and owner joined (a fixed number of queries for any page)."""
    tasks = Task.objects.open().select_related("submission__patient", "owner")
    if owner is not None:
        tasks = tasks.filter(owner=owner)
    return tasks.order_by("due_on", "id")


def task_rows(*, tasks: list[Task], today: datetime.date) -> list[TaskRow]:
    """Rows for a page of tasks; no queries."""
    return [TaskRow(task=task, overdue=task.is_open and task.due_on < today) for task in tasks]


def task_counts(*, owner: User | None, today: datetime.date) -> dict[str, int]:
    """{"open": n, "overdue": m} for `owner`'s tasks or the clinic's (None), in one query."""
    tasks = Task.objects.open()
    if owner is not None:
        tasks = tasks.filter(owner=owner)
    return tasks.aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))


def submission_tasks(*, submission: Submission) -> list[Task]:
    """Every task of a submission: open ones first (soonest due), then closed (latest
    first); one query."""
    tasks = Task.objects.filter(submission=submission).select_related("owner", "closed_by")
    open_first = sorted(tasks, key=lambda task: (not task.is_open, task.due_on, task.pk))
    return [t for t in open_first if t.is_open] + sorted(
        (t for t in open_first if not t.is_open),
        key=lambda task: (task.closed_at, task.pk),
        reverse=True,
    )


def task_by_public_id(*, public_id: uuid.UUID) -> Task | None:
    return (
        Task.objects.select_related("submission__patient", "owner")
        .filter(public_id=public_id)
        .first()
    )
