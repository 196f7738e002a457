"""Reads. Nothing here writes to the database."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, JSONField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from screening import labels
from screening.engine import contract, rules
from screening.models import (
    OPEN_STATUSES,
    REFERENCE_ALPHABET,
    REFERENCE_PREFIX,
    LabResult,
    Patient,
    Review,
    ScreeningResult,
    Submission,
)
from screening.staff import charts


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
    both ends included. `q` is a reference or a part of one, or else a part of the
    patient's name or email (`_queue_search`).
    """
    submissions = Submission.objects.select_related("patient", "assignee")
    if status == QUEUE_STATUS_OPEN:
        submissions = submissions.filter(status__in=OPEN_STATUSES)
    elif status != QUEUE_STATUS_ALL:
        submissions = submissions.filter(status=status)
    if clinical and level:
        # level_rank is kept in step with level, and leads the indexes in queue order.
        submissions = submissions.filter(level=level, level_rank=contract.LEVELS.index(level))
    if assignee == QUEUE_ASSIGNEE_ME:
        submissions = submissions.filter(assignee=user)
    elif assignee == QUEUE_ASSIGNEE_UNASSIGNED:
        submissions = submissions.filter(assignee__isnull=True)
    elif assignee:
        submissions = submissions.filter(assignee_id=assignee)
    submissions = submissions.filter(_submitted_between(submitted_from, submitted_to))
    q = q.strip()
    if q:
        submissions = submissions.filter(_queue_search(q))
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


def queue_rows(
    *, submissions, now: datetime.datetime, highlight_minutes: int, clinical: bool = True
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
                waiting_text=duration_text(waiting) if waiting is not None else "",
                overdue=(
                    clinical
                    and submission.level == "urgent"
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


# ---------------------------------------------------------------------------
# One submission's record, for the clinician
# ---------------------------------------------------------------------------

NOT_ANSWERED = "Not answered"


def _yes_no(value: bool | None) -> str:
    if value is None:
        return NOT_ANSWERED
    return "Yes" if value else "No"


def _choice_text(value: str, choice_labels: dict) -> str:
    return str(choice_labels[value]) if value else NOT_ANSWERED


def _code_list_text(answered: bool, codes: list[str], code_labels: dict) -> str:
    if not answered:
        return NOT_ANSWERED
    return "; ".join(str(code_labels[code]) for code in codes) or "None"


def submission_answer_rows(*, submission: Submission) -> dict:
    """Every answer as the patient gave it, in words (labels from `screening.labels`):
    {"about": [(question, answer)], "symptoms": [...], "red_flags": [(label, answer)]}.
    Uses the submission's prefetched or fetched answer rows."""
    about = [
        ("Age at intake (years)", str(submission.age_years)),
        ("Sex registered at birth", _choice_text(submission.sex, labels.SEX_LABELS)),
        ("Pregnant", _choice_text(submission.pregnant, labels.PREGNANT_LABELS)),
        ("Breastfeeding", _yes_no(submission.breastfeeding)),
        ("Usual diet", _choice_text(submission.diet, labels.DIET_LABELS)),
        (
            "Alcohol (units a week)",
            NOT_ANSWERED
            if submission.alcohol_units_per_week is None
            else str(submission.alcohol_units_per_week),
        ),
        (
            "Medicines",
            _code_list_text(
                submission.medicines_answered,
                [row.code for row in submission.medicines.all()],
                labels.MEDICINE_LABELS,
            ),
        ),
        (
            "Conditions and surgery",
            _code_list_text(
                submission.conditions_answered,
                [row.code for row in submission.conditions.all()],
                labels.CONDITION_LABELS,
            ),
        ),
        ("Family history", _yes_no(submission.family_history)),
        ("B12 treatment now", _choice_text(submission.b12_treatment, labels.B12_TREATMENT_LABELS)),
    ]
    symptoms = []
    for row in sorted(submission.symptoms.all(), key=lambda row: contract.SYMPTOMS.index(row.code)):
        site_labels = labels.SITE_LABELS.get(row.code, {})
        symptoms.append(
            {
                "label": str(labels.SYMPTOM_LABELS[row.code]),
                "present": "Yes" if row.present else "No",
                "severity": "" if row.severity is None else str(row.severity),
                "duration": "" if row.duration_weeks is None else f"{row.duration_weeks} weeks",
                "sites": ", ".join(str(site_labels[site]) for site in row.sites or []),
                "both_sides": "" if row.both_sides is None else _yes_no(row.both_sides),
            }
        )
    red_flags = [
        (str(labels.RED_FLAG_LABELS[row.code]), _yes_no(row.answer))
        for row in sorted(
            submission.red_flags.all(), key=lambda row: contract.RED_FLAGS.index(row.code)
        )
    ]
    return {"about": about, "symptoms": symptoms, "red_flags": red_flags}


def _lab_answer(lab: LabResult) -> dict:
    return {
        "test": lab.test,
        "value": _json_number(lab.value),
        "unit": lab.unit,
        "date": lab.date.isoformat(),
    }


def lab_b12_status(*, lab: LabResult) -> str:
    """E1/E2 status of one B12 result (a `contract.B12_STATUSES` code), "" for other tests.

    Asks the engine itself (one answers dict holding only this lab), so the thresholds
    live in one place: `rules.screen`.
    """
    if lab.test not in contract.B12_TESTS:
        return ""
    answers = {"age_years": contract.AGE_MIN, "labs": [_lab_answer(lab)]}
    return rules.screen(answers)["lab_interpretation"]["b12_status"]


def lab_interpretation_text(*, lab: LabResult) -> str:
    """What one lab result means, in words for the clinician (clinical.md E)."""
    status = lab_b12_status(lab=lab)
    if status:
        return str(labels.B12_STATUS_LABELS[status])
    if lab.test == "mma":
        return "Compare with the laboratory's own reference range (cut-off not confirmed)"
    return "Not interpreted on its own: see the screening reasons"


@dataclass(frozen=True)
class LabRow:
    lab: LabResult
    interpretation: str
    b12_status: str


@dataclass(frozen=True)
class ReviewRow:
    review: Review
    outcome_labels: list[str]


@dataclass(frozen=True)
class HistoryRow:
    """One of the patient's submissions, for the side-by-side table and the chart."""

    submission: Submission
    is_current: bool
    key_symptoms: list[tuple[str, int | None]]  # (label, severity), present ones only
    severities: dict[str, int]  # symptom code -> severity (0 when answered "no")


def _history_rows(submissions: list[Submission], current: Submission) -> list[HistoryRow]:
    rows = []
    for submission in submissions:
        answers = sorted(submission.symptoms.all(), key=lambda a: contract.SYMPTOMS.index(a.code))
        rows.append(
            HistoryRow(
                submission=submission,
                is_current=submission.pk == current.pk,
                key_symptoms=[
                    (str(labels.SYMPTOM_LABELS[a.code]), a.severity) for a in answers if a.present
                ],
                severities={
                    a.code: (a.severity or 0) if a.present else 0
                    for a in answers
                    if not a.present or a.severity is not None
                },
            )
        )
    return rows


def submission_record(*, submission: Submission) -> dict:
    """Everything the clinician's record page shows about one submission, in a fixed
    number of queries: answers, every result (current first, never overwritten), the
    patient's submissions side by side, lab results with their interpretation, status
    history and reviews."""
    submission = (
        Submission.objects.select_related("patient", "assignee")
        .prefetch_related("symptoms", "red_flags", "medicines", "conditions")
        .get(pk=submission.pk)
    )
    results = list(submission.results.order_by("-created_at", "-id"))
    patient_submissions = list(
        Submission.objects.filter(patient=submission.patient)
        .prefetch_related("symptoms")
        .order_by("submitted_at", "id")
    )
    labs = list(
        LabResult.objects.filter(patient=submission.patient)
        .select_related("submission", "entered_by")
        .order_by("-date", "-id")
    )
    history = _history_rows(patient_submissions, submission)
    return {
        "submission": submission,
        "answers": submission_answer_rows(submission=submission),
        "current_result": results[0] if results else None,
        "earlier_results": results[1:],
        "history": history,
        "labs": [
            LabRow(
                lab=lab,
                interpretation=lab_interpretation_text(lab=lab),
                b12_status=lab_b12_status(lab=lab),
            )
            for lab in labs
        ],
        "status_changes": list(submission.status_changes.select_related("changed_by")),
        "reviews": [
            ReviewRow(
                review=review,
                outcome_labels=[
                    str(Review.Outcome(code).label) if code in Review.Outcome.values else code
                    for code in review.outcomes
                ],
            )
            for review in submission.reviews.select_related("clinician")
        ],
        "chart": charts.severity_chart(
            points=[
                charts.ChartPoint(when=row.submission.submitted_at, severities=row.severities)
                for row in history
            ],
            symptom_labels=labels.SYMPTOM_LABELS,
        ),
    }


# ---------------------------------------------------------------------------
# Patients: the record, and candidates for a merge
# ---------------------------------------------------------------------------

MERGE_CANDIDATES_MAX = 20


def patient_submissions(*, patient) -> QuerySet[Submission]:
    return Submission.objects.filter(patient=patient).order_by("submitted_at", "id")


def patient_record(*, patient) -> dict:
    """A patient's details, submissions, and the records merged into or out of it."""
    return {
        "patient": patient,
        "submissions": list(patient_submissions(patient=patient).select_related("assignee")),
        "lab_count": LabResult.objects.filter(patient=patient).count(),
        "merged_from": list(patient.merged_from.order_by("created_at", "id")),
    }


def patient_merge_candidates(*, patient) -> list:
    """Records that may be the same person: same date of birth, same email, or the same
    name (ignoring case), not merged already, most alike first."""
    candidates = (
        Patient.objects.filter(merged_into__isnull=True)
        .exclude(pk=patient.pk)
        .filter(
            Q(date_of_birth=patient.date_of_birth)
            | Q(email__iexact=patient.email)
            | Q(full_name__iexact=patient.full_name)
        )
        .annotate(submission_count=Count("submissions"))
        .order_by("full_name", "id")[:MERGE_CANDIDATES_MAX]
    )

    def likeness(candidate) -> int:
        return -sum(
            (
                candidate.date_of_birth == patient.date_of_birth,
                candidate.email.lower() == patient.email.lower(),
                candidate.full_name.lower() == patient.full_name.lower(),
            )
        )

    return sorted(candidates, key=likeness)


# ---------------------------------------------------------------------------
# Save and come back later
# ---------------------------------------------------------------------------


def intake_draft_by_public_id(*, public_id: str | uuid.UUID):
    """The saved, unsent IntakeDraft with this public id, or None."""
    from screening.models import IntakeDraft

    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return IntakeDraft.objects.filter(public_id=public_id, submitted_at__isnull=True).first()
