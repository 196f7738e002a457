"""The contract's answers, read back from a submission's rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from screening.engine import contract, rules
from screening.models import LabResult, Submission


def _json_number(value: Decimal) -> int | float:
    """A stored Decimal as the JSON number the contract uses (250, not 250.000)."""
    return int(value) if value == value.to_integral_value() else float(value)


def submission_answers(*, submission: Submission) -> dict[str, Any]:
    """The contract's answers dict rebuilt from a submission's rows.

    The inverse of the intake's store (`screening.domain.intake`): for answers the form can
    produce, answers -> stored -> submission_answers(...) gives back an equal dict.
    """
    answers: dict[str, Any] = {"age_years": submission.age_years}
    for key in ("sex", "pregnant", "diet", "b12_treatment"):
        if getattr(submission, key):
            answers[key] = getattr(submission, key)
    for key in ("breastfeeding", "family_history", "alcohol_units_per_week"):
        if getattr(submission, key) is not None:
            answers[key] = getattr(submission, key)

    symptoms = {}
    for row in submission.symptoms.order_by("id"):
        symptom: dict[str, Any] = {"present": row.present}
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

    labs = [_lab_answer(lab) for lab in submission.lab_results.order_by("id")]
    if labs:
        answers["labs"] = labs
    return answers


def _lab_answer(lab: LabResult) -> dict[str, Any]:
    return {
        "test": lab.test,
        "value": _json_number(lab.value),
        "unit": lab.unit,
        "date": lab.date.isoformat(),
    }


def lab_b12_status(*, lab: LabResult) -> str:
    """E1/E2 status of one B12 result (a `contract.B12_STATUSES` code), "" for other tests.

    Asks the engine itself (one answers dict holding only this lab), so the thresholds
    live in one place: `rules.screen`. The lab's own date is the day of screening: one
    result's status does not depend on the clock, and a stored lab is never refused.
    """
    if lab.test not in contract.B12_TESTS:
        return ""
    answers = {"age_years": contract.AGE_MIN, "labs": [_lab_answer(lab)]}
    status: str = rules.screen(answers, today=lab.date)["lab_interpretation"]["b12_status"]
    return status
