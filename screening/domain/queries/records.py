"""One submission's record and one patient's, as the staff pages read them; the lookups of a
submission by its reference or public id, and of a saved intake."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from screening.domain.queries.answers import lab_b12_status
from screening.engine import contract
from screening.models import (
    IntakeDraft,
    LabResult,
    Patient,
    Reminder,
    Review,
    ScreeningResult,
    StatusChange,
    Submission,
)


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
# One submission's record, for the clinician (in words: screening.staff.display)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabRow:
    lab: LabResult
    b12_status: str  # a contract.B12_STATUSES code, "" for tests other than B12


@dataclass(frozen=True)
class HistoryRow:
    """One of the patient's submissions, for the side-by-side table and the chart."""

    submission: Submission
    is_current: bool
    present: list[tuple[str, int | None]]  # (symptom code, severity), present ones only
    severities: dict[str, int]  # symptom code -> severity (0 when answered "no")


@dataclass(frozen=True)
class FollowUpOf:
    """What a follow-up check-in follows: the submission, with its symptom rows, and the
    decision on it that the check-in was sent after (None if none is recorded)."""

    original: Submission
    decision: Review | None


@dataclass(frozen=True)
class SubmissionRecord:
    submission: Submission  # with its patient, assignee and answer rows
    results: list[ScreeningResult]  # newest first: the current one, then earlier ones
    history: list[HistoryRow]  # the patient's submissions, oldest first
    labs: list[LabRow]  # the patient's lab results, most recent first
    status_changes: list[StatusChange]
    reviews: list[Review]
    follow_up_of: FollowUpOf | None = None  # for a follow-up check-in


def _follow_up_of(
    submission: Submission, patient_submissions: list[Submission]
) -> FollowUpOf | None:
    """The submission a follow-up check-in follows and the decision before it, in at most
    two queries however many check-ins the patient has sent (its symptoms come from the
    patient's submissions already fetched, unless a split moved it to another record)."""
    if submission.follow_up_of_id is None:
        return None
    by_pk = {other.pk: other for other in patient_submissions}
    original = by_pk.get(submission.follow_up_of_id) or (
        Submission.objects.prefetch_related("symptoms").get(pk=submission.follow_up_of_id)
    )
    decision = (
        original.reviews.filter(created_at__lte=submission.submitted_at)
        .select_related("clinician")
        .order_by("-created_at", "-id")
        .first()
    )
    return FollowUpOf(original=original, decision=decision)


def _history_rows(submissions: list[Submission], current: Submission) -> list[HistoryRow]:
    rows = []
    for submission in submissions:
        answers = sorted(submission.symptoms.all(), key=lambda a: contract.SYMPTOMS.index(a.code))
        rows.append(
            HistoryRow(
                submission=submission,
                is_current=submission.pk == current.pk,
                present=[(a.code, a.severity) for a in answers if a.present],
                severities={
                    a.code: (a.severity or 0) if a.present else 0
                    for a in answers
                    if not a.present or a.severity is not None
                },
            )
        )
    return rows


def submission_record(*, submission: Submission) -> SubmissionRecord:
    """Everything the clinician's record page shows about one submission, in a fixed
    number of queries: answers, every result (current first, never overwritten), the
    patient's submissions side by side, lab results with their B12 status, status
    history and reviews."""
    submission = (
        Submission.objects.select_related("patient", "assignee")
        .prefetch_related("symptoms", "red_flags", "medicines", "conditions")
        .get(pk=submission.pk)
    )
    patient_submissions = list(
        Submission.objects.filter(patient=submission.patient)
        .prefetch_related("symptoms")
        .order_by("submitted_at", "id")
    )
    labs = (
        LabResult.objects.filter(patient=submission.patient)
        .select_related("submission", "entered_by")
        .order_by("-date", "-id")
    )
    return SubmissionRecord(
        submission=submission,
        results=list(submission.results.order_by("-created_at", "-id")),
        history=_history_rows(patient_submissions, submission),
        labs=[LabRow(lab=lab, b12_status=lab_b12_status(lab=lab)) for lab in labs],
        status_changes=list(submission.status_changes.select_related("changed_by")),
        reviews=list(submission.reviews.select_related("clinician")),
        follow_up_of=_follow_up_of(submission, patient_submissions),
    )


# ---------------------------------------------------------------------------
# Patients: the record, and candidates for a merge
# ---------------------------------------------------------------------------

MERGE_CANDIDATES_MAX = 20


def patient_submissions(*, patient: Patient) -> QuerySet[Submission]:
    return Submission.objects.filter(patient=patient).order_by("submitted_at", "id")


def patient_record(*, patient: Patient) -> dict[str, Any]:
    """A patient's details, submissions, and the records merged into or out of it."""
    return {
        "patient": patient,
        "submissions": list(patient_submissions(patient=patient).select_related("assignee")),
        "lab_count": LabResult.objects.filter(patient=patient).count(),
        "merged_from": list(patient.merged_from.order_by("created_at", "id")),
    }


def patient_merge_candidates(*, patient: Patient) -> list[Patient]:
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

    def likeness(candidate: Patient) -> int:
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


def intake_draft_by_public_id(*, public_id: str | uuid.UUID) -> IntakeDraft | None:
    """The saved, unsent IntakeDraft with this public id, or None."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return IntakeDraft.objects.filter(public_id=public_id, submitted_at__isnull=True).first()


def intake_saved_link(*, draft: IntakeDraft) -> Reminder | None:
    """The email with the resume link sent as the patient saved `draft` (kind
    intake_saved), for the "saved" page to say whether it is on its way or was sent."""
    return draft.reminders.filter(kind=Reminder.Kind.INTAKE_SAVED).first()
