"""One submission's record and one patient's, as the staff pages read them; the lookups of a
submission by its reference or public id, and of a saved intake."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from screening import labels
from screening.domain.queries.answers import lab_b12_status
from screening.engine import contract
from screening.models import (
    IntakeDraft,
    LabResult,
    Patient,
    Review,
    ScreeningResult,
    Submission,
)
from screening.staff import charts


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
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return IntakeDraft.objects.filter(public_id=public_id, submitted_at__isnull=True).first()
