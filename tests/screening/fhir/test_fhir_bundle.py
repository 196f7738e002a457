"""A stored submission as a FHIR Bundle: what each resource says, and that every export
parses back through the library to an equal Bundle."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle

from screening.domain.intake import intake_submit
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.domain.results import rules_limits, screening_result_add
from screening.domain.review import lab_result_add, review_record
from screening.domain.tasks import submission_close
from screening.engine import contract, rules
from screening.fhir.bundle import reason_note, resource_id
from screening.fhir.questionnaire import canonical
from screening.fhir.responses import answers_from_response
from screening.fhir.views import submission_bundle, submission_export_data
from screening.models import ScreeningResult, Submission
from tests.conftest import INTAKE_DAY, PATIENT_DETAILS, VALID_ANSWERS
from tests.factories import (
    RedFlagAnswerFactory,
    SubmissionFactory,
    SymptomAnswerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


def _submit(answers: dict, key: str = "key-1", **details) -> Submission:
    return intake_submit(
        answers=copy.deepcopy(answers),
        patient_details={**PATIENT_DETAILS, **details},
        idempotency_key=key,
        language="en",
    )


def export(submission: Submission) -> Bundle:
    """The Bundle, after checking that its JSON parses back to an equal Bundle."""
    bundle = submission_bundle(submission=submission, now=NOW)
    parsed = Bundle.model_validate_json(bundle.model_dump_json())
    assert parsed == bundle
    assert parsed.model_dump_json() == bundle.model_dump_json()
    return parsed


def resources(bundle: Bundle, resource_type: str) -> list:
    return [
        entry.resource
        for entry in bundle.entry
        if entry.resource.get_resource_type() == resource_type
    ]


def one(bundle: Bundle, resource_type: str):
    (resource,) = resources(bundle, resource_type)
    return resource


@pytest.fixture
def intake(frozen_day) -> Submission:
    return _submit(VALID_ANSWERS)


def test_bundle_is_a_collection_of_the_submission_resources(intake):
    bundle = export(intake)
    assert bundle.type == "collection"
    assert bundle.id == str(intake.public_id)
    assert (bundle.identifier.system, bundle.identifier.value) == (
        "urn:b12-clinic:submission",
        str(intake.public_id),
    )
    assert bundle.timestamp == NOW
    assert [entry.resource.get_resource_type() for entry in bundle.entry] == [
        "Patient",
        "QuestionnaireResponse",
        "RiskAssessment",
        "Flag",
        "Observation",
        "Observation",
    ]
    assert all(entry.fullUrl == f"urn:uuid:{entry.resource.id}" for entry in bundle.entry)


def test_patient_carries_the_opaque_id_name_birth_date_and_email_only(intake):
    patient = one(export(intake), "Patient")
    public_id = str(intake.patient.public_id)
    assert patient.id == public_id
    assert [(i.system, i.value) for i in patient.identifier] == [
        ("urn:b12-clinic:patient", public_id)
    ]
    assert [name.text for name in patient.name] == ["Ann Example"]
    assert patient.birthDate == datetime.date(1990, 4, 3)
    assert [(t.system, t.value) for t in patient.telecom] == [("email", "ann.example@example.com")]
    assert patient.gender is None
    assert patient.address is None


def test_questionnaire_response_carries_the_answers_as_stored(intake):
    bundle = export(intake)
    response = one(bundle, "QuestionnaireResponse")
    assert response.questionnaire == canonical(intake.questionnaire_version)
    assert response.status == "completed"
    assert response.subject.reference == f"urn:uuid:{intake.patient.public_id}"
    assert response.authored == intake.submitted_at
    assert (response.identifier.system, response.identifier.value) == (
        "urn:b12-clinic:submission",
        str(intake.public_id),
    )
    answers, problems = answers_from_response(response)
    assert problems == []
    assert answers == submission_answers(submission=intake) == VALID_ANSWERS


def test_risk_assessment_is_the_current_result_as_rules_screen_gives_it(intake):
    bundle = export(intake)
    assessment = one(bundle, "RiskAssessment")
    stored = submission_current_result(submission=intake)
    screened = rules.screen(VALID_ANSWERS, limits=rules_limits(), today=INTAKE_DAY)
    assert (stored.level, stored.rules_version) == (screened["level"], screened["rules_version"])

    assert assessment.status == "final"
    method = assessment.method.coding[0]
    assert (method.system, method.code) == ("urn:b12-clinic:rules", screened["rules_version"])
    assert screened["rules_version"] in assessment.method.text
    prediction = assessment.prediction[0]
    risk = prediction.qualitativeRisk.coding[0]
    assert (risk.system, risk.code) == ("urn:b12-clinic:level", screened["level"])
    expected_outcome = (
        "possible_b12_deficiency"
        if screened["possible_b12_deficiency"]
        else "test_criteria_not_met"
    )
    assert prediction.outcome.coding[0].code == expected_outcome
    assert prediction.rationale == " ".join(reason["text"] for reason in screened["reasons"])
    notes = [note.text for note in assessment.note]
    assert notes[: len(screened["reasons"])] == [
        reason_note(reason) for reason in screened["reasons"]
    ]
    assert all(reason["code"] in " ".join(notes) for reason in screened["reasons"])
    b12_status = screened["lab_interpretation"]["b12_status"]
    assert notes[-1].startswith(f"lab_interpretation.b12_status: {b12_status} ")
    for action in screened["suggested_actions"]:
        assert action["code"] in assessment.mitigation
    response = one(bundle, "QuestionnaireResponse")
    observations = resources(bundle, "Observation")
    assert [ref.reference for ref in assessment.basis] == [
        f"urn:uuid:{response.id}",
        *(f"urn:uuid:{o.id}" for o in observations),
    ]
    assert assessment.subject.reference == f"urn:uuid:{intake.patient.public_id}"
    assert assessment.occurrenceDateTime == stored.created_at


def test_lab_observations_use_loinc_and_ucum(intake):
    bundle = export(intake)
    response = one(bundle, "QuestionnaireResponse")
    b12, haemoglobin = resources(bundle, "Observation")
    assert [(c.system, c.code) for c in b12.code.coding] == [("http://loinc.org", "2132-9")]
    assert b12.code.text == "Vitamin B12 (total B12)"
    quantity = b12.valueQuantity
    assert (quantity.value, quantity.unit, quantity.system, quantity.code) == (
        Decimal("250"),
        "ng/L",
        "http://unitsofmeasure.org",
        "ng/L",
    )
    assert b12.effectiveDateTime == datetime.date(2025, 5, 1)
    assert b12.status == "final"
    assert b12.category[0].coding[0].code == "laboratory"
    assert [ref.reference for ref in b12.derivedFrom] == [f"urn:uuid:{response.id}"]
    assert b12.note[0].text == "Reported by the patient on the intake form"
    assert [(c.code, c.display) for c in haemoglobin.code.coding] == [
        ("718-7", "Hemoglobin [Mass/volume] in Blood")
    ]
    assert (haemoglobin.valueQuantity.value, haemoglobin.valueQuantity.code) == (
        Decimal("12.5"),
        "g/dL",
    )


def test_a_unit_without_a_confirmed_loinc_code_is_exported_as_text(frozen_day):
    answers = {
        "age_years": 35,
        "labs": [{"test": "total_b12", "value": 130, "unit": "pmol/L", "date": "2025-05-01"}],
    }
    observation = one(export(_submit(answers)), "Observation")
    assert observation.code.coding is None
    assert observation.code.text == "Vitamin B12 (total B12)"
    assert observation.valueQuantity.code == "pmol/L"


def test_flag_is_active_while_the_review_is_open_and_inactive_after(intake):
    flag = one(export(intake), "Flag")
    assert flag.status == "active"
    assert flag.period.start == intake.submitted_at
    assert flag.period.end is None
    assert flag.subject.reference == f"urn:uuid:{intake.patient.public_id}"
    assert flag.code.coding[0].code == "b12-screening-review"

    clinician = UserFactory()
    review_record(submission=intake, by=clinician, outcomes=["order_b12_test"], note="")
    intake.refresh_from_db()
    assert intake.status == Submission.Status.AWAITING_TEST
    assert one(export(intake), "Flag").status == "active"

    submission_close(submission=intake, by=clinician, reason="Result received elsewhere.")
    intake.refresh_from_db()
    flag = one(export(intake), "Flag")
    assert flag.status == "inactive"
    assert flag.period.end == intake.status_changed_at


@pytest.mark.parametrize("status", [s for s, _label in Submission.Status.choices])
def test_flag_status_for_every_submission_status(status):
    submission = SubmissionFactory(status=status)
    flag = one(export(submission), "Flag")
    open_statuses = ("new", "in_review", "awaiting_test", "tasks_open")
    assert flag.status == ("active" if status in open_statuses else "inactive")


def test_red_flag_intake_is_urgent_and_lists_the_red_flag_reason(frozen_day):
    answers = copy.deepcopy(VALID_ANSWERS)
    answers["red_flags"]["chest_pain"] = True
    submission = _submit(answers)
    bundle = export(submission)
    assessment = one(bundle, "RiskAssessment")
    assert assessment.prediction[0].qualitativeRisk.coding[0].code == "urgent"
    stored = submission_current_result(submission=submission)
    assert stored.red_flags == ["chest_pain"]
    notes = " ".join(note.text for note in assessment.note)
    assert all(reason["code"] in notes for reason in stored.reasons)
    items = answers_from_response(one(bundle, "QuestionnaireResponse"))[0]
    assert items["red_flags"]["chest_pain"] is True
    assert "urgent" in one(bundle, "Flag").code.text.lower()


def test_staff_lab_is_an_observation_but_not_a_patient_answer(intake):
    clinician = UserFactory()
    lab, new_result = lab_result_add(
        submission=intake,
        test="active_b12",
        value=Decimal("20"),
        unit="pmol/L",
        date=datetime.date(2025, 6, 1),
        by=clinician,
    )
    bundle = export(intake)
    observations = resources(bundle, "Observation")
    assert len(observations) == 3
    staff_observation = observations[-1]
    assert staff_observation.id == resource_id(intake.public_id, f"Observation/{lab.pk}")
    assert [(c.code, c.display) for c in staff_observation.code.coding] == [
        ("72160-5", "Holo-transcobalamin II [Moles/volume] in Serum")
    ]
    assert staff_observation.derivedFrom is None
    assert staff_observation.note[0].text == "Entered by clinic staff"
    answers = answers_from_response(one(bundle, "QuestionnaireResponse"))[0]
    assert answers["labs"] == VALID_ANSWERS["labs"]

    current = submission_current_result(submission=intake)
    assessment = one(bundle, "RiskAssessment")
    assert assessment.id == resource_id(intake.public_id, f"RiskAssessment/{current.pk}")
    if new_result is not None:
        assert current.pk == new_result.pk
    assert assessment.basis[-1].reference == f"urn:uuid:{staff_observation.id}"


def test_follow_up_exports_its_symptoms_and_red_flags(frozen_day):
    original = _submit(VALID_ANSWERS)
    follow_up = SubmissionFactory(
        patient=original.patient, kind="follow_up", follow_up_of=original, age_years=35
    )
    follow_up.sex = follow_up.diet = follow_up.b12_treatment = ""
    follow_up.save()
    SymptomAnswerFactory(submission=follow_up, code="fatigue", severity=9, duration_weeks=20)
    RedFlagAnswerFactory(submission=follow_up, code="new_difficulty_walking", answer=True)
    screening_result_add(submission=follow_up, trigger=ScreeningResult.Trigger.RESCREEN)
    bundle = export(follow_up)
    answers = answers_from_response(one(bundle, "QuestionnaireResponse"))[0]
    assert answers == {
        "age_years": 35,
        "symptoms": {"fatigue": {"present": True, "severity": 9, "duration_weeks": 20}},
        "red_flags": {"new_difficulty_walking": True},
    }
    assert one(bundle, "RiskAssessment").prediction[0].qualitativeRisk.coding[0].code == ("urgent")
    assert one(bundle, "Patient").id == str(original.patient.public_id)
    assert resources(bundle, "Observation") == []


def test_every_answers_key_survives_storage_and_export(frozen_day):
    answers = {
        "age_years": 52,
        "sex": "other",
        "pregnant": "not_sure",
        "breastfeeding": True,
        "symptoms": {
            **{code: {"present": False} for code in contract.SYMPTOMS},
            "numbness_tingling": {
                "present": True,
                "severity": 6,
                "duration_weeks": 30,
                "sites": ["feet", "legs"],
                "both_sides": True,
            },
            "joint_pain": {"present": True, "severity": 2, "sites": ["knees"]},
        },
        "red_flags": {code: False for code in contract.RED_FLAGS},
        "diet": "vegetarian",
        "alcohol_units_per_week": 21,
        "medicines": [],
        "conditions": ["coeliac_disease"],
        "family_history": True,
        "b12_treatment": "oral",
        "labs": [
            {"test": "mma", "value": 0.5, "unit": "umol/L", "date": "2025-06-01"},
            {"test": "mcv", "value": 101, "unit": "fL", "date": "2025-06-01"},
            {"test": "folate", "value": 2.5, "unit": "ug/L", "date": "2025-06-01"},
        ],
    }
    bundle = export(_submit(answers))
    back, problems = answers_from_response(one(bundle, "QuestionnaireResponse"))
    assert problems == []
    assert back == answers
    codes = [o.code.coding[0].code for o in resources(bundle, "Observation")]
    assert codes == ["13964-2", "787-2", "2284-8"]


def test_export_ids_are_stable_and_a_submission_without_result_has_no_assessment(intake):
    first = submission_bundle(submission=intake, now=NOW)
    second = submission_bundle(submission=intake, now=NOW)
    assert [e.fullUrl for e in first.entry] == [e.fullUrl for e in second.entry]

    bare = SubmissionFactory()
    bundle = export(bare)
    assert resources(bundle, "RiskAssessment") == []
    assert one(bundle, "Flag").code.text == "B12 screening; clinic review open"


def test_export_data_keeps_staff_labs_out_of_the_answers(intake):
    lab_result_add(
        submission=intake,
        test="mcv",
        value=Decimal("99"),
        unit="fL",
        date=datetime.date(2025, 6, 2),
        by=UserFactory(),
    )
    data = submission_export_data(submission=intake)
    assert [lab.source for lab in data.labs] == ["patient", "patient", "clinician"]
    assert data.answers["labs"] == VALID_ANSWERS["labs"]
    assert data.result.result["rules_version"] == rules.rules_version(rules_limits())
