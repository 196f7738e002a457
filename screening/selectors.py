"""Reads. Nothing here writes to the database."""

from __future__ import annotations

import uuid

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
