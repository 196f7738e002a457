"""Storing one intake's answers as rows: the single-valued answers as typed columns of the
submission, the rest (symptoms, red flags, medicines, conditions, the patient's labs) in
their own tables. Split from `intake.py`, which decides when to store; this says how.

The rows of each table go in one plain multi-row INSERT (`_rows_insert`), not
`bulk_create`: on the final submit, Django took 3.1 ms of CPU to build and send the four
statements and this 1.9 ms, for the same rows (bench/bench_answer_rows.py; the rows are
pinned equal in tests/screening/domain/test_answer_rows.py, SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.db import connection, models

from screening.engine.validation import lab_value_kept
from screening.models import (
    ConditionAnswer,
    LabResult,
    MedicineAnswer,
    RedFlagAnswer,
    Submission,
    SymptomAnswer,
)

LAB_VALUE_DECIMALS = LabResult._meta.get_field("value").decimal_places

# How long each symptom has lasted as the patient said it, beside the contract's weeks:
# {code: {"number": 3, "unit": "months"}} or {code: {"number": None, "unit": "dont_know"}}
# (screening.intake.durations). Absent for answers given in weeks (an EHR, a follow-up).
Durations = dict[str, dict[str, Any]]


def reads_back_as_given(answers: dict[str, Any]) -> bool:
    """Whether `submission_answers` would read back exactly the answers just stored, so
    screening them is screening what is stored. Every column keeps its value, except
    that a lab value keeps LAB_VALUE_DECIMALS places (the web form allows no more; an EHR
    may send more, and then the answers are read back). Property-tested for random valid
    answers in tests/screening/domain/test_intake_stored_screening.py."""
    labs = answers.get("labs", [])
    return all(_decimal_places(lab["value"]) <= LAB_VALUE_DECIMALS for lab in labs)


def _decimal_places(value: float) -> int:
    """How many decimal places a finite number is written with (250 -> 0, 12.25 -> 2)."""
    exponent = Decimal(str(value)).as_tuple().exponent
    if not isinstance(exponent, int):  # NaN or infinity, which validation turns away
        raise ValueError(f"Not a finite number: {value!r}")
    return max(-exponent, 0)


def answer_fields_set(submission: Submission, answers: dict[str, Any]) -> None:
    """The single-valued answers, as typed columns ("" or None when absent)."""
    submission.age_years = answers["age_years"]
    for key in ("sex", "pregnant", "diet", "b12_treatment"):
        setattr(submission, key, answers.get(key, ""))
    for key in ("breastfeeding", "family_history", "alcohol_units_per_week"):
        setattr(submission, key, answers.get(key))
    submission.medicines_answered = "medicines" in answers
    submission.conditions_answered = "conditions" in answers


def answer_rows_create(
    submission: Submission, answers: dict[str, Any], *, durations: Durations | None = None
) -> None:
    for model, rows in answer_row_objects(submission, answers, durations=durations):
        _rows_insert(model, rows)


def answer_row_objects(
    submission: Submission, answers: dict[str, Any], *, durations: Durations | None = None
) -> list[tuple[type[models.Model], list[Any]]]:
    """The unsaved rows of each answer table for these answers, tables without rows left
    out (the test comparing with `bulk_create` and the benchmark build them here too)."""
    said = durations or {}
    symptoms = [
        SymptomAnswer(
            submission=submission,
            code=code,
            present=answer["present"],
            severity=answer.get("severity"),
            duration_weeks=answer.get("duration_weeks"),
            # What the patient said, only for a symptom they have.
            duration_number=said.get(code, {}).get("number") if answer["present"] else None,
            duration_unit=said.get(code, {}).get("unit", "") if answer["present"] else "",
            sites=answer.get("sites"),
            both_sides=answer.get("both_sides"),
        )
        for code, answer in answers.get("symptoms", {}).items()
    ]
    red_flags = [
        RedFlagAnswer(submission=submission, code=code, answer=answer)
        for code, answer in answers.get("red_flags", {}).items()
    ]
    medicines = [
        MedicineAnswer(submission=submission, code=code) for code in answers.get("medicines", [])
    ]
    conditions = [
        ConditionAnswer(submission=submission, code=code) for code in answers.get("conditions", [])
    ]
    labs = [
        LabResult(
            patient_id=submission.patient_id,
            submission=submission,
            test=lab["test"],
            value=lab_value_kept(lab["value"]),
            unit=lab["unit"],
            date=lab["date"],
            source=LabResult.Source.PATIENT,
        )
        for lab in answers.get("labs", [])
    ]
    tables: list[tuple[type[models.Model], list[Any]]] = [
        (SymptomAnswer, symptoms),
        (RedFlagAnswer, red_flags),
        (MedicineAnswer, medicines),
        (ConditionAnswer, conditions),
        (LabResult, labs),
    ]
    return [(model, rows) for model, rows in tables if rows]


def _rows_insert(model: type[models.Model], rows: list[Any]) -> None:
    """INSERT unsaved `rows` of `model` in one statement (more only past the database's
    limit on parameters), every column but the id, each value as its field saves it
    (`pre_save`, `get_db_prep_save`): what `bulk_create` sends, without its cost. The
    instances get no primary key (nothing here reads one), and no signal is sent
    (`bulk_create` sends none either)."""
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(cast(str, field.column)) for field in fields)  # concrete: set
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns})"
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = connection.ops.bulk_batch_size(fields, rows)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(
                f"{insert} VALUES {', '.join([placeholders] * len(chunk))}",  # noqa: S608 - names only
                [
                    field.get_db_prep_save(field.pre_save(row, True), connection)
                    for row in chunk
                    for field in fields
                ],
            )


def answers_replace(
    submission: Submission, answers: dict[str, Any], *, durations: Durations | None = None
) -> None:
    """Replace the answers of a red-flag submission with the fuller set."""
    answer_fields_set(submission, answers)
    submission.save()
    submission.symptoms.all().delete()
    submission.red_flags.all().delete()
    submission.medicines.all().delete()
    submission.conditions.all().delete()
    submission.lab_results.filter(source=LabResult.Source.PATIENT).delete()
    answer_rows_create(submission, answers, durations=durations)
