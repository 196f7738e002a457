import copy
import datetime
import re

import pytest
from django.db import IntegrityError

from screening.domain import answer_rows, intake, patients
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.engine import contract, rules
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION
from screening.engine.validation import InvalidAnswers
from screening.models import (
    ConditionAnswer,
    LabResult,
    MedicineAnswer,
    Patient,
    RedFlagAnswer,
    ScreeningResult,
    Submission,
    SymptomAnswer,
)
from tests.conftest import INTAKE_DAY

pytestmark = pytest.mark.django_db


def _submit(answers, patient_details, key="key-1", language="en"):
    return intake.intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key=key, language=language
    )


def _urgent(answers, patient_details, key="key-1"):
    return intake.intake_store_urgent(
        answers=answers, patient_details=patient_details, idempotency_key=key, language="en"
    )


def _row_counts() -> dict:
    models = (
        Patient,
        Submission,
        SymptomAnswer,
        RedFlagAnswer,
        MedicineAnswer,
        ConditionAnswer,
        LabResult,
        ScreeningResult,
    )
    return {model.__name__: model.objects.count() for model in models}


def test_intake_submit_round_trip_answers_equal(answers, patient_details):
    submission = _submit(answers, patient_details)
    submission.refresh_from_db()
    assert submission_answers(submission=submission) == answers


def test_intake_submit_stores_typed_queryable_fields(answers, patient_details):
    submission = _submit(answers, patient_details)
    assert Submission.objects.filter(diet="vegan", age_years=35, sex="female").get() == submission
    assert list(submission.medicines.values_list("code", flat=True)) == [
        "metformin",
        "proton_pump_inhibitor",
    ]
    fatigue = submission.symptoms.get(code="fatigue")
    assert (fatigue.present, fatigue.severity, fatigue.duration_weeks) == (True, 7, 12)
    numbness = submission.symptoms.get(code="numbness_tingling")
    assert (numbness.sites, numbness.both_sides, numbness.duration_weeks) == (
        ["hands", "feet"],
        True,
        None,
    )
    lab = submission.lab_results.get(test="haemoglobin")
    assert (str(lab.value), lab.unit, lab.date, lab.source, lab.patient) == (
        "12.500",
        "g/dL",
        datetime.date(2025, 5, 1),
        "patient",
        submission.patient,
    )
    assert submission.questionnaire_version == QUESTIONNAIRE_VERSION
    assert submission.is_complete is True
    assert submission.status == "new"


def test_round_trip_keeps_absent_keys_absent(patient_details):
    answers = {"age_years": 70, "symptoms": {"fatigue": {"present": False}}}
    submission = _submit(answers, patient_details)
    assert submission_answers(submission=submission) == answers


def test_round_trip_empty_lists_stay_empty_not_absent(patient_details):
    answers = {"age_years": 40, "medicines": [], "conditions": ["coeliac_disease"]}
    submission = _submit(answers, patient_details)
    assert submission_answers(submission=submission) == answers


def test_round_trip_lab_values_keep_decimals(patient_details):
    answers = {
        "age_years": 40,
        "labs": [
            {"test": "mma", "value": 0.455, "unit": "umol/L", "date": "2025-01-02"},
            {"test": "total_b12", "value": 133, "unit": "pmol/L", "date": "2025-01-03"},
        ],
    }
    submission = _submit(answers, patient_details)
    assert submission_answers(submission=submission) == answers


def test_intake_submit_stores_the_engine_result(answers, patient_details):
    submission = _submit(answers, patient_details)
    expected = rules.screen(answers, today=INTAKE_DAY)
    result = submission_current_result(submission=submission)
    assert result.trigger == "intake"
    assert (
        result.rules_version,
        result.level,
        result.possible_b12_deficiency,
        result.red_flags,
        result.reasons,
        result.suggested_actions,
        result.b12_status,
    ) == (
        expected["rules_version"],
        expected["level"],
        expected["possible_b12_deficiency"],
        expected["red_flags"],
        expected["reasons"],
        expected["suggested_actions"],
        expected["lab_interpretation"]["b12_status"],
    )


def test_intake_submit_worked_example_1_is_review_soon(patient_details):
    """clinical.md worked example 1: 58, metformin, numbness in both feet."""
    answers = {
        "age_years": 58,
        "medicines": ["metformin"],
        "symptoms": {
            "numbness_tingling": {
                "present": True,
                "severity": 5,
                "sites": ["feet"],
                "both_sides": True,
            }
        },
    }
    result = submission_current_result(submission=_submit(answers, patient_details))
    assert (result.level, result.possible_b12_deficiency) == ("review_soon", True)


def test_intake_submit_twice_with_one_key_stores_one_submission(answers, patient_details):
    first = _submit(answers, patient_details, key="same")
    second = _submit(answers, patient_details, key="same")
    assert second.pk == first.pk
    assert Submission.objects.count() == 1
    assert ScreeningResult.objects.count() == 1


def test_intake_submit_replayed_with_other_details_writes_nothing(answers, patient_details):
    """The replay's INSERT fails on the key, and its patient upsert is rolled back with it."""
    first = _submit(answers, patient_details, key="same")
    counts = _row_counts()
    changed = {**patient_details, "email": "other@example.com", "full_name": "Someone Else"}
    again = _submit({**answers, "diet": "omnivore"}, changed, key="same")
    assert again.pk == first.pk
    assert _row_counts() == counts
    assert Patient.objects.get().full_name == "Ann Example"


def test_intake_submit_reference_taken_is_tried_again(answers, patient_details, monkeypatch):
    first = _submit(answers, patient_details, key="one")
    references = iter([first.reference, "B12-2222-3333"])
    monkeypatch.setattr(intake, "new_reference", lambda: next(references))
    second = _submit(answers, patient_details, key="two")
    assert Submission.objects.get(pk=second.pk).reference == "B12-2222-3333"
    assert ScreeningResult.objects.filter(submission=second).count() == 1


def test_intake_submit_no_free_reference_stores_nothing(answers, patient_details, monkeypatch):
    first = _submit(answers, patient_details, key="one")
    counts = _row_counts()
    monkeypatch.setattr(intake, "new_reference", lambda: first.reference)
    with pytest.raises(RuntimeError, match="unused submission reference"):
        _submit(answers, patient_details, key="two")
    assert _row_counts() == counts


def test_intake_submit_other_integrity_error_is_raised(answers, patient_details, monkeypatch):
    """Only a taken key or reference is absorbed: any other constraint's error shows."""

    def broken(submission, answers, *, durations=None):
        raise IntegrityError("some other constraint")

    monkeypatch.setattr(answer_rows, "answer_rows_create", broken)
    with pytest.raises(IntegrityError, match="some other constraint"):
        _submit(answers, patient_details)
    assert set(_row_counts().values()) == {0}


def test_intake_submit_same_email_and_birth_date_is_the_same_patient(answers, patient_details):
    """A repeat intake is filed on the same record, which it does not change: it keeps
    what it was given, as a possible match (docs/security.md, "Patient identity")."""
    first = _submit(answers, patient_details, key="one")
    again = {**patient_details, "email": "  ANN.example@EXAMPLE.com", "contact_consent": False}
    second = _submit(answers, again, key="two")
    assert second.patient_id == first.patient_id
    patient = Patient.objects.get()
    assert (patient.email, patient.contact_consent) == ("ann.example@example.com", True)
    assert patient.submissions.count() == 2
    assert (first.identity_status, second.identity_status) == ("confirmed", "possible_match")
    assert (second.given_email, second.given_contact_consent) == ("ann.example@example.com", False)


def test_intake_submit_repeat_intake_is_the_existing_patient_among_others(answers, patient_details):
    first = _submit(answers, patient_details, key="one")
    other = _submit(answers, {**patient_details, "email": "bo@example.com"}, key="two")
    again = _submit(answers, {**patient_details, "full_name": "Ann Other"}, key="three")
    assert again.patient_id == first.patient_id != other.patient_id
    assert again.patient == Patient.objects.get(email="ann.example@example.com")
    assert (again.patient.full_name, again.given_full_name) == ("Ann Example", "Ann Other")
    assert LabResult.objects.filter(submission=again).get(test="total_b12").patient_id == (
        first.patient_id
    )


def test_patient_insert_writes_every_column_but_the_id_and_the_merge():
    """The insert is plain SQL: a column added to Patient must be added to it too; on a
    conflict it changes nothing (the email it sets is the one the row has)."""
    columns = {field.column for field in Patient._meta.concrete_fields}
    assert set(patients.PATIENT_INSERT_COLUMNS) == columns - {"id", "merged_into_id"}
    sql = " ".join(patients.PATIENT_INSERT.split())
    inserted = re.search(r"screening_patient \(([^)]*)\) VALUES", sql).group(1)
    assert inserted.split(", ") == list(patients.PATIENT_INSERT_COLUMNS)
    updated = re.search(r"DO UPDATE SET (.*) RETURNING", sql).group(1)
    assert updated == "email = screening_patient.email"


def test_intake_submit_other_birth_date_is_another_patient(answers, patient_details):
    _submit(answers, patient_details, key="one")
    other = {**patient_details, "date_of_birth": datetime.date(1991, 4, 3)}
    _submit(answers, other, key="two")
    assert Patient.objects.count() == 2


def test_intake_submit_is_one_transaction(answers, patient_details, monkeypatch):
    def broken_screen(answers, *, today, limits=None):
        raise RuntimeError("engine failed")

    monkeypatch.setattr(rules, "screen", broken_screen)
    with pytest.raises(RuntimeError):
        _submit(answers, patient_details)
    assert set(_row_counts().values()) == {0}


def test_intake_submit_invalid_answers_store_nothing(answers, patient_details):
    answers["symptoms"]["fatigue"]["severity"] = 11
    with pytest.raises(InvalidAnswers) as raised:
        _submit(answers, patient_details)
    assert raised.value.problems == ["symptoms.fatigue.severity: must be 0-10"]
    assert set(_row_counts().values()) == {0}


def _answers_so_far(answers: dict) -> dict:
    """What the red-flag page has: about you, pregnancy, symptoms and urgent answers."""
    kept = ("age_years", "sex", "pregnant", "breastfeeding", "symptoms", "red_flags")
    return {key: copy.deepcopy(answers[key]) for key in kept}


def test_intake_store_urgent_stores_incomplete_urgent_submission(answers, patient_details):
    so_far = _answers_so_far(answers)
    so_far["red_flags"]["saddle_numbness"] = True
    submission = _urgent(so_far, patient_details)
    assert submission.is_complete is False
    assert submission.completed_at is None
    assert submission_answers(submission=submission) == so_far
    result = submission_current_result(submission=submission)
    assert (result.level, result.red_flags) == ("urgent", ["saddle_numbness"])


def test_intake_store_urgent_twice_with_same_answers_adds_nothing(answers, patient_details):
    so_far = _answers_so_far(answers)
    so_far["red_flags"]["chest_pain"] = True
    first = _urgent(so_far, patient_details)
    second = _urgent(so_far, patient_details)
    assert second.pk == first.pk
    assert ScreeningResult.objects.count() == 1


def test_intake_submit_completes_the_urgent_submission(answers, patient_details):
    answers["red_flags"]["chest_pain"] = True
    urgent = _urgent(_answers_so_far(answers), patient_details)

    completed = _submit(answers, patient_details)

    assert completed.pk == urgent.pk
    assert Submission.objects.count() == 1
    completed.refresh_from_db()
    assert completed.is_complete is True
    assert completed.completed_at is not None
    assert completed.reference == urgent.reference
    assert submission_answers(submission=completed) == answers
    levels = list(completed.results.order_by("id").values_list("level", flat=True))
    assert levels == ["urgent", "urgent"]
    # The first result is kept as it was: made from the answers so far, without the diet.
    first, latest = completed.results.order_by("id")
    assert "risk.diet.vegan" not in [reason["code"] for reason in first.reasons]
    assert "risk.diet.vegan" in [reason["code"] for reason in latest.reasons]
    assert latest == submission_current_result(submission=completed)


def test_intake_submit_completing_the_urgent_submission_takes_the_new_language(
    answers, patient_details
):
    """Urgent page in English, then the patient switched to Spanish and sent the form:
    the submission and the patient (whose emails are written in it) are in Spanish."""
    answers["red_flags"]["chest_pain"] = True
    urgent = _urgent(_answers_so_far(answers), patient_details)
    assert (urgent.language, urgent.patient.language) == ("en", "en")

    completed = _submit(answers, patient_details, language="es")

    completed.refresh_from_db()
    assert completed.pk == urgent.pk
    assert (completed.language, completed.patient.language) == ("es", "es")


def test_intake_submit_after_completion_changes_nothing(answers, patient_details):
    first = _submit(answers, patient_details)
    changed = {**answers, "diet": "omnivore"}
    again = _submit(changed, patient_details)
    assert again.pk == first.pk
    assert submission_answers(submission=again) == answers
    assert ScreeningResult.objects.count() == 1


def test_intake_submit_every_contract_symptom_and_flag_round_trips(patient_details):
    answers = {
        "age_years": 16,
        "symptoms": {
            code: {"present": True, "severity": 10, "duration_weeks": 1040}
            for code in contract.SYMPTOMS
        },
        "red_flags": {code: True for code in contract.RED_FLAGS},
        "medicines": list(contract.MEDICINES),
        "conditions": list(contract.CONDITIONS),
    }
    submission = _submit(answers, patient_details)
    assert submission_answers(submission=submission) == answers
