"""Reads. Nothing here writes to the database."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, JSONField, OuterRef, Q, QuerySet, Subquery

from screening import contract
from screening.models import ScreeningResult, Submission


def _json_number(value) -> int | float:
    """A stored Decimal as the JSON number the contract uses (250, not 250.000)."""
    return int(value) if value == value.to_integral_value() else float(value)


def submission_answers(*, submission: Submission) -> dict:
    """The contract's answers dict rebuilt from a submission's rows.

    The inverse of `services._answers_store`: for answers the form can produce,
    answers -> stored -> submission_answers(...) gives back an equal dict.
    """
    answers: dict = {"age_years": submission.age_years}
    for key in ("sex", "pregnant", "diet", "b12_treatment"):
        if getattr(submission, key):
            answers[key] = getattr(submission, key)
    for key in ("breastfeeding", "family_history", "alcohol_units_per_week"):
        if getattr(submission, key) is not None:
            answers[key] = getattr(submission, key)

    symptoms = {}
    for row in submission.symptoms.order_by("id"):
        symptom: dict = {"present": row.present}
        if row.severity is not None:
            symptom["severity"] = row.severity
        if row.duration_weeks is not None:
            symptom["duration_weeks"] = row.duration_weeks
        if row.sites is not None:
            symptom["sites"] = list(row.sites)
        if row.both_sides is not None:
            symptom["both_sides"] = row.both_sides
        symptoms[row.code] = symptom
    if symptoms:
        answers["symptoms"] = symptoms

    red_flags = {row.code: row.answer for row in submission.red_flags.order_by("id")}
    if red_flags:
        answers["red_flags"] = red_flags

    if submission.medicines_answered:
        answers["medicines"] = [row.code for row in submission.medicines.order_by("id")]
    if submission.conditions_answered:
        answers["conditions"] = [row.code for row in submission.conditions.order_by("id")]

    labs = [
        {
            "test": lab.test,
            "value": _json_number(lab.value),
            "unit": lab.unit,
            "date": lab.date.isoformat(),
        }
        for lab in submission.lab_results.order_by("id")
    ]
    if labs:
        answers["labs"] = labs
    return answers


def submission_by_reference(*, reference: str) -> Submission | None:
    """The submission with this reference, typed by a person (case and spaces forgiven)."""
    cleaned = reference.strip().upper()
    return Submission.objects.select_related("patient").filter(reference=cleaned).first()


def submission_by_public_id(*, public_id: str | uuid.UUID) -> Submission | None:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Submission.objects.select_related("patient").filter(public_id=public_id).first()


def submission_current_result(*, submission: Submission) -> ScreeningResult | None:
    """The latest screening result: results are never overwritten, only added."""
    return submission.results.order_by("-created_at", "-id").first()


# ---------------------------------------------------------------------------
# The staff review queue
# ---------------------------------------------------------------------------

OPEN_STATUSES = (
    Submission.Status.NEW,
    Submission.Status.IN_REVIEW,
    Submission.Status.AWAITING_TEST,
)
# No decision recorded yet: what the urgent highlight is about.
UNREVIEWED_STATUSES = (Submission.Status.NEW, Submission.Status.IN_REVIEW)
QUEUE_STATUS_OPEN = ""  # the default: new, in review, awaiting test
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


def queue_submissions(
    *,
    user,
    clinical: bool,
    level: str = "",
    status: str = QUEUE_STATUS_OPEN,
    assignee: str = "",
    submitted_from: datetime.date | None = None,
    submitted_to: datetime.date | None = None,
    q: str = "",
) -> QuerySet[Submission]:
    """The review queue: most urgent first (Submission.level_rank), then longest waiting.

    `clinical` False (a receptionist) ignores `level` and does not fetch the current
    result's reasons, so the rows carry nothing clinical. `assignee` is "", "me",
    "unassigned" or a user's primary key. Dates are days in the clinic's time zone,
    both ends included.
    """
    submissions = Submission.objects.select_related("patient", "assignee")
    if status == QUEUE_STATUS_OPEN:
        submissions = submissions.filter(status__in=OPEN_STATUSES)
    elif status != QUEUE_STATUS_ALL:
        submissions = submissions.filter(status=status)
    if clinical and level:
        submissions = submissions.filter(level=level)
    if assignee == QUEUE_ASSIGNEE_ME:
        submissions = submissions.filter(assignee=user)
    elif assignee == QUEUE_ASSIGNEE_UNASSIGNED:
        submissions = submissions.filter(assignee__isnull=True)
    elif assignee:
        submissions = submissions.filter(assignee_id=assignee)
    if submitted_from:
        submissions = submissions.filter(submitted_at__date__gte=submitted_from)
    if submitted_to:
        submissions = submissions.filter(submitted_at__date__lte=submitted_to)
    q = q.strip()
    if q:
        submissions = submissions.filter(
            Q(reference__icontains=q)
            | Q(patient__full_name__icontains=q)
            | Q(patient__email__icontains=q)
        )
    if clinical:
        submissions = submissions.annotate(current_reasons=_current_result("reasons"))
    return submissions.order_by("level_rank", "submitted_at", "id")


def queue_level_counts() -> dict[str, int]:
    """Open submissions per level, in one query: {"urgent": 2, "review_soon": 0, ...}."""
    counts = Submission.objects.filter(status__in=OPEN_STATUSES).aggregate(
        **{level: Count("id", filter=Q(level=level)) for level in contract.LEVELS}
    )
    return {level: counts[level] for level in contract.LEVELS}


@dataclass(frozen=True)
class QueueRow:
    """One queue row, with what the page works out from the clock."""

    submission: Submission
    waiting: datetime.timedelta | None  # None once a decision is recorded
    waiting_text: str
    overdue: bool  # urgent, no decision yet, waiting longer than the highlight limit
    top_reasons: list[str]


def duration_text(duration: datetime.timedelta) -> str:
    """A waiting time in words staff can scan: "45 min", "3 h 5 min", "2 d 4 h"."""
    minutes = max(int(duration.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def queue_rows(*, submissions, now: datetime.datetime, highlight_minutes: int) -> list[QueueRow]:
    """Queue rows for a page of `queue_submissions`; no queries.

    Waiting time runs from submission until a decision is recorded (status reviewed or
    closed stops the clock). An urgent submission still without a decision after more
    than `highlight_minutes` is overdue (exactly the limit is not).
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
                waiting_text=duration_text(waiting) if waiting is not None else "",
                overdue=(
                    submission.level == "urgent"
                    and submission.status in UNREVIEWED_STATUSES
                    and waiting is not None
                    and waiting > limit
                ),
                top_reasons=[reason["text"] for reason in reasons[:QUEUE_TOP_REASONS]],
            )
        )
    return rows


def staff_reviewers() -> QuerySet:
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
