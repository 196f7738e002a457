"""The /fhir/ endpoints: the public Questionnaire, the staff download, the EHR pull and
the EHR's QuestionnaireResponse POST. Every FHIR body is parsed back with the library."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.riskassessment import RiskAssessment

from screening.domain.intake import intake_submit
from screening.domain.queries.answers import submission_answers
from screening.domain.results import rules_limits
from screening.engine import rules
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION
from screening.fhir import questionnaire as fhir_questionnaire
from screening.fhir.api_auth import api_client_create
from screening.fhir.bundle import reason_note
from screening.fhir.responses import questionnaire_response
from screening.models import ApiClient, AuditEvent, Patient, Submission
from tests.conftest import INTAKE_DAY, PATIENT_DETAILS, VALID_ANSWERS
from tests.factories import PatientFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

QUESTIONNAIRE_URL = f"/fhir/Questionnaire/{QUESTIONNAIRE_VERSION}"
PULL_URL = "/fhir/Bundle"
POST_URL = "/fhir/QuestionnaireResponse"
LOGIN_PATH = "/staff/account/login/"


def parsed(response, model):
    """The body as a library model, after checking the content type and that it
    serialises back to the same JSON."""
    assert response["Content-Type"] == "application/fhir+json"
    resource = model.model_validate_json(response.content)
    assert json.loads(resource.model_dump_json()) == json.loads(response.content)
    return resource


def outcome(response) -> list[tuple[str, str, list[str] | None]]:
    resource = parsed(response, OperationOutcome)
    return [(issue.code, issue.diagnostics, issue.expression) for issue in resource.issue]


def test_urls():
    assert reverse("fhir:questionnaire", args=["1"]) == "/fhir/Questionnaire/1"
    assert reverse("fhir:bundle_search") == PULL_URL
    assert reverse("fhir:questionnaire_response_create") == POST_URL
    assert (
        reverse("fhir:staff_submission_bundle", args=["00000000-0000-4000-8000-000000000001"])
        == "/fhir/staff/submissions/00000000-0000-4000-8000-000000000001/bundle.json"
    )


# --- GET /fhir/Questionnaire/<version> ------------------------------------------------------


def test_questionnaire_is_public_fhir_json(client):
    response = client.get(QUESTIONNAIRE_URL)
    assert response.status_code == 200
    questionnaire = parsed(response, Questionnaire)
    assert questionnaire == fhir_questionnaire.questionnaire(QUESTIONNAIRE_VERSION)
    assert questionnaire.url == fhir_questionnaire.QUESTIONNAIRE_URL
    assert AuditEvent.objects.count() == 0


def test_unknown_questionnaire_version_is_404_operation_outcome(client):
    response = client.get("/fhir/Questionnaire/99")
    assert response.status_code == 404
    assert outcome(response) == [("not-found", "No questionnaire version '99' is published", None)]


def test_questionnaire_refuses_post(client):
    assert client.post(QUESTIONNAIRE_URL).status_code == 405


# --- GET /fhir/staff/submissions/<uuid>/bundle.json --------------------------------------------


@pytest.fixture
def submission(frozen_day) -> Submission:
    return intake_submit(
        answers=copy.deepcopy(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="staff-download",
        language="en",
    )


def _download_url(submission: Submission) -> str:
    return f"/fhir/staff/submissions/{submission.public_id}/bundle.json"


def test_clinician_downloads_the_bundle_and_it_is_audited_as_export(
    clinician_client, clinician, submission
):
    response = clinician_client.get(_download_url(submission))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{submission.reference}.fhir.json"'
    )
    bundle = parsed(response, Bundle)
    assert bundle.id == str(submission.public_id)
    assert [e.resource.get_resource_type() for e in bundle.entry] == [
        "Patient",
        "QuestionnaireResponse",
        "RiskAssessment",
        "Flag",
        "Observation",
        "Observation",
    ]
    events = list(
        AuditEvent.objects.order_by("id").values_list(
            "action", "what", "actor", "object_id", "patient_public_id"
        )
    )
    assert events == [
        (
            "view",
            "submission.fhir_bundle",
            clinician.pk,
            str(submission.public_id),
            submission.patient.public_id,
        ),
        (
            "export",
            "submission.fhir_bundle",
            clinician.pk,
            str(submission.public_id),
            submission.patient.public_id,
        ),
    ]


def test_download_sends_anonymous_and_unverified_users_to_sign_in(client, clinician, submission):
    response = client.get(_download_url(submission))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_PATH)
    unverified = Client()
    unverified.force_login(clinician)
    response = unverified.get(_download_url(submission))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_PATH)
    assert not AuditEvent.objects.filter(action="export").exists()


def test_download_refuses_the_receptionist_and_a_user_without_a_role(
    receptionist_client, outsider_client, submission
):
    assert receptionist_client.get(_download_url(submission)).status_code == 403
    assert outsider_client.get(_download_url(submission)).status_code == 403
    assert not AuditEvent.objects.filter(what="submission.fhir_bundle").exists()


def test_download_of_an_unknown_submission_is_404(clinician_client, db):
    response = clinician_client.get(
        "/fhir/staff/submissions/00000000-0000-4000-8000-0000000000ff/bundle.json"
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_download_view_declares_its_permission():
    from screening.fhir import views as fhir_views

    assert fhir_views.staff_submission_bundle.staff_permission == "screening.review_submission"


# --- GET /fhir/Bundle?_since= ---------------------------------------------------------------------

T0 = datetime.datetime(2025, 6, 1, 9, 0, tzinfo=datetime.UTC)


def _token(name: str = "Practice EHR", scopes=("read",)) -> str:
    return api_client_create(name=name, scopes=list(scopes))[1]


def _auth(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def reviewed():
    """Two submissions reviewed/closed at or after T0, and three that must not be pulled."""
    at = {
        "reviewed_at_t0": SubmissionFactory(status="reviewed", status_changed_at=T0),
        "closed_later": SubmissionFactory(
            status="closed", status_changed_at=T0 + datetime.timedelta(days=2)
        ),
    }
    SubmissionFactory(status="reviewed", status_changed_at=T0 - datetime.timedelta(seconds=1))
    SubmissionFactory(status="in_review", status_changed_at=T0 + datetime.timedelta(days=1))
    SubmissionFactory(status="awaiting_test", status_changed_at=T0 + datetime.timedelta(days=1))
    return at


def test_pull_returns_a_searchset_of_reviewed_submission_bundles(client, reviewed):
    token = _token()
    response = client.get(PULL_URL, {"_since": "2025-06-01T09:00:00Z"}, **_auth(token))
    assert response.status_code == 200
    searchset = parsed(response, Bundle)
    assert searchset.type == "searchset"
    assert searchset.total == 2
    ids = [entry.resource.id for entry in searchset.entry]
    assert ids == [
        str(reviewed["reviewed_at_t0"].public_id),
        str(reviewed["closed_later"].public_id),
    ]
    assert all(entry.search.mode == "match" for entry in searchset.entry)
    inner = searchset.entry[0].resource
    assert inner.type == "collection"
    assert [e.resource.get_resource_type() for e in inner.entry] == [
        "Patient",
        "QuestionnaireResponse",
        "Flag",
    ]
    assert inner.entry[2].resource.status == "inactive"
    assert [link.relation for link in searchset.link] == ["self"]


def test_pull_since_a_later_instant_in_another_zone(client, reviewed):
    token = _token()
    response = client.get(PULL_URL, {"_since": "2025-06-02T10:00:00+01:00"}, **_auth(token))
    ids = [entry.resource.id for entry in parsed(response, Bundle).entry]
    assert ids == [str(reviewed["closed_later"].public_id)]
    # "+" sent unencoded arrives as a space and is still read as the same instant.
    response = client.get(f"{PULL_URL}?_since=2025-06-02T10:00:00+01:00", **_auth(token))
    assert response.status_code == 200
    assert parsed(response, Bundle).total == 1


def test_pull_with_nothing_new_is_an_empty_searchset(client, reviewed):
    response = client.get(PULL_URL, {"_since": "2030-01-01T00:00:00Z"}, **_auth(_token()))
    searchset = parsed(response, Bundle)
    assert (searchset.total, searchset.entry) == (0, None)


def test_pull_is_audited_with_the_client_and_the_count(client, reviewed):
    client.get(PULL_URL, {"_since": "2025-06-01T09:00:00Z"}, **_auth(_token("Practice EHR")))
    event = AuditEvent.objects.get()
    assert (event.action, event.what, event.actor, event.actor_username) == (
        "export",
        "fhir.bundle_search",
        None,
        "",
    )
    assert event.detail == {
        "client": "Practice EHR",
        "count": 2,
        "total": 2,
        "since": "2025-06-01T09:00:00+00:00",
        "offset": 0,
        "submissions": [
            str(reviewed["reviewed_at_t0"].public_id),
            str(reviewed["closed_later"].public_id),
        ],
    }
    assert ApiClient.objects.get().last_used_at is not None


def test_pull_audit_names_no_staff_user_even_with_a_session_cookie(clinician_client, reviewed):
    """The token is who calls: a staff session riding along never becomes the actor."""
    response = clinician_client.get(
        PULL_URL, {"_since": "2025-06-01T09:00:00Z"}, **_auth(_token("Practice EHR"))
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(what="fhir.bundle_search")
    assert (event.actor, event.actor_username, event.detail["client"]) == (
        None,
        "",
        "Practice EHR",
    )


def test_pull_pages_with_count_and_offset(client, reviewed):
    token = _token()
    response = client.get(PULL_URL, {"_since": "2025-06-01T09:00:00Z", "_count": 1}, **_auth(token))
    first = parsed(response, Bundle)
    assert (first.total, len(first.entry)) == (2, 1)
    next_link = {link.relation: link.url for link in first.link}["next"]
    assert "_offset=1" in next_link
    second = parsed(client.get(next_link, **_auth(token)), Bundle)
    assert [e.resource.id for e in second.entry] == [str(reviewed["closed_later"].public_id)]
    assert "next" not in {link.relation for link in second.link}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"_since": ""},
        {"_since": "yesterday"},
        {"_since": "2025-13-01T00:00:00Z"},
        {"_since": "2025-06-01T25:00:00Z"},
        {"_since": "2025-06-01T09:00:00"},
        {"_since": "2025-06-01"},
        {"_since": "2025-06-01T09:00:00+99:00"},
        {"_since": "0001-01-01T00:00:00+05:00"},
        {"_since": "9999-12-31T23:59:59-05:00"},
    ],
)
def test_pull_with_a_bad_since_is_400_operation_outcome(client, params):
    response = client.get(PULL_URL, params, **_auth(_token()))
    assert response.status_code == 400
    ((code, diagnostics, expression),) = outcome(response)
    assert (code, expression) == ("invalid", ["_since"])
    assert diagnostics.startswith("_since: required, an ISO 8601 date and time with a time zone")
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("count", ["0", "51", "x", "-1"])
def test_pull_with_a_bad_count_is_400(client, count):
    response = client.get(
        PULL_URL, {"_since": "2025-06-01T09:00:00Z", "_count": count}, **_auth(_token())
    )
    assert response.status_code == 400
    assert outcome(response) == [("invalid", "_count: must be 1-50", ["_count"])]


def test_pull_without_or_with_a_bad_token_is_401(client, clinician_client, reviewed):
    params = {"_since": "2025-06-01T09:00:00Z"}
    token = _token()
    key_id = token.split(".")[0]
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
        _auth(token + "x"),
        _auth(f"{key_id}.wrong"),
        _auth("nosuchkey.secret"),
    ):
        response = client.get(PULL_URL, params, **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"] == 'Bearer realm="fhir"'
        assert [issue[0] for issue in outcome(response)] == ["login"]
    # A signed-in clinician's session is not a token.
    assert clinician_client.get(PULL_URL, params).status_code == 401
    assert AuditEvent.objects.filter(action="export").count() == 0


def test_pull_with_an_inactive_or_write_only_client_is_refused(client, reviewed):
    params = {"_since": "2025-06-01T09:00:00Z"}
    token = _token("Old EHR")
    ApiClient.objects.filter(name="Old EHR").update(active=False)
    assert client.get(PULL_URL, params, **_auth(token)).status_code == 401
    writer = _token("Writer", scopes=("write",))
    response = client.get(PULL_URL, params, **_auth(writer))
    assert response.status_code == 403
    assert outcome(response) == [("forbidden", "This client's token lacks the 'read' scope", None)]


# --- POST /fhir/QuestionnaireResponse ----------------------------------------------------------

AUTHORED = "2025-06-15T10:30:00+01:00"
CONTAINED_PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"given": ["Ann"], "family": "Example"}],
    "birthDate": "1990-04-03",
    "telecom": [{"system": "email", "value": "Ann.Example@example.com"}],
}


def _payload(answers: dict = VALID_ANSWERS, identifier: str | None = "qr-1", **changes) -> dict:
    response = questionnaire_response(answers, version=QUESTIONNAIRE_VERSION)
    data = json.loads(response.model_dump_json())
    data["contained"] = [copy.deepcopy(CONTAINED_PATIENT)]
    data["subject"] = {"reference": "#p1"}
    data["authored"] = AUTHORED
    if identifier:
        data["identifier"] = {"system": "urn:practice-ehr:qr", "value": identifier}
    data.update(changes)
    return data


@pytest.fixture
def writer() -> str:
    return _token("Practice EHR", scopes=("read", "write"))


def _post(client, token: str, data, content_type: str = "application/fhir+json"):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(POST_URL, body, content_type=content_type, **_auth(token))


def test_post_creates_a_submission_and_returns_its_risk_assessment(client, writer):
    response = _post(client, writer, _payload())
    assert response.status_code == 201
    assessment = parsed(response, RiskAssessment)

    submission = Submission.objects.get()
    assert submission_answers(submission=submission) == VALID_ANSWERS
    assert submission.is_complete is True
    screened = rules.screen(VALID_ANSWERS, limits=rules_limits(), today=INTAKE_DAY)
    prediction = assessment.prediction[0]
    assert prediction.qualitativeRisk.coding[0].code == screened["level"]
    assert prediction.outcome.coding[0].code == "possible_b12_deficiency"
    assert assessment.method.coding[0].code == screened["rules_version"]
    assert [note.text for note in assessment.note][: len(screened["reasons"])] == [
        reason_note(reason) for reason in screened["reasons"]
    ]
    assert [(i.system, i.value) for i in assessment.identifier] == [
        ("urn:b12-clinic:submission", str(submission.public_id)),
        ("urn:practice-ehr:qr", "qr-1"),
    ]
    # The subject is the patient as posted (its id and any identifiers the EHR gave it),
    # never the clinic's record: docs/security.md, "Patient identity".
    assert (assessment.subject.type, assessment.subject.reference) == ("Patient", "#p1")
    assert [resource.model_dump() for resource in assessment.contained] == [
        {"resourceType": "Patient", "id": "p1"}
    ]
    assert assessment.basis[0].identifier.value == str(submission.public_id)

    patient = submission.patient
    assert (patient.full_name, patient.email, patient.date_of_birth) == (
        "Ann Example",
        "ann.example@example.com",
        datetime.date(1990, 4, 3),
    )
    assert patient.contact_consent is False
    event = AuditEvent.objects.get()
    assert (event.action, event.what, event.object_id, event.detail) == (
        "change",
        "fhir.questionnaire_response",
        str(submission.public_id),
        {"client": "Practice EHR", "created": True, "possible_match": False},
    )


def test_post_retried_with_the_same_identifier_stores_one_submission(client, writer):
    first = _post(client, writer, _payload())
    again = _post(client, writer, _payload())
    assert (first.status_code, again.status_code) == (201, 200)
    assert parsed(again, RiskAssessment) == parsed(first, RiskAssessment)
    assert Submission.objects.count() == 1
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "change",
        "export",
    ]


def test_same_identifier_from_another_client_or_no_identifier_is_a_new_submission(client, writer):
    other = _token("Other EHR", scopes=("write",))
    assert _post(client, writer, _payload()).status_code == 201
    assert _post(client, other, _payload()).status_code == 201
    assert _post(client, writer, _payload(identifier=None)).status_code == 201
    assert _post(client, writer, _payload(identifier=None)).status_code == 201
    assert Submission.objects.count() == 4
    assert Patient.objects.count() == 1


def test_post_with_red_flag_is_urgent_and_with_little_is_not_met(client, writer):
    answers = copy.deepcopy(VALID_ANSWERS)
    answers["red_flags"]["thoughts_of_self_harm"] = True
    urgent = parsed(_post(client, writer, _payload(answers, "qr-urgent")), RiskAssessment)
    assert urgent.prediction[0].qualitativeRisk.coding[0].code == "urgent"
    little = parsed(_post(client, writer, _payload({"age_years": 35}, "qr-2")), RiskAssessment)
    assert little.prediction[0].qualitativeRisk.coding[0].code == "no_flag"
    assert little.prediction[0].outcome.coding[0].code == "test_criteria_not_met"


def test_post_for_an_existing_patient_changes_nothing_and_is_a_possible_match(client, writer):
    existing = PatientFactory(
        full_name="Ann Original",
        email="ann.example@example.com",
        date_of_birth=datetime.date(1990, 4, 3),
        contact_consent=True,
        phone="01632 960 001",
        language="es",
    )
    assert _post(client, writer, _payload()).status_code == 201
    existing.refresh_from_db()
    assert (existing.full_name, existing.contact_consent, existing.phone, existing.language) == (
        "Ann Original",
        True,
        "01632 960 001",
        "es",
    )
    submission = Submission.objects.get()
    assert submission.patient == existing
    assert submission.identity_status == "possible_match"
    # What the EHR sent stays with the submission; it says nothing of email contact.
    assert (submission.given_full_name, submission.given_phone) == ("Ann Example", "")
    assert submission.given_contact_consent is None
    event = AuditEvent.objects.get()
    assert event.detail == {"client": "Practice EHR", "created": True, "possible_match": True}


def test_post_is_csrf_exempt(writer):
    strict = Client(enforce_csrf_checks=True)
    assert _post(strict, writer, _payload()).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"resourceType": "Patient"}),
        json.dumps({"resourceType": "QuestionnaireResponse"}),
        json.dumps({**_payload(), "colour": "blue"}),
        json.dumps(
            {
                **_payload(),
                "item": [
                    {"linkId": "age_years", "answer": [{"valueInteger": 35, "valueString": "35"}]}
                ],
            }
        ),
    ],
)
def test_post_of_invalid_fhir_is_400_and_stores_nothing(client, writer, body):
    response = _post(client, writer, body)
    assert response.status_code == 400
    issues = outcome(response)
    assert issues
    assert {code for code, _diagnostics, _expression in issues} == {"structure"}
    assert Submission.objects.count() == 0


def test_post_of_a_lab_dated_after_today_is_400_naming_the_key(client, writer, frozen_day):
    """clinical.md E4: a 2062 result would be the most recent and hide the older low one;
    the day of screening is today in the clinic's time zone."""
    answers = copy.deepcopy(VALID_ANSWERS)
    answers["labs"] = [
        {"test": "total_b12", "value": 150, "unit": "ng/L", "date": "2025-01-01"},
        {"test": "total_b12", "value": 400, "unit": "ng/L", "date": "2062-01-01"},
    ]
    response = _post(client, writer, _payload(answers))
    assert response.status_code == 400
    assert outcome(response) == [
        (
            "invalid",
            "labs[1].date: must not be after the day of screening (2025-06-15)",
            ["labs[1].date"],
        )
    ]
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("value", [1.5e308, 1_000_000], ids=["overflows-as-ng", "at-the-bound"])
def test_post_of_a_lab_value_at_or_above_the_contract_bound_is_400(client, writer, value):
    """contract.LAB_VALUE_MAX, the bound on every path (1.5e308 pmol/L would overflow at the
    ng/L conversion)."""
    answers = copy.deepcopy(VALID_ANSWERS)
    answers["labs"] = [
        {"test": "total_b12", "value": value, "unit": "pmol/L", "date": "2025-01-01"}
    ]
    response = _post(client, writer, _payload(answers))
    assert response.status_code == 400
    assert outcome(response) == [
        ("invalid", "labs[0].value: must be less than 1,000,000", ["labs[0].value"])
    ]
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("content_type", ["application/fhir+json", "application/json"])
def test_post_of_json_nested_2000_levels_deep_is_400_operation_outcome(
    client, writer, content_type
):
    body = '{"resourceType": "QuestionnaireResponse", "x": ' + "[" * 2000 + "]" * 2000 + "}"
    response = _post(client, writer, body, content_type=content_type)
    assert response.status_code == 400
    ((code, diagnostics, _expression),) = outcome(response)
    assert code == "structure"
    assert "recursion limit exceeded" in diagnostics
    assert Submission.objects.count() == 0


def test_post_of_a_10_mb_body_is_413_operation_outcome(client, writer, settings):
    """Was Django's HTML 400 page (RequestDataTooBig); an EHR gets an OperationOutcome."""
    body = json.dumps({**_payload(), "text": {"status": "generated", "div": "a" * 10_000_000}})
    response = _post(client, writer, body)
    assert response.status_code == 413
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert outcome(response) == [("too-costly", f"The body is larger than {limit:,} bytes", None)]
    assert Submission.objects.count() == 0


def test_post_of_invalid_answers_lists_each_problem_with_its_key_path(client, writer):
    answers = copy.deepcopy(VALID_ANSWERS)
    answers["symptoms"]["fatigue"]["severity"] = 5
    data = _payload(answers)
    for item in data["item"]:
        if item["linkId"] == "age_years":
            item["answer"] = [{"valueInteger": 36}]
        if item["linkId"] == "symptoms":
            fatigue = item["item"][0]
            fatigue["item"][1]["answer"] = [{"valueInteger": 11}]
    data["item"].append({"linkId": "shoe_size", "answer": [{"valueInteger": 9}]})
    data["contained"][0]["telecom"] = []
    response = _post(client, writer, data)
    assert response.status_code == 400
    assert outcome(response) == [
        (
            "invalid",
            "shoe_size: unknown question (no such linkId in the questionnaire)",
            ["shoe_size"],
        ),
        ("invalid", "symptoms.fatigue.severity: must be 0-10", ["symptoms.fatigue.severity"]),
        (
            "invalid",
            "Patient.telecom: an email address is required",
            ["Patient.telecom"],
        ),
        (
            "invalid",
            "age_years: does not match Patient.birthDate (age 35 on 2025-06-15)",
            ["age_years"],
        ),
    ]
    assert Submission.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_post_refuses_what_the_database_cannot_hold(client, writer):
    answers = copy.deepcopy(VALID_ANSWERS)
    answers["labs"][1]["value"] = 10**12
    data = _payload(answers)
    data["contained"][0]["telecom"] = [{"system": "email", "value": "a" * 250 + "@example.com"}]
    response = _post(client, writer, data)
    assert response.status_code == 400
    assert [expression for _code, _diagnostics, expression in outcome(response)] == [
        ["labs[1].value"],
        ["Patient.telecom"],
    ]
    assert Submission.objects.count() == 0


def test_post_with_an_authored_instant_at_the_edge_of_time_is_not_a_500(client, writer):
    response = _post(client, writer, _payload(authored="0001-01-01T00:00:00+05:00"))
    assert response.status_code == 400
    assert outcome(response)[0][2] == ["age_years"]


def test_post_must_answer_the_published_questionnaire_and_be_complete(client, writer):
    data = _payload(questionnaire=f"{fhir_questionnaire.QUESTIONNAIRE_URL}|0", status="in-progress")
    response = _post(client, writer, data)
    assert response.status_code == 400
    assert [expression for _code, _diagnostics, expression in outcome(response)] == [
        ["questionnaire"],
        ["status"],
    ]
    assert Submission.objects.count() == 0


def test_post_needs_a_write_token_and_fhir_json(client, writer):
    reader = _token("Reader")
    response = _post(client, reader, _payload())
    assert response.status_code == 403
    assert outcome(response) == [("forbidden", "This client's token lacks the 'write' scope", None)]
    response = client.post(POST_URL, json.dumps(_payload()), content_type="application/json")
    assert response.status_code == 401
    response = _post(
        client, writer, "age_years=35", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert client.get(POST_URL, **_auth(writer)).status_code == 405
    assert Submission.objects.count() == 0
