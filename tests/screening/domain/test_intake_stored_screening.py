"""intake_submit screens the answers as they are stored, whether or not it reads them back.

On creating a submission the service screens the answers it was given when storing them
loses nothing (answer_rows.reads_back_as_given), instead of reading them back; these tests
hold it to the result that reading them back would give, for random valid answers.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from hypothesis import HealthCheck, given, settings

from screening.domain.answer_rows import reads_back_as_given
from screening.domain.intake import intake_submit
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.domain.results import rules_limits
from screening.engine import contract, rules
from screening.models import Submission
from tests.conftest import INTAKE_DAY
from tests.screening.engine.test_rules_properties import ANSWERS


def _result_fields(row) -> dict:
    return {
        "rules_version": row.rules_version,
        "level": row.level,
        "possible_b12_deficiency": row.possible_b12_deficiency,
        "red_flags": row.red_flags,
        "reasons": row.reasons,
        "suggested_actions": row.suggested_actions,
        "b12_status": row.b12_status,
    }


def _queue_level(submission) -> tuple:
    """The submission's stored copy of its level, for the queue."""
    stored = Submission.objects.values_list("level", "level_rank").get(pk=submission.pk)
    assert stored == (submission.level, submission.level_rank)
    return stored


def _expected(answers: dict) -> dict:
    result = rules.screen(answers, limits=rules_limits(), today=INTAKE_DAY)
    return {
        "rules_version": result["rules_version"],
        "level": result["level"],
        "possible_b12_deficiency": result["possible_b12_deficiency"],
        "red_flags": result["red_flags"],
        "reasons": result["reasons"],
        "suggested_actions": result["suggested_actions"],
        "b12_status": result["lab_interpretation"]["b12_status"],
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=ANSWERS)
def test_intake_submit_result_is_the_screening_of_the_stored_answers(db, patient_details, answers):
    with transaction.atomic():
        submission = intake_submit(
            answers=answers,
            patient_details=patient_details,
            idempotency_key=uuid.uuid4().hex,
            language="en",
        )
        stored = submission_answers(submission=submission)
        expected = _expected(stored)
        assert _result_fields(submission_current_result(submission=submission)) == expected
        level = expected["level"]
        assert _queue_level(submission) == (level, contract.LEVELS.index(level))
        transaction.set_rollback(True)


def test_answers_read_back_as_given_except_lab_values_beyond_three_decimals(answers):
    assert reads_back_as_given(answers) is True
    answers["labs"][0]["value"] = 0.4555
    assert reads_back_as_given(answers) is False
    answers["labs"][0]["value"] = 0.455
    assert reads_back_as_given(answers) is True


def test_intake_submit_reads_back_a_lab_value_the_database_rounds(db, patient_details):
    answers = {
        "age_years": 40,
        "labs": [{"test": "mma", "value": 0.4555, "unit": "umol/L", "date": "2025-01-02"}],
    }
    submission = intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key="k", language="en"
    )
    stored = submission_answers(submission=submission)
    assert stored["labs"][0]["value"] == 0.456
    expected = _expected(stored)
    assert _result_fields(submission_current_result(submission=submission)) == expected
    level = expected["level"]
    assert _queue_level(submission) == (level, contract.LEVELS.index(level))


def test_a_lab_value_just_under_the_bound_is_kept_once_rounded_and_screens_again(
    db, patient_details, answers
):
    """999999.9994999999 is kept as 999999.999: rounded once before saving (on SQLite,
    reading back a float rounds to 12 digits first, which made it 1,000,000.000)."""
    answers["labs"][0]["value"] = 999999.9994999999
    submission = intake_submit(
        answers=answers,
        patient_details=patient_details,
        idempotency_key=uuid.uuid4().hex,
        language="en",
    )

    stored = submission_answers(submission=submission)
    assert stored["labs"][0]["value"] == 999999.999
    assert _result_fields(submission_current_result(submission=submission)) == _expected(stored)
