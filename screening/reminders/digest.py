"""The staff digest's numbers: open submissions per level, the oldest nobody has picked
up, and overdue tasks. Counts and opaque ids only: no names, no answers, no notes."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Min, Q

from screening.engine import contract
from screening.models import OPEN_STATUSES, Submission, Task


def digest_numbers(now: datetime.datetime) -> dict[str, Any]:
    """The digest's content: open submissions per level and when the oldest one nobody
    has picked up came in. Counts only: no names, no answers."""
    counts = dict.fromkeys(contract.LEVELS, 0)
    rows = (
        Submission.objects.filter(status__in=OPEN_STATUSES)
        .values_list("level")
        .annotate(n=Count("pk"))
    )
    for level, count in rows.order_by():
        counts[level] = count
    oldest = Submission.objects.filter(status=Submission.Status.NEW).aggregate(
        oldest=Min("submitted_at")
    )["oldest"]
    return {
        "counts": counts,
        "total": sum(counts.values()),
        "oldest_submitted_at": oldest,
        "now": now,
    }


# The digest links to at most this many of the recipient's overdue tasks.
DIGEST_TASKS_LISTED = 10


def digest_tasks(user_id: int | None, today: datetime.date) -> dict[str, Any]:
    """The digest's overdue tasks (open, due before today): the clinic's count, the
    recipient's count and their first DIGEST_TASKS_LISTED as (public id, due date), most
    overdue first. No reference, kind of task, name or note."""
    overdue = Task.objects.overdue(today)
    counts = overdue.aggregate(clinic=Count("pk"), mine=Count("pk", filter=Q(owner_id=user_id)))
    mine = overdue.filter(owner_id=user_id).order_by("due_on", "id")
    return {
        "tasks_overdue": counts["clinic"],
        "tasks_overdue_mine": counts["mine"],
        "overdue_tasks": list(mine.values_list("public_id", "due_on")[:DIGEST_TASKS_LISTED]),
    }
