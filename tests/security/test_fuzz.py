"""Fuzzing every public form and JSON endpoint, and the staff filters and forms, with
hypothesis: whatever is sent, the answer is never a server error.

Each test asserts status < 500 (and the test client re-raises any exception a view
raises, which fails the example too). Streaming responses (the CSV export) are read to
the end, so an error while streaming counts. The test client skips CSRF checks, which
lets the POSTs reach the views. Rate limits are off here (tests/security/test_ratelimit.py
covers them). Example counts are bounded so the module runs in well under a minute.
"""

from __future__ import annotations

import copy
import json
import os
from importlib import import_module
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from screening.intake import steps as intake
from screening.intake.forms.base import IntakeForm
from screening.models import Reminder, Submission
from screening.reminders import links, unsubscribe
from tests.conftest import CHECK_URL, STEP_URLS, VALID_PAGES, signed_in
from tests.factories import (
    IntakeDraftFactory,
    LabResultFactory,
    PatientFactory,
    ReminderFactory,
    ScreeningResultFactory,
    SubmissionFactory,
    TaskFactory,
)
from tests.security.support import (
    FHIR_JSON,
    FHIR_POST_URL,
    HOSTILE_STRINGS,
    api_token,
    bearer,
    fhir_payload,
)

# Examples per test: 50 by default (the module runs in well under a minute on an idle
# machine); FUZZ_EXAMPLES=1000 for a long run. The slowest-to-break endpoints get more.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- Strategies -----------------------------------------------------------------------------

# Any character a browser can send (no lone surrogates: they cannot be UTF-8 encoded).
CHARACTERS = st.characters(blacklist_categories=("Cs",))
short_text = st.text(CHARACTERS, max_size=40)
huge_text = st.sampled_from(["9" * 5000, "x" * 100_000, "\u202e" * 3000, "1" * 4301])
strings = st.one_of(short_text, st.sampled_from(HOSTILE_STRINGS), huge_text)
values = st.one_of(strings, st.lists(strings, max_size=3))


def _form_field_names() -> list[str]:
    names = set()
    for step in intake.STEPS:
        form: IntakeForm = step.form_class()
        names.update(form.fields)
    return sorted(names)


INTAKE_FIELDS = [*_form_field_names(), "action", "idempotency_key", "website", "return"]


def post_data(field_names: list[str]):
    """Dicts of form fields (real names mostly, some made up) to strings or lists of them."""
    keys = st.one_of(st.sampled_from(field_names), short_text.filter(bool))
    return st.dictionaries(keys, values, max_size=12)


def near_valid(valid: dict, field_names: list[str]):
    """The valid answers of a page with some fields replaced or removed: deeper paths."""
    return st.builds(
        lambda changes, removed: {
            **{key: value for key, value in valid.items() if key not in removed},
            **changes,
        },
        st.dictionaries(st.sampled_from(field_names), values, max_size=4),
        st.sets(st.sampled_from(sorted(valid) or ["none"]), max_size=3),
    )


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | strings,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(short_text, children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.INTAKE_RATE_LIMIT = "off"
    settings.FHIR_RATE_LIMIT = "off"
    settings.INTAKE_SUBMIT_RATE_LIMIT = "off"


def _client_with_session(data: dict) -> Client:
    """A new browser whose session holds a copy of `data` (a draft at some step)."""
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session.update(copy.deepcopy(data))
    session.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.fixture
def sessions(journey) -> dict[str, dict]:
    """Session data at three points of an intake: empty, after "About you", every page."""
    journey.answer("about-you")
    after_about_you = dict(journey.client.session.items())
    journey.answer_all()
    everything = dict(journey.client.session.items())
    return {"empty": {}, "about-you": after_about_you, "all": everything}


def _ok(response) -> None:
    if response.streaming:
        b"".join(response.streaming_content)
    assert response.status_code < 500, response.status_code


PATIENT_URLS = [
    "/",
    *STEP_URLS.values(),
    CHECK_URL,
    "/intake/done/",
    "/intake/saved/",
    "/intake/get-help-now/",
    "/follow-up/thank-you/",
    "/follow-up/get-help-now/",
]


# --- Patient pages --------------------------------------------------------------------------


@FUZZ
@given(
    url=st.sampled_from(PATIENT_URLS),
    state=st.sampled_from(["empty", "about-you", "all"]),
    data=post_data(INTAKE_FIELDS),
)
def test_patient_pages_survive_any_post(sessions, url, state, data):
    client = _client_with_session(sessions[state])
    _ok(client.post(url, data))


@FUZZ
@given(
    slug=st.sampled_from(list(STEP_URLS)),
    state=st.sampled_from(["about-you", "all"]),
    data=st.data(),
)
def test_question_pages_survive_near_valid_answers(sessions, slug, state, data):
    fields = sorted(intake.STEPS_BY_SLUG[slug].form_class().fields)
    posted = data.draw(near_valid(VALID_PAGES[slug], [*fields, "action"]))
    client = _client_with_session(sessions[state])
    _ok(client.post(STEP_URLS[slug], posted))
    _ok(client.get(CHECK_URL))  # whatever was kept must render
    _ok(client.post(CHECK_URL, {"idempotency_key": data.draw(strings)}))


@FUZZ
@given(
    url=st.sampled_from(PATIENT_URLS),
    query=st.dictionaries(st.sampled_from(["return", "next", "page", "q"]), strings, max_size=3),
)
def test_patient_pages_survive_any_query_string(sessions, url, query):
    client = _client_with_session(sessions["all"])
    _ok(client.get(url, query))


@FUZZ
@given(data=post_data(["language", "next"]))
def test_the_language_switch_survives_any_post(db, data):
    _ok(Client().post("/i18n/setlang/", data))


@FUZZ
@given(
    data=post_data(["username", "password", "code", "next"]),
    step=st.sampled_from(["login", "verify", "enrol", "backup-codes", "logout"]),
)
def test_staff_sign_in_pages_survive_any_post(clinician, data, step):
    """Public too: anyone can post to the sign-in pages (a password guess, a code)."""
    client = Client()
    client.post("/staff/account/login/", {"username": "clinician", "password": "wrong"})
    _ok(client.post(f"/staff/account/{step}/", data))
    _ok(client.get(f"/staff/account/{step}/", data))


# --- Links from emails ------------------------------------------------------------------------


@pytest.fixture
def real_tokens(db, frozen_day) -> list[str]:
    follow_up = ReminderFactory(kind=Reminder.Kind.FOLLOW_UP)
    resume = ReminderFactory(
        kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=IntakeDraftFactory()
    )
    return [
        links.reminder_link_token(follow_up),
        links.reminder_link_token(resume),
        unsubscribe.unsubscribe_token(follow_up),
    ]


def _mutated(tokens: list[str]):
    """A real token altered: a character replaced, cut short, or something added."""
    return st.builds(
        lambda token, position, text, how: {
            "replace": token[:position] + text + token[position + 1 :],
            "truncate": token[:position],
            "append": token + text,
        }[how],
        st.sampled_from(tokens),
        st.integers(min_value=0, max_value=80),
        short_text,
        st.sampled_from(["replace", "truncate", "append"]),
    )


TOKEN_ROUTES = [
    "/follow-up/{}/",
    "/follow-up/{}/urgent/",
    "/intake/resume/{}/",
    "/unsubscribe/{}/",
]


@FUZZ
@given(data=st.data(), route=st.sampled_from(TOKEN_ROUTES), post=post_data(INTAKE_FIELDS))
def test_token_routes_survive_any_token(real_tokens, data, route, post):
    token = data.draw(st.one_of(strings, _mutated(real_tokens)))
    url = route.format(quote(token, safe=""))
    client = Client()
    _ok(client.get(url))
    _ok(client.post(url, post))


# --- The FHIR API ---------------------------------------------------------------------------


@pytest.fixture
def reader(db) -> str:
    return api_token("Reading EHR", scopes=("read",))


@pytest.fixture
def writer(db, frozen_day) -> str:
    return api_token("Writing EHR", scopes=("write",))


@FUZZ
@given(version=strings)
def test_questionnaire_survives_any_version(db, version):
    _ok(Client().get(f"/fhir/Questionnaire/{quote(version, safe='')}"))


@FUZZ
@given(
    params=st.dictionaries(st.sampled_from(["_since", "_count", "_offset", "x"]), strings),
    with_token=st.booleans(),
)
def test_bundle_search_survives_any_parameters(reader, record, params, with_token):
    _ok(Client().get("/fhir/Bundle", params, **bearer(reader if with_token else "nope.nope")))


@FUZZ
@given(body=JSON, content_type=st.sampled_from([FHIR_JSON, "application/json", "text/plain"]))
def test_questionnaire_response_survives_any_json(writer, body, content_type):
    _ok(Client().post(FHIR_POST_URL, json.dumps(body), content_type=content_type, **bearer(writer)))


@FUZZ
@given(body=st.binary(max_size=200))
def test_questionnaire_response_survives_any_bytes(writer, body):
    _ok(Client().post(FHIR_POST_URL, body, content_type=FHIR_JSON, **bearer(writer)))


def _paths(value, prefix=()):
    """Every path into a JSON document, as tuples of keys and indexes."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


VALID_FHIR = fhir_payload(identifier=None)
FHIR_PATHS = [path for path in _paths(VALID_FHIR) if path]


def _replaced(document: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(document)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


@hypothesis_settings(FUZZ, max_examples=EXAMPLES * 5 // 2)
@given(path=st.sampled_from(FHIR_PATHS), value=JSON)
def test_questionnaire_response_survives_one_value_replaced(writer, path, value):
    body = _replaced(VALID_FHIR, path, value)
    _ok(Client().post(FHIR_POST_URL, json.dumps(body), content_type=FHIR_JSON, **bearer(writer)))


# --- Staff pages ----------------------------------------------------------------------------


@pytest.fixture
def record(db, frozen_day) -> Submission:
    """A patient with two submissions (so a split is possible), labs and results, and a
    reviewed submission of someone else (what an EHR pulls)."""
    patient = PatientFactory()
    submission = SubmissionFactory(patient=patient)
    SubmissionFactory(patient=patient)
    ScreeningResultFactory(submission=submission)
    LabResultFactory(submission=submission)
    reviewed = SubmissionFactory(
        status=Submission.Status.REVIEWED, status_changed_at=timezone.now()
    )
    ScreeningResultFactory(submission=reviewed)
    TaskFactory(submission=submission)
    return submission


QUEUE_PARAMS = ["q", "level", "status", "assignee", "submitted_from", "submitted_to", "page"]


@FUZZ
@given(params=st.dictionaries(st.sampled_from(QUEUE_PARAMS), values, max_size=7))
def test_staff_queue_and_export_survive_any_filters(clinician, receptionist, record, params):
    for user in (clinician, receptionist):
        client = signed_in(Client(), user)
        _ok(client.get("/staff/", params))
        _ok(client.get("/staff/export.csv", params))


STAFF_POSTS = {
    "submissions/{submission}/decision/": ["outcomes", "note"],
    "submissions/{submission}/labs/add/": ["test", "value", "unit", "date"],
    "submissions/{submission}/status/": ["to_status"],
    "submissions/{submission}/assign/": [],
    "patients/{patient}/merge/": ["candidate", "reference", "confirm", "target"],
    "patients/{patient}/split/": [
        "submissions",
        "full_name",
        "email",
        "phone",
        "date_of_birth",
        "confirm",
    ],
    "reminders/failed/": ["reminder"],
    "submissions/{submission}/close/": ["reason"],
    "tasks/{task}/close/": ["outcome", "note"],
    "tasks/{task}/reassign/": ["owner", "due_on"],
}


@hypothesis_settings(FUZZ, max_examples=EXAMPLES * 5 // 3)
@given(route=st.sampled_from(list(STAFF_POSTS)), data=st.data())
def test_staff_forms_survive_any_post(clinician, record, route, data):
    fields = STAFF_POSTS[route]
    posted = data.draw(post_data(fields or ["x"]))
    url = "/staff/" + route.format(
        submission=record.public_id,
        patient=record.patient.public_id,
        task=record.tasks.get().public_id,
    )
    client = signed_in(Client(), clinician)
    _ok(client.post(url, posted))
    _ok(client.get(url))
