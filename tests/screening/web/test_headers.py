"""screening.web.headers: `Cache-Control: no-store` on every response the app makes, and
`Referrer-Policy: strict-origin` (the origin, never the token's path) on the pages a link
in an email opens.

The walk finds every URL pattern (the same walk as tests/screening/staff/test_url_permissions.py)
and asks each for a GET and a POST: anonymously, as a verified clinician (a patient and
a submission exist under the walk's object id, so staff pages show patient data) and, for
the admin, as a verified superuser. Every answer, a page, a redirect, a refusal or an
error page, must say `no-store`. Nothing here lists the pages: a new one is walked too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from screening.fhir.api_auth import api_client_create
from screening.intake.steps import STEPS
from screening.models import Reminder
from screening.reminders import links
from screening.reminders.unsubscribe import unsubscribe_url
from screening.web import headers
from tests.conftest import STEP_URLS, VALID_PAGES
from tests.factories import (
    IntakeDraftFactory,
    PatientFactory,
    ReminderFactory,
    SubmissionFactory,
)
from tests.screening.staff import test_url_permissions as url_walk

pytestmark = pytest.mark.django_db

ROUTES = url_walk.ROUTES
ADMIN_ROUTES = url_walk.ADMIN_ROUTES
OTHER_ROUTES = [route for route in ROUTES if route not in ADMIN_ROUTES]
# The pages a link in an email opens: their URL carries the link's signed token.
EMAIL_LINK_ROUTES = [route for route in ROUTES if route.name in headers.EMAIL_LINK_PAGES]


def ids(routes) -> list[str]:
    return [route.path for route in routes]


@pytest.fixture(autouse=True)
def objects(db):
    """A patient and a submission under the walk's object id, as the permission walk has."""
    return SubmissionFactory(
        public_id=url_walk.OBJECT_UUID, patient__public_id=url_walk.OBJECT_UUID
    )


def _directives(response) -> set[str]:
    return {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",")}


def assert_no_store(response, what: str) -> None:
    assert "no-store" in _directives(response), f"{what}: {response.status_code}"


def answers_without_no_store(client: Client, routes) -> list[str]:
    """GET and POST each route; the answers without `no-store`. Sign-out pages come last,
    so the client stays signed in for the others."""
    missing = []
    for route in sorted(routes, key=lambda route: "logout" in route.name):
        for method in ("get", "post"):
            response = getattr(client, method)(route.path)
            directives = _directives(response)
            if "no-store" not in directives:
                missing.append(f"{method.upper()} {route}: {response.status_code} {directives}")
    return missing


# --- the walk -------------------------------------------------------------------------


def test_the_walk_covers_every_namespace_with_patient_data():
    namespaces = {route.name.split(":")[0] for route in ROUTES if ":" in route.name}
    assert namespaces >= {"screening", "reminders", "staff", "staff_account", "admin", "fhir"}
    assert {step.url() for step in STEPS} <= {route.path for route in ROUTES}


def test_every_page_says_no_store_to_anyone(client, clinician_client):
    assert len(OTHER_ROUTES) > 40
    assert answers_without_no_store(client, OTHER_ROUTES) == []
    assert answers_without_no_store(clinician_client, OTHER_ROUTES) == []


def test_every_admin_page_says_no_store(client, admin_client):
    assert len(ADMIN_ROUTES) > 20
    assert answers_without_no_store(client, ADMIN_ROUTES) == []
    assert answers_without_no_store(admin_client, ADMIN_ROUTES) == []


def test_an_unknown_address_says_no_store(client):
    assert_no_store(client.get("/no/such/page/"), "404")


# --- pages that show patient data, answered with their data ----------------------------


def test_the_intake_pages_with_answers_say_no_store(journey):
    journey.consent()
    for slug, url in STEP_URLS.items():
        assert_no_store(journey.get(url), url)
        response = journey.post(url, VALID_PAGES[slug])
        assert response.status_code == 302, url
        assert_no_store(response, url)
    check = journey.get("/intake/check/")
    assert "Ann Example" in check.content.decode()
    assert_no_store(check, "check your answers")
    done = journey.submit()
    assert_no_store(done, "send")
    assert_no_store(journey.get("/intake/done/"), "done")


def test_staff_pages_with_patient_data_say_no_store(clinician_client):
    submission = SubmissionFactory(patient=PatientFactory(full_name="Bea Example"))
    for url in (
        "/staff/",
        f"/staff/submissions/{submission.public_id}/",
        f"/staff/patients/{submission.patient.public_id}/",
        f"/fhir/staff/submissions/{submission.public_id}/bundle.json",
    ):
        response = clinician_client.get(url)
        assert response.status_code == 200, url
        assert_no_store(response, url)


def test_the_fhir_pull_with_patient_data_says_no_store(client):
    SubmissionFactory(
        status="reviewed",
        status_changed_at=timezone.now(),
        patient=PatientFactory(full_name="Cy Example"),
    )
    _client, token = api_client_create(name="Practice EHR", scopes=["read"])

    response = client.get(
        "/fhir/Bundle", {"_since": "2000-01-01T00:00:00Z"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 200
    assert "Cy Example" in response.content.decode()
    assert_no_store(response, "GET /fhir/Bundle")


# --- Referrer-Policy on pages opened from emails ---------------------------------------


def test_every_route_with_a_token_is_an_email_link_page():
    """A new page whose URL carries a token from an email must be in EMAIL_LINK_PAGES."""
    with_token = {
        route.name for route in ROUTES if "token" in get_resolver().resolve(route.path).kwargs
    }
    assert with_token == set(headers.EMAIL_LINK_PAGES)
    assert {route.name for route in EMAIL_LINK_ROUTES} == set(headers.EMAIL_LINK_PAGES)


@pytest.mark.parametrize("route", EMAIL_LINK_ROUTES, ids=ids(EMAIL_LINK_ROUTES))
def test_an_email_link_that_does_not_work_sends_no_referrer(client, route):
    for method in ("get", "post"):
        response = getattr(client, method)(route.path)
        assert response["Referrer-Policy"] == "strict-origin", (method, route)


def _email_link_pages() -> dict[str, str]:
    follow_up = ReminderFactory(kind=Reminder.Kind.FOLLOW_UP, submission=SubmissionFactory())
    draft = IntakeDraftFactory()
    resume = ReminderFactory(kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=draft)
    token = links.reminder_link_token(follow_up)
    return {
        "follow-up": f"/follow-up/{token}/",
        "resume": f"/intake/resume/{links.reminder_link_token(resume)}/",
        "unsubscribe": urlsplit(unsubscribe_url(follow_up)).path,
    }


def test_pages_opened_from_an_email_send_no_referrer(client):
    for what, url in _email_link_pages().items():
        response = client.get(url)
        assert response.status_code == 200, what
        assert response["Referrer-Policy"] == "strict-origin", what
        assert_no_store(response, what)


def test_other_pages_keep_same_origin(client, clinician_client):
    assert client.get("/").get("Referrer-Policy") == "same-origin"
    assert client.get(STEP_URLS["about-you"]).get("Referrer-Policy") == "same-origin"
    assert clinician_client.get("/staff/").get("Referrer-Policy") == "same-origin"
