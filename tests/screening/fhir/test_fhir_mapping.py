"""The pure FHIR mapping (screening/fhir/questionnaire.py, responses.py, posted_response.py,
bundle.py, outcomes.py): the Questionnaire, answers <-> QuestionnaireResponse, patient
details from a posted response, LOINC by unit, OperationOutcome issues."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from screening.engine import contract
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION
from screening.engine.validation import validate_answers
from screening.fhir import questionnaire as fhir_questionnaire
from screening.fhir.bundle import LOINC_CODES
from screening.fhir.outcomes import operation_outcome, problem_issue
from screening.fhir.posted_response import (
    age_problems,
    patient_details_from_response,
    response_envelope_problems,
)
from screening.fhir.responses import answers_from_response, questionnaire_response
from tests.conftest import INTAKE_DAY, VALID_ANSWERS

# Every key of the contract, every symptom detail, a staff-free set of labs.
FULL_ANSWERS = {
    "age_years": 52,
    "sex": "prefer_not_to_say",
    "pregnant": "not_sure",
    "breastfeeding": True,
    "symptoms": {
        **{code: {"present": False} for code in contract.SYMPTOMS},
        "fatigue": {"present": True, "severity": 0, "duration_weeks": 0},
        "numbness_tingling": {
            "present": True,
            "severity": 10,
            "duration_weeks": 1040,
            "sites": ["face", "arms", "legs"],
            "both_sides": False,
        },
        "joint_pain": {"present": True, "sites": ["neck", "hands"]},
        "sore_or_red_tongue": {"present": True},
    },
    "red_flags": {**{code: False for code in contract.RED_FLAGS}, "saddle_numbness": True},
    "diet": "little_animal_food",
    "alcohol_units_per_week": 0,
    "medicines": ["nitrous_oxide", "metformin", "combined_oral_contraceptive"],
    "conditions": ["ileal_resection", "autoimmune_gastritis"],
    "family_history": False,
    "b12_treatment": "injections",
    "labs": [
        {"test": "total_b12", "value": 148, "unit": "pmol/L", "date": "2025-01-31"},
        {"test": "active_b12", "value": 24.5, "unit": "pmol/L", "date": "2025-02-01"},
        {"test": "mma", "value": 0.45, "unit": "umol/L", "date": "2025-02-01"},
        {"test": "mma", "value": 450, "unit": "nmol/L", "date": "2025-02-02"},
        {"test": "haemoglobin", "value": 118, "unit": "g/L", "date": "2025-02-03"},
        {"test": "mcv", "value": 104.2, "unit": "fL", "date": "2025-02-03"},
        {"test": "folate", "value": 3.1, "unit": "ug/L", "date": "2025-02-03"},
        {"test": "folate", "value": 7, "unit": "nmol/L", "date": "2025-02-04"},
    ],
}
MINIMAL_ANSWERS = {"age_years": 16}
NONE_LISTS = {"age_years": 120, "medicines": [], "conditions": []}
FOLLOW_UP_ANSWERS = {
    "age_years": 40,
    "symptoms": {"fatigue": {"present": True, "severity": 3}},
    "red_flags": {"chest_pain": True},
}
ANSWER_SETS = {
    "form": VALID_ANSWERS,
    "full": FULL_ANSWERS,
    "minimal": MINIMAL_ANSWERS,
    "none_lists": NONE_LISTS,
    "follow_up": FOLLOW_UP_ANSWERS,
}


def _link_ids(items) -> list[str]:
    found = []
    for item in items or []:
        found.append(item.linkId)
        found.extend(_link_ids(item.item))
        for answer in getattr(item, "answer", None) or []:
            found.extend(_link_ids(answer.item))
    return found


def _items_by_link_id(response: QuestionnaireResponse) -> dict:
    found = {}

    def walk(items):
        for item in items or []:
            found.setdefault(item.linkId, []).append(item)
            walk(item.item)

    walk(response.item)
    return found


def _response(answers: dict) -> QuestionnaireResponse:
    return questionnaire_response(answers, version=QUESTIONNAIRE_VERSION)


def test_every_answers_set_here_is_valid():
    """The round trips below start from answers the contract accepts."""
    for answers in ANSWER_SETS.values():
        assert validate_answers(answers, today=INTAKE_DAY) == []


# --- The Questionnaire --------------------------------------------------------------------


def test_questionnaire_has_an_item_for_every_answers_key():
    questionnaire = fhir_questionnaire.questionnaire(QUESTIONNAIRE_VERSION)
    link_ids = _link_ids(questionnaire.item)
    top_level = [item.linkId for item in questionnaire.item]
    # Every answers key in the contract's order, and the two free-text items (not answers).
    assert [key for key in top_level if key in contract.ANSWER_KEYS] == list(contract.ANSWER_KEYS)
    assert [key for key in top_level if key not in contract.ANSWER_KEYS] == [
        "other_medicines",
        "anything_else",
    ]
    for symptom in contract.SYMPTOMS:
        for detail in fhir_questionnaire.symptom_details(symptom):
            assert f"symptoms.{symptom}.{detail}" in link_ids
    assert [f"red_flags.{code}" for code in contract.RED_FLAGS] == [
        link_id for link_id in link_ids if link_id.startswith("red_flags.")
    ]
    assert {"labs.test", "labs.value", "labs.date"} <= set(link_ids)
    assert len(link_ids) == len(set(link_ids))


def test_questionnaire_is_identified_by_url_and_version_and_round_trips():
    questionnaire = fhir_questionnaire.questionnaire(QUESTIONNAIRE_VERSION)
    assert questionnaire.url == fhir_questionnaire.QUESTIONNAIRE_URL
    assert questionnaire.version == QUESTIONNAIRE_VERSION
    assert questionnaire.id == QUESTIONNAIRE_VERSION
    assert questionnaire.status == "active"
    assert Questionnaire.model_validate_json(questionnaire.model_dump_json()) == questionnaire


def test_questionnaire_offers_every_contract_code_as_an_answer_option():
    questionnaire = fhir_questionnaire.questionnaire(QUESTIONNAIRE_VERSION)
    items = {item.linkId: item for item in questionnaire.item}
    options = {
        key: [option.valueCoding.code for option in items[key].answerOption]
        for key in ("sex", "pregnant", "diet", "b12_treatment", "medicines", "conditions")
    }
    assert options == {
        "sex": list(contract.SEXES),
        "pregnant": list(contract.PREGNANT_CHOICES),
        "diet": list(contract.DIETS),
        "b12_treatment": list(contract.B12_TREATMENTS),
        "medicines": [*contract.MEDICINES, "none"],
        "conditions": [*contract.CONDITIONS, "none"],
    }
    assert items["medicines"].repeats is True
    assert items["age_years"].required is True


def test_symptom_details_are_enabled_only_when_the_symptom_is_present():
    questionnaire = fhir_questionnaire.questionnaire(QUESTIONNAIRE_VERSION)
    symptoms = next(item for item in questionnaire.item if item.linkId == "symptoms")
    numbness = next(g for g in symptoms.item if g.linkId == "symptoms.numbness_tingling")
    by_id = {item.linkId: item for item in numbness.item}
    assert by_id["symptoms.numbness_tingling.present"].enableWhen is None
    when = by_id["symptoms.numbness_tingling.severity"].enableWhen[0]
    assert (when.question, when.operator, when.answerBoolean) == (
        "symptoms.numbness_tingling.present",
        "=",
        True,
    )
    assert [o.valueCoding.code for o in by_id["symptoms.numbness_tingling.sites"].answerOption] == [
        *contract.NUMBNESS_SITES
    ]


def test_questionnaire_holds_no_personal_data_fields():
    link_ids = _link_ids(fhir_questionnaire.questionnaire(QUESTIONNAIRE_VERSION).item)
    assert not [
        link_id
        for link_id in link_ids
        if any(word in link_id for word in ("name", "email", "phone", "birth"))
    ]


def test_unknown_questionnaire_version_is_none():
    assert fhir_questionnaire.questionnaire("0") is None
    assert fhir_questionnaire.questionnaire(QUESTIONNAIRE_VERSION + "-draft") is None


# --- Answers -> QuestionnaireResponse -> answers ---------------------------------------------


@pytest.mark.parametrize("name", list(ANSWER_SETS))
def test_answers_round_trip_through_a_questionnaire_response(name):
    answers = copy.deepcopy(ANSWER_SETS[name])
    response = _response(answers)
    parsed = QuestionnaireResponse.model_validate_json(response.model_dump_json())
    assert parsed == response
    back, problems = answers_from_response(parsed)
    assert problems == []
    assert back == answers


def test_every_answers_key_appears_under_its_link_id():
    items = _items_by_link_id(_response(FULL_ANSWERS))
    for key in contract.ANSWER_KEYS:
        assert key in items, key
    assert items["age_years"][0].answer[0].valueInteger == 52
    assert items["sex"][0].answer[0].valueCoding.code == "prefer_not_to_say"
    assert items["sex"][0].answer[0].valueCoding.system == "urn:b12-clinic:answer:sex"
    assert items["pregnant"][0].answer[0].valueCoding.code == "not_sure"
    assert items["breastfeeding"][0].answer[0].valueBoolean is True
    assert items["diet"][0].answer[0].valueCoding.code == "little_animal_food"
    assert items["alcohol_units_per_week"][0].answer[0].valueInteger == 0
    assert [a.valueCoding.code for a in items["medicines"][0].answer] == [
        "nitrous_oxide",
        "metformin",
        "combined_oral_contraceptive",
    ]
    assert [a.valueCoding.code for a in items["conditions"][0].answer] == [
        "ileal_resection",
        "autoimmune_gastritis",
    ]
    assert items["family_history"][0].answer[0].valueBoolean is False
    assert items["b12_treatment"][0].answer[0].valueCoding.code == "injections"
    assert items["symptoms.fatigue.severity"][0].answer[0].valueInteger == 0
    assert items["symptoms.numbness_tingling.duration_weeks"][0].answer[0].valueInteger == 1040
    assert [a.valueCoding.code for a in items["symptoms.numbness_tingling.sites"][0].answer] == [
        "face",
        "arms",
        "legs",
    ]
    assert items["symptoms.numbness_tingling.both_sides"][0].answer[0].valueBoolean is False
    assert items["red_flags.saddle_numbness"][0].answer[0].valueBoolean is True
    assert items["red_flags.chest_pain"][0].answer[0].valueBoolean is False
    assert len(items["labs"]) == 8
    first_value = items["labs.value"][0].answer[0].valueQuantity
    assert (first_value.value, first_value.code, first_value.system) == (
        Decimal("148"),
        "pmol/L",
        "http://unitsofmeasure.org",
    )
    assert items["labs.value"][2].answer[0].valueQuantity.unit == "µmol/L"
    assert items["labs.date"][0].answer[0].valueDate == datetime.date(2025, 1, 31)


def test_absent_answers_have_no_items_and_an_absent_symptom_detail_stays_absent():
    items = _items_by_link_id(_response(MINIMAL_ANSWERS))
    assert list(items) == ["age_years"]
    items = _items_by_link_id(_response(FULL_ANSWERS))
    assert "symptoms.sore_or_red_tongue.severity" not in items
    assert "symptoms.muscle_weakness.severity" not in items
    assert items["symptoms.muscle_weakness.present"][0].answer[0].valueBoolean is False


def test_an_empty_medicines_list_is_the_answer_none_not_a_missing_item():
    items = _items_by_link_id(_response(NONE_LISTS))
    assert [a.valueCoding.code for a in items["medicines"][0].answer] == ["none"]
    assert [a.valueCoding.code for a in items["conditions"][0].answer] == ["none"]


def test_response_points_at_the_published_questionnaire_with_its_version():
    response = _response(VALID_ANSWERS)
    assert response.questionnaire == f"urn:b12-clinic:questionnaire:intake|{QUESTIONNAIRE_VERSION}"
    assert response.status == "completed"
    link_ids = set(_link_ids(fhir_questionnaire.questionnaire(QUESTIONNAIRE_VERSION).item))
    assert set(_link_ids(_response(FULL_ANSWERS).item)) <= link_ids


def test_lab_values_keep_integers_integers_and_decimals_decimals():
    back, _problems = answers_from_response(_response(FULL_ANSWERS))
    values = [lab["value"] for lab in back["labs"]]
    assert values == [148, 24.5, 0.45, 450, 118, 104.2, 3.1, 7]
    assert [type(value) for value in values] == [int, float, float, int, int, float, float, int]


# --- QuestionnaireResponse -> answers: what is refused ---------------------------------------


def _posted(items: list[dict]) -> QuestionnaireResponse:
    return QuestionnaireResponse.model_validate(
        {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": fhir_questionnaire.canonical(QUESTIONNAIRE_VERSION),
            "item": items,
        }
    )


def test_reading_reports_unknown_link_ids_and_repeated_answers():
    response = _posted(
        [
            {"linkId": "age_years", "answer": [{"valueInteger": 30}, {"valueInteger": 31}]},
            {"linkId": "height_cm", "answer": [{"valueInteger": 170}]},
            {"linkId": "diet", "answer": [{"valueCoding": {"code": "vegan"}}]},
            {"linkId": "diet", "answer": [{"valueCoding": {"code": "omnivore"}}]},
        ]
    )
    answers, problems = answers_from_response(response)
    assert problems == [
        "age_years: must have exactly one answer, not 2",
        "height_cm: unknown question (no such linkId in the questionnaire)",
        "diet: answered more than once",
    ]
    assert answers["diet"] == "vegan"


def test_reading_refuses_none_combined_with_a_medicine_and_a_foreign_coding_system():
    response = _posted(
        [
            {
                "linkId": "medicines",
                "answer": [
                    {"valueCoding": {"code": "none"}},
                    {"valueCoding": {"code": "metformin"}},
                ],
            },
            {
                "linkId": "sex",
                "answer": [{"valueCoding": {"system": "http://snomed.info/sct", "code": "female"}}],
            },
        ]
    )
    answers, problems = answers_from_response(response)
    assert problems == [
        "medicines: 'none' cannot be combined with other answers",
        "sex: coding system must be urn:b12-clinic:answer:sex",
    ]
    assert answers["medicines"] == ["metformin"]


def test_wrong_values_reach_the_contract_check_under_their_key_paths():
    response = _posted(
        [
            {"linkId": "age_years", "answer": [{"valueString": "forty"}]},
            {
                "linkId": "symptoms",
                "item": [
                    {
                        "linkId": "symptoms.fatigue",
                        "item": [
                            {
                                "linkId": "symptoms.fatigue.present",
                                "answer": [{"valueBoolean": True}],
                            },
                            {
                                "linkId": "symptoms.fatigue.severity",
                                "answer": [{"valueInteger": 11}],
                            },
                        ],
                    }
                ],
            },
            {
                "linkId": "labs",
                "item": [
                    {"linkId": "labs.test", "answer": [{"valueCoding": {"code": "total_b12"}}]},
                    {
                        "linkId": "labs.value",
                        "answer": [{"valueQuantity": {"value": 150, "code": "mg/dL"}}],
                    },
                ],
            },
        ]
    )
    answers, problems = answers_from_response(response)
    assert problems == []
    assert validate_answers(answers, today=INTAKE_DAY) == [
        "age_years: must be an integer",
        "symptoms.fatigue.severity: must be 0-10",
        "labs[0].date: required",
        "labs[0].unit: must be one of ng/L, pg/mL, pmol/L for total_b12",
    ]


def test_a_lab_value_must_be_a_quantity_in_ucum():
    response = _posted(
        [
            {
                "linkId": "labs",
                "item": [
                    {"linkId": "labs.value", "answer": [{"valueDecimal": 150}]},
                    {"linkId": "labs.date", "answer": [{"valueDate": "2025-01-01"}]},
                ],
            },
            {
                "linkId": "labs",
                "item": [
                    {
                        "linkId": "labs.value",
                        "answer": [
                            {"valueQuantity": {"value": 150, "code": "ng/L", "system": "urn:x"}}
                        ],
                    }
                ],
            },
        ]
    )
    _answers, problems = answers_from_response(response)
    assert problems == [
        "labs[0].value: must be a Quantity (value and UCUM unit code)",
        "labs[1].unit: the unit's system must be http://unitsofmeasure.org",
    ]


# --- Who the patient is ------------------------------------------------------------------------


def _with_patient(patient: dict | None, subject: str | None = "#p") -> QuestionnaireResponse:
    data = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "contained": [{"resourceType": "Patient", "id": "p", **patient}] if patient else [],
    }
    if subject:
        data["subject"] = {"reference": subject}
    return QuestionnaireResponse.model_validate(data)


def test_patient_details_come_from_the_contained_patient():
    response = _with_patient(
        {
            "name": [{"given": ["Ann", "Marie"], "family": "Example"}],
            "birthDate": "1990-04-03",
            "telecom": [
                {"system": "phone", "value": "01632 960 001"},
                {"system": "email", "value": "ann@example.com"},
            ],
        }
    )
    assert patient_details_from_response(response) == (
        {
            "full_name": "Ann Marie Example",
            "date_of_birth": datetime.date(1990, 4, 3),
            "email": "ann@example.com",
            "phone": "01632 960 001",
        },
        [],
    )


def test_patient_details_name_what_is_missing():
    response = _with_patient({"name": [{"text": "  "}], "telecom": [{"system": "email"}]})
    _details, problems = patient_details_from_response(response)
    assert problems == [
        "Patient.name: required (text, or given and family names)",
        "Patient.birthDate: required",
        "Patient.telecom: an email address is required",
    ]
    bad_email = _with_patient(
        {
            "name": [{"text": "Ann"}],
            "birthDate": "1990",
            "telecom": [{"system": "email", "value": "x"}],
        }
    )
    assert patient_details_from_response(bad_email)[1] == [
        "Patient.birthDate: must be a full date (YYYY-MM-DD)",
        "Patient.telecom: the email address is not valid",
    ]


def test_patient_must_be_contained_and_referenced():
    assert patient_details_from_response(_with_patient(None, subject=None))[1] == [
        'subject: must reference a contained Patient ("#id")'
    ]
    assert patient_details_from_response(_with_patient(None, subject="Patient/1"))[1] == [
        'subject: must reference a contained Patient ("#id")'
    ]
    assert patient_details_from_response(_with_patient(None, subject="#q"))[1] == [
        "subject: no contained Patient with id 'q'"
    ]


def test_age_must_match_the_date_of_birth_on_the_authored_day():
    details = {"date_of_birth": datetime.date(1990, 4, 3)}
    day_before_birthday = datetime.date(2025, 4, 2)
    assert age_problems({"age_years": 34}, details, day=day_before_birthday) == []
    assert age_problems({"age_years": 35}, details, day=datetime.date(2025, 4, 3)) == []
    assert age_problems({"age_years": 35}, details, day=day_before_birthday) == [
        "age_years: does not match Patient.birthDate (age 34 on 2025-04-02)"
    ]


def test_envelope_must_name_the_questionnaire_and_be_complete():
    response = QuestionnaireResponse.model_validate(
        {
            "resourceType": "QuestionnaireResponse",
            "status": "in-progress",
            "questionnaire": fhir_questionnaire.QUESTIONNAIRE_URL + "|0",
            "identifier": {"system": "urn:ehr"},
        }
    )
    assert response_envelope_problems(response) == [
        f"questionnaire: must be {fhir_questionnaire.canonical(QUESTIONNAIRE_VERSION)}",
        "status: must be completed",
        "identifier.value: required when an identifier is given",
    ]
    assert response_envelope_problems(_response(VALID_ANSWERS)) == []


# --- Codes, statuses, errors ----------------------------------------------------------------------


def test_loinc_codes_cover_only_units_of_the_right_kind():
    for test, unit in LOINC_CODES:
        assert unit in contract.LAB_UNITS[test]
    # Mass codes never label a result in moles; these have no confirmed code.
    assert ("total_b12", "pmol/L") not in LOINC_CODES
    assert ("folate", "nmol/L") not in LOINC_CODES
    assert LOINC_CODES[("total_b12", "ng/L")][0] == "2132-9"
    assert LOINC_CODES[("haemoglobin", "g/dL")][0] == "718-7"


def test_problem_lines_become_issues_with_their_key_path_as_expression():
    outcome = operation_outcome([problem_issue("symptoms.fatigue.severity: must be 0-10")])
    issue = outcome.issue[0]
    assert (issue.severity, issue.code, issue.expression, issue.diagnostics) == (
        "error",
        "invalid",
        ["symptoms.fatigue.severity"],
        "symptoms.fatigue.severity: must be 0-10",
    )
