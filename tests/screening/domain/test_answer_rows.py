"""The answer rows go in as plain multi-row INSERTs (answer_rows._rows_insert, measured
cheaper than bulk_create: bench/bench_answer_rows.py). These tests pin that they store
exactly the rows `bulk_create` stored, column for column, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from screening.domain import answer_rows
from screening.models import (
    ConditionAnswer,
    LabResult,
    MedicineAnswer,
    RedFlagAnswer,
    Submission,
    SymptomAnswer,
)
from tests.conftest import VALID_ANSWERS
from tests.factories import SubmissionFactory
from tests.screening.engine.test_rules_properties import ANSWERS

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
TABLES = (SymptomAnswer, RedFlagAnswer, MedicineAnswer, ConditionAnswer, LabResult)
DURATIONS = {
    "fatigue": {"number": 3, "unit": "months"},
    "numbness_tingling": {"number": None, "unit": "dont_know"},
}


def _bulk_create(submission: Submission, answers: dict, durations: dict) -> None:
    """What answer_rows_create did before (commit fa3179e): a bulk_create per table, of
    the same unsaved rows."""
    for model, rows in answer_rows.answer_row_objects(submission, answers, durations=durations):
        model.objects.bulk_create(rows)


def _stored(submission: Submission) -> dict[str, list[dict]]:
    """Every column of the submission's rows in every answer table, but the ids; in the
    order inserted."""
    stored = {}
    for model in TABLES:
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in ("id", "submission_id")
        ]
        rows = model.objects.filter(submission=submission).order_by("pk").values(*columns)
        stored[model.__name__] = list(rows)
    return stored


def _both_ways(answers: dict, durations: dict) -> tuple:
    """The rows each way stores for the same answers, each for a submission of its own
    (of the same patient), at the same moment (LabResult.created_at)."""
    first = SubmissionFactory()
    second = SubmissionFactory(patient=first.patient)
    with transaction.atomic():
        answer_rows.answer_rows_create(first, answers, durations=durations)
        _bulk_create(second, answers, durations)
    return _stored(first), _stored(second)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_rows_of_a_full_intake_are_those_bulk_create_stored(db, backend, time_machine):
    time_machine.move_to(datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC), tick=False)
    answers = {**VALID_ANSWERS, "conditions": ["coeliac_disease"]}
    answers["labs"] = [*answers["labs"], {**answers["labs"][0], "value": 123.4565}]
    ours, theirs = _both_ways(answers, DURATIONS)
    assert ours == theirs
    # Something of every kind was stored, and read back as given.
    assert [len(rows) for rows in ours.values()] == [13, 9, 2, 1, 3]
    fatigue = next(row for row in ours["SymptomAnswer"] if row["code"] == "fatigue")
    assert (fatigue["duration_number"], fatigue["duration_unit"]) == (3, "months")
    tingling = next(row for row in ours["SymptomAnswer"] if row["code"] == "numbness_tingling")
    assert tingling["sites"] == ["hands", "feet"] and tingling["both_sides"] is True
    assert [str(row["value"]) for row in ours["LabResult"]] == ["250.000", "12.500", "123.456"]


@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=ANSWERS)
def test_random_valid_answers_store_the_rows_bulk_create_stored(db, backend, answers):
    ours, theirs = _both_ways(answers, DURATIONS)
    # created_at is each row's own now(); every other column must match.
    for rows in (*ours["LabResult"], *theirs["LabResult"]):
        rows.pop("created_at")
    assert ours == theirs


def test_no_rows_no_statement(db, django_assert_num_queries):
    submission = SubmissionFactory()
    with django_assert_num_queries(0):
        answer_rows.answer_rows_create(submission, {"age_years": 40})
    assert _stored(submission) == {model.__name__: [] for model in TABLES}
