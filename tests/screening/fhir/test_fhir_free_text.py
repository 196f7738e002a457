"""The patient's own words in FHIR: two items of type text in the Questionnaire, valueString
items in the exported QuestionnaireResponse, and the same items accepted from an EHR's
POST. Never answers: the screening rules do not read them."""

from __future__ import annotations

import copy

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

from screening.domain.intake import intake_submit
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION
from screening.fhir import questionnaire as fhir_questionnaire
from screening.fhir.responses import (
    answers_from_response,
    free_text_from_response,
    questionnaire_response,
)
from screening.models import Submission
from tests.conftest import PATIENT_DETAILS, VALID_ANSWERS
from tests.screening.fhir.test_fhir_views import _payload, _post, _token, outcome, parsed

pytestmark = pytest.mark.django_db

WORDS = {
    "other_medicines": "Vitamin D 1000 units\nIron",
    "anything_else": "Please call after 6pm.",
}


@pytest.fixture
def writer() -> str:
    return _token("Practice EHR", scopes=("read", "write"))


def _top_level(resource) -> list[str]:
    return [item.linkId for item in resource.item]


def test_questionnaire_has_the_two_text_items_with_their_bounds(client):
    questionnaire = parsed(
        client.get(f"/fhir/Questionnaire/{QUESTIONNAIRE_VERSION}"), Questionnaire
    )
    items = {item.linkId: item for item in questionnaire.item}
    assert (items["other_medicines"].type, items["other_medicines"].maxLength) == ("text", 500)
    assert (items["anything_else"].type, items["anything_else"].maxLength) == ("text", 1200)
    order = _top_level(questionnaire)
    assert order.index("other_medicines") == order.index("medicines") + 1
    assert order[-1] == "anything_else"
    assert not items["anything_else"].required


def test_response_carries_the_words_as_value_strings_in_questionnaire_order():
    response = questionnaire_response(VALID_ANSWERS, version=QUESTIONNAIRE_VERSION, free_text=WORDS)
    items = {item.linkId: item for item in response.item}
    assert [answer.valueString for answer in items["other_medicines"].answer] == [
        WORDS["other_medicines"]
    ]
    assert items["anything_else"].answer[0].valueString == WORDS["anything_else"]
    order = _top_level(response)
    assert order.index("other_medicines") == order.index("medicines") + 1
    assert order[-1] == "anything_else"
    # Read back: the words apart, the answers as they were.
    assert answers_from_response(response) == (VALID_ANSWERS, [])
    assert free_text_from_response(response) == (WORDS, [])


def test_empty_words_leave_no_item():
    response = questionnaire_response(
        VALID_ANSWERS,
        version=QUESTIONNAIRE_VERSION,
        free_text={"other_medicines": "", "anything_else": ""},
    )
    assert not {"other_medicines", "anything_else"} & set(_top_level(response))


def test_exported_bundle_carries_the_words(clinician_client, frozen_day):
    submission = intake_submit(
        answers=copy.deepcopy(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="bundle",
        language="en",
        free_text=WORDS,
    )
    response = clinician_client.get(f"/fhir/staff/submissions/{submission.public_id}/bundle.json")
    bundle = parsed(response, Bundle)
    [response_resource] = [
        entry.resource
        for entry in bundle.entry
        if entry.resource.get_resource_type() == "QuestionnaireResponse"
    ]
    assert free_text_from_response(response_resource) == (WORDS, [])


def _with_words(data: dict, words: dict) -> dict:
    for link_id, value in words.items():
        data["item"].append({"linkId": link_id, "answer": [value]})
    return data


def test_ehr_post_stores_the_words_and_screens_only_the_answers(client, writer, frozen_day):
    data = _with_words(
        _payload(),
        {
            "other_medicines": {"valueString": "metformin"},
            "anything_else": {"valueString": "Crushing chest pain now."},
        },
    )
    assert _post(client, writer, data).status_code == 201
    submission = Submission.objects.get()
    assert (submission.other_medicines, submission.anything_else) == (
        "metformin",
        "Crushing chest pain now.",
    )
    assert submission_answers(submission=submission) == VALID_ANSWERS

    plain = intake_submit(
        answers=copy.deepcopy(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="plain",
        language="en",
    )
    worded_result = submission_current_result(submission=submission)
    plain_result = submission_current_result(submission=plain)
    assert (worded_result.level, worded_result.reasons) == (
        plain_result.level,
        plain_result.reasons,
    )


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        (
            {"anything_else": {"valueString": "x" * 1201}},
            ("anything_else: at most 1200 characters", ["anything_else"]),
        ),
        (
            {"other_medicines": {"valueInteger": 3}},
            ("other_medicines: must be a valueString", ["other_medicines"]),
        ),
    ],
)
def test_ehr_post_with_words_the_database_cannot_hold_is_400(client, writer, items, problem):
    response = _post(client, writer, _with_words(_payload(), items))
    assert response.status_code == 400
    assert outcome(response) == [("invalid", *problem)]
    assert Submission.objects.count() == 0


def test_ehr_post_with_the_words_twice_is_400(client, writer):
    data = _payload()
    data["item"] += [
        {"linkId": "anything_else", "answer": [{"valueString": "one"}]},
        {"linkId": "anything_else", "answer": [{"valueString": "two"}]},
    ]
    response = _post(client, writer, data)
    assert response.status_code == 400
    assert outcome(response) == [
        ("invalid", "anything_else: answered more than once", ["anything_else"])
    ]


def test_questionnaire_module_lists_the_free_text_items_apart_from_the_answers():
    assert set(fhir_questionnaire.FREE_TEXT_QUESTIONS) == {"other_medicines", "anything_else"}
