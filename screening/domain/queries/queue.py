"""The staff review queue: which submissions, in which order, and what the clock says."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from screening.engine import contract
from screening.engine.deciding import deciding_reasons
from screening.models import (
    OPEN_STATUSES,
    REFERENCE_ALPHABET,
    REFERENCE_PREFIX,
    ScreeningResult,
    Submission,
)

# No decision recorded yet: what the urgent highlight is about.
UNREVIEWED_STATUSES = (Submission.Status.NEW, Submission.Status.IN_REVIEW)
QUEUE_STATUS_OPEN = ""  # the default: open (new, in review, awaiting test); a search: any
QUEUE_STATUS_OPEN_ONLY = "open"  # open, even for a search
QUEUE_STATUS_ALL = "all"
QUEUE_ASSIGNEE_ME = "me"
QUEUE_ASSIGNEE_UNASSIGNED = "unassigned"
QUEUE_TOP_REASONS = 3


def _current_result(field: str) -> Subquery:
    """One column of the latest screening result, as a subquery (no per-row query)."""
    latest = ScreeningResult.objects.filter(submission=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    return Subquery(latest.values(field)[:1], output_field=JSONField())


def clinic_day_start(day: datetime.date) -> datetime.datetime | None:
    """Midnight at the start of `day` in the clinic's time zone, as UTC; None when that
    is outside what a datetime can hold (year 1 east of UTC, or the day after 9999-12-31)."""
    try:
        start = datetime.datetime.combine(day, datetime.time.min)
        return timezone.make_aware(start).astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        return None


def _submitted_between(
    submitted_from: datetime.date | None, submitted_to: datetime.date | None
) -> Q:
    """Submitted on these days in the clinic's time zone, both included, as a range on
    `submitted_at` (so the index on it can be used, which `submitted_at__date` cannot)."""
    condition = Q()
    if submitted_from:
        start = clinic_day_start(submitted_from)
        if start is not None:
            condition &= Q(submitted_at__gte=start)
    if submitted_to:
        end = None
        if submitted_to < datetime.date.max:
            end = clinic_day_start(submitted_to + datetime.timedelta(days=1))
        if end is not None:
            condition &= Q(submitted_at__lt=end)
    return condition


_REFERENCE_CHARACTER = f"[{re.escape(REFERENCE_ALPHABET)}]"
# What is left of a search once an optional "B12" prefix, dashes and spaces are taken out.
_REFERENCE_REST = re.compile(f"{_REFERENCE_CHARACTER}{{0,8}}")


def _reference_start(q: str) -> tuple[str, bool] | None:
    """The start of a reference that the search text `q` could be, in the stored form
    ("b12 7kq4xm" -> "B12-7KQ4-XM"), and whether it surely is one; None when it cannot be."""
    text = re.sub(r"[\s-]", "", q).upper()
    has_prefix = text.startswith(REFERENCE_PREFIX)
    rest = text[len(REFERENCE_PREFIX) :] if has_prefix else text
    if not _REFERENCE_REST.fullmatch(rest) or not (has_prefix or rest):
        return None
    prefix = "-".join(filter(None, [REFERENCE_PREFIX, rest[:4], rest[4:]]))
    return prefix, has_prefix or any(character.isdigit() for character in rest)


def reference_search_prefix(q: str) -> str | None:
    """The start of a reference that the search text `q` is, or None when it is not one.

    A reference is B12-XXXX-XXXX (`models.new_reference`). A search is taken as one when,
    case, spaces and dashes forgiven, it starts with "B12", or is made of reference
    characters with a digit among them ("7kq4-xm9p", "7KQ4"): names and email addresses
    never are. The prefix comes back in the stored form: "b12 7kq4xm" -> "B12-7KQ4-XM".
    Eight reference letters without a digit ("KXMA-BCDE": about one reference in twelve
    has none) could be either: `_queue_search` looks that reference up first.
    """
    start = _reference_start(q)
    if start is None or not start[1]:
        return None
    return start[0]


def _is_email_address(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def _queue_search(q: str) -> Q:
    """What the queue's search box finds (docs/dashboard.md), each off an index:

    - a reference, whole (that submission) or its start (the references that start so);
    - a whole email address: that patient's, as stored (trimmed, lower case);
    - anything else: any part of the patient's name or email, any case (trigram indexes
      on PostgreSQL, migration 0010); but eight reference letters without a digit
      ("kxma-bcde") that are a whole reference find that submission.
    """
    start = _reference_start(q)
    if start is not None:
        prefix, surely = start
        whole = len(prefix) == len(REFERENCE_PREFIX) + 10  # B12-XXXX-XXXX
        if surely:
            # A whole reference: the unique index; its start: a prefix match on it.
            return Q(reference=prefix) if whole else Q(reference__startswith=prefix)
        # Eight reference letters without a digit: a whole reference that has none, or a
        # name. The reference wins if there is one (one lookup on the unique index; an OR
        # with the name would scan every submission).
        if whole and Submission.objects.filter(reference=prefix).exists():
            return Q(reference=prefix)
    if _is_email_address(q):  # never reference-like: "@" and "." are no reference characters
        return Q(patient__email=q.lower())
    return Q(patient__full_name__icontains=q) | Q(patient__email__icontains=q)


def queue_submissions(
    *,
    user: User,
    clinical: bool,
    level: str = "",
    status: str = QUEUE_STATUS_OPEN,
    assignee: str = "",
    submitted_from: datetime.date | None = None,
    submitted_to: datetime.date | None = None,
    q: str = "",
) -> QuerySet[Submission]:
    """The review queue: most urgent first (Submission.level_rank), then longest waiting.

    `clinical` False (a receptionist) ignores `level`, does not fetch the current
    result's reasons and orders by the time sent alone, newest first: neither the rows
    nor their order tell an urgent submission from another. (Newest first walks the
    index on `submitted_at` from the end, where the open submissions are; oldest first
    would step over every decided one first: docs/performance.md.) `assignee` is "", "me",
    "unassigned" or a user's primary key. Dates are days in the clinic's time zone,
    both ends included. `q` is a reference or a part of one, or else a part of the
    patient's name or email (`_queue_search`).

    `status` "" (the default) is the open submissions, but a search looks across every
    status: a patient found by reference or name is found whatever became of their
    submission. "open" keeps a search to the open ones; a status or "all" narrows as said.
    """
    q = q.strip()
    submissions = Submission.objects.select_related("patient", "assignee")
    if status == QUEUE_STATUS_OPEN_ONLY or (status == QUEUE_STATUS_OPEN and not q):
        submissions = submissions.filter(status__in=OPEN_STATUSES)
    elif status not in (QUEUE_STATUS_ALL, QUEUE_STATUS_OPEN):
        submissions = submissions.filter(status=status)
    if clinical and level:
        # level_rank is kept in step with level, and leads the indexes in queue order.
        submissions = submissions.filter(level=level, level_rank=contract.LEVELS.index(level))
    if assignee == QUEUE_ASSIGNEE_ME:
        submissions = submissions.filter(assignee=user)
    elif assignee == QUEUE_ASSIGNEE_UNASSIGNED:
        submissions = submissions.filter(assignee__isnull=True)
    elif assignee:
        submissions = submissions.filter(assignee_id=int(assignee))
    submissions = submissions.filter(_submitted_between(submitted_from, submitted_to))
    if q:
        submissions = submissions.filter(_queue_search(q))
    if not clinical:
        return submissions.order_by("-submitted_at", "-id")
    submissions = submissions.annotate(current_reasons=_current_result("reasons"))
    return submissions.order_by("level_rank", "submitted_at", "id")


def queue_level_counts(*, cap: int) -> dict[str, int]:
    """Open submissions per level, each counted up to `cap` + 1 (more than `cap` shows as
    "1,000+": counting every open row of a level reads the whole partial index, 53,000
    entries a page at a million submissions), in one statement: {"urgent": 2, ...}.

    Each level's count is a range of the open-queue index (level_rank leads it), stopped
    after `cap` + 1 entries; composed from the ORM's own SQL, as `alerts.staff_alerts`."""
    parts: list[str] = []
    params: list[Any] = []
    for rank, level in enumerate(contract.LEVELS):
        matches = (
            Submission.objects.filter(status__in=OPEN_STATUSES, level=level, level_rank=rank)
            .order_by()
            .values("pk")[: cap + 1]
        )
        sql, level_params = matches.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS level_{rank})")  # noqa: S608 (ORM SQL)
        params += level_params
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        counts = cursor.fetchone()
    return {level: int(count) for level, count in zip(contract.LEVELS, counts, strict=True)}


@dataclass(frozen=True)
class QueueRow:
    """One queue row, with what the page works out from the clock (in words:
    `screening.staff.display.queue_lines`)."""

    submission: Submission
    waiting: datetime.timedelta | None  # None once a decision is recorded
    overdue: bool  # urgent, no decision yet, waiting longer than the highlight limit
    top_reasons: list[str]


def queue_top_reasons(reasons: list[dict[str, Any]], *, level: str) -> list[str]:
    """The texts of the first reasons that decided the level (`engine.deciding`): the red
    flag, the criterion met, the risk factor, a deficiency-likely result, the neurological
    symptom; never a symptom that does not count."""
    return [reason["text"] for reason in deciding_reasons(reasons, level=level)][:QUEUE_TOP_REASONS]


def queue_rows(
    *,
    submissions: Iterable[Submission],
    now: datetime.datetime,
    highlight_minutes: int,
    clinical: bool = True,
) -> list[QueueRow]:
    """Queue rows for a page of `queue_submissions`; no queries.

    Waiting time runs from submission until a decision is recorded (status reviewed or
    closed stops the clock). An urgent submission still without a decision after more
    than `highlight_minutes` is overdue (exactly the limit is not). Without clinical
    access nothing is overdue: the highlight would give the level away.
    """
    limit = datetime.timedelta(minutes=highlight_minutes)
    rows = []
    for submission in submissions:
        waiting = now - submission.submitted_at if submission.is_open else None
        reasons = getattr(submission, "current_reasons", None) or []
        rows.append(
            QueueRow(
                submission=submission,
                waiting=waiting,
                overdue=(
                    clinical
                    and submission.level == "urgent"
                    and submission.status in UNREVIEWED_STATUSES
                    and waiting is not None
                    and waiting > limit
                ),
                top_reasons=queue_top_reasons(reasons, level=submission.level),
            )
        )
    return rows


def staff_reviewers() -> QuerySet[User]:
    """Active staff who may review (for the assignee filter), by group or direct
    permission, in one query."""
    by_group = Q(
        groups__permissions__codename="review_submission",
        groups__permissions__content_type__app_label="screening",
    )
    direct = Q(
        user_permissions__codename="review_submission",
        user_permissions__content_type__app_label="screening",
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(by_group | direct)
        .distinct()
        .order_by("username")
    )
