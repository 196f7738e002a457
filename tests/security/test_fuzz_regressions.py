"""Server errors the fuzz tests found (tests/security/test_fuzz.py), one test each, so
they stay fixed. The log redaction's slowness has its own module (test_log_redaction.py)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.security.support import api_token, bearer

SINCE = "2025-06-01T09:00:00Z"


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("_count", "9" * 5000),  # int() refuses more than 4,300 digits
        ("_count", "²"),  # isdigit() but not a number int() reads
        ("_offset", "9" * 5000),
        ("_offset", "²"),
        ("_offset", "99999999999999999999"),  # beyond a 64-bit SQL integer
        ("_offset", "9223372036854775808"),
    ],
)
def test_bundle_paging_parameters_that_are_not_small_numbers_are_400(db, param, value):
    response = Client().get(
        "/fhir/Bundle", {"_since": SINCE, param: value}, **bearer(api_token(scopes=("read",)))
    )
    assert response.status_code == 400
    issues = json.loads(response.content)["issue"]
    assert [issue["expression"] for issue in issues] == [[param]]


def test_a_lab_value_too_large_for_a_float_is_a_problem_not_an_error():
    from screening.engine.validation import validate_answers
    from tests.conftest import INTAKE_DAY, VALID_ANSWERS

    answers = {**VALID_ANSWERS, "labs": [{**VALID_ANSWERS["labs"][0], "value": 10**400}]}
    assert validate_answers(answers, today=INTAKE_DAY) == ["labs[0].value: must be a finite number"]


@pytest.mark.parametrize("value", ["9" * 400, 10**400], ids=["string", "number"])
def test_a_posted_lab_value_too_large_for_a_float_is_400(db, frozen_day, value):
    from tests.security.support import FHIR_JSON, FHIR_POST_URL, fhir_payload

    payload = fhir_payload()
    lab_values = [
        answer["valueQuantity"]
        for group in payload["item"]
        for item in group.get("item", [])
        for answer in item.get("answer", [])
        if "valueQuantity" in answer
    ]
    lab_values[0]["value"] = value
    body = json.dumps(payload)
    response = Client().post(FHIR_POST_URL, body, content_type=FHIR_JSON, **bearer(api_token()))
    assert response.status_code == 400
    assert "must be a finite number" in response.content.decode()


@pytest.mark.parametrize(
    "contained",
    [{"resourceType": None}, {}, {"resourceType": "NoSuchResource"}],
    ids=["null", "missing", "unknown"],
)
def test_a_contained_resource_without_a_valid_resource_type_is_400(db, frozen_day, contained):
    from tests.security.support import FHIR_JSON, FHIR_POST_URL, fhir_payload

    payload = {**fhir_payload(), "contained": [contained]}
    body = json.dumps(payload)
    response = Client().post(FHIR_POST_URL, body, content_type=FHIR_JSON, **bearer(api_token()))
    assert response.status_code == 400
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"


def test_a_10_mb_intake_form_post_is_a_400_without_a_traceback(journey):
    """A 10 MB form body is refused by Django's DATA_UPLOAD_MAX_MEMORY_SIZE before any view
    runs: a plain 400 page, no traceback, nothing stored in the draft."""
    from tests.conftest import STEP_URLS, VALID_PAGES

    journey.answer_all(until="blood-tests")
    data = {**VALID_PAGES["blood-tests"], "lab1_value": "1" * 10_000_000}
    response = journey.client.post(STEP_URLS["blood-tests"], data)
    assert response.status_code == 400
    assert b"Traceback" not in response.content
    steps = journey.client.session["intake"]["steps"]
    assert steps and "blood-tests" not in steps


def test_a_10_mb_staff_lab_form_post_is_a_400_without_a_traceback(clinician_client, frozen_day):
    from screening.models import LabResult
    from tests.factories import SubmissionFactory

    submission = SubmissionFactory()
    url = f"/staff/submissions/{submission.public_id}/labs/add/"
    data = {"test": "total_b12", "value": "1" * 10_000_000, "unit": "ng/L", "date": "2025-06-10"}
    response = clinician_client.post(url, data)
    assert response.status_code == 400
    assert b"Traceback" not in response.content
    assert LabResult.objects.count() == 0
