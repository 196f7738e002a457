"""Hostile text in every free-text field comes back inert on every page that shows it:
HTML-escaped on the patient and staff pages and in the admin, never a `javascript:` link,
never evaluated as a template, and a plain, correctly quoted cell in the CSV export.

Free-text fields: the patient's name and email (a quoted local part may hold almost
anything), the clinician's review note, the lab form's fields, the split form's details,
the queue's search box, a merge reference, and an SMTP error kept on a failed reminder."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.utils.html import escape

from screening.models import AuditEvent, Patient, Reminder, Submission
from tests.conftest import CHECK_URL, DONE_URL, VALID_PAGES
from tests.factories import ReminderFactory, SubmissionFactory
from tests.security.support import XSS_PAYLOADS

# Email addresses the intake accepts that carry a payload in the local part.
EMAIL_PAYLOADS = [
    '"<script>alert(1)</script>"@example.com',
    '"</textarea><b>x</b>"@example.com',
    '"javascript:alert(1)"@example.com',
    "{{7*7}}@example.com",
]
JAVASCRIPT_URL = re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The right-to-left override is not markup: escaping leaves it, so it is tested apart.
MARKUP_PAYLOADS = [payload for payload in XSS_PAYLOADS if "\u202e" not in payload]


def assert_inert(html: str, text: str) -> None:
    """`text` is shown escaped, never raw, and nothing on the page is a javascript: URL."""
    escaped = escape(text)
    assert escaped in html, f"{text!r} is not shown"
    if escaped != text:
        assert text not in html, f"{text!r} is shown raw"
    assert not JAVASCRIPT_URL.search(html)
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html


def assert_absent(html: str, text: str) -> None:
    assert text not in html
    assert escape(text) not in html


def _send(journey, **about_you):
    """Answer every page, with "About you" changed by `about_you`; the journey."""
    journey.answer_all()
    journey.answer("about-you", **about_you)
    return journey


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def staff_pages(clinician_client, receptionist_client):
    """Every staff page that shows a patient: (name, html) pairs for one submission."""

    def pages(submission: Submission, search: str) -> list[tuple[str, str]]:
        patient = submission.patient
        record = f"/staff/submissions/{submission.public_id}/"
        patient_url = f"/staff/patients/{patient.public_id}/"
        urls = {
            "queue": "/staff/",
            "search": f"/staff/?q={search}",
            "record": record,
            "decision": record + "decision/",
            "lab": record + "labs/add/",
            "patient": patient_url,
            "merge": patient_url + "merge/",
            "split": patient_url + "split/",
        }
        found = []
        for name, url in urls.items():
            response = clinician_client.get(url)
            assert response.status_code == 200, name
            found.append((name, response.content.decode()))
        found.append(("queue, receptionist", receptionist_client.get("/staff/").content.decode()))
        return found

    return pages


# --- The patient's name and email, from the intake to every page -------------------------------


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS)
def test_a_hostile_name_is_inert_everywhere(journey, staff_pages, clinician_client, payload):
    _send(journey, full_name=payload)
    assert_inert(journey.get(CHECK_URL).content.decode(), payload)
    journey.submit()
    assert_absent(journey.get(DONE_URL).content.decode(), payload)  # the reference only
    submission = Submission.objects.get()
    assert submission.patient.full_name == payload  # stored as typed

    for page, html in staff_pages(submission, search="Ann"):
        if page != "search":
            assert_inert(html, payload)

    rows = _csv_rows(clinician_client.get("/staff/export.csv"))
    assert len(rows[1]) == len(rows[0])
    cell = rows[1][1]
    assert cell == ("'" + payload if payload.startswith(FORMULA_PREFIXES) else payload)
    assert not cell.startswith(FORMULA_PREFIXES)


@pytest.mark.parametrize("email", EMAIL_PAYLOADS)
def test_a_hostile_email_is_inert_everywhere(journey, staff_pages, clinician_client, email):
    response = _send(journey, email=email).get(CHECK_URL)
    page = response.content.decode()
    assert "There is a problem" not in page  # the address was accepted
    assert_inert(page, email)
    journey.submit()
    submission = Submission.objects.get()
    stored = submission.patient.email
    assert stored == email.lower()

    for page_name, html in staff_pages(submission, search="Ann"):
        if page_name not in ("search", "decision", "lab"):
            assert_inert(html, stored)

    rows = _csv_rows(clinician_client.get("/staff/export.csv"))
    assert rows[1][2] == stored
    assert len(rows[1]) == len(rows[0])


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS)
def test_the_search_box_echoes_a_hostile_search_escaped(clinician_client, payload):
    SubmissionFactory()
    response = clinician_client.get("/staff/", {"q": payload})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{escape(payload)}"' in html
    assert not JAVASCRIPT_URL.search(html)
    # The export link carries the search URL-encoded, so it cannot close its attribute.
    link = re.search(r'href="(/staff/export\.csv\?[^"]*)"', html).group(1)
    assert "<" not in link and '"' not in unescape(link).split("?", 1)[1]


# --- Staff free text ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS)
def test_a_hostile_review_note_is_inert_on_the_record_and_in_the_form(clinician_client, payload):
    submission = SubmissionFactory(status=Submission.Status.IN_REVIEW)
    url = f"/staff/submissions/{submission.public_id}/decision/"

    invalid = clinician_client.post(url, {"note": payload})  # no outcome: the form again
    assert invalid.status_code == 200
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", invalid.content.decode(), re.S)
    assert textarea.group(1).strip() == escape(payload)

    clinician_client.post(url, {"note": payload, "outcomes": ["no_action"]})
    record = clinician_client.get(f"/staff/submissions/{submission.public_id}/")
    assert submission.reviews.get().note == payload
    assert_inert(record.content.decode(), payload)


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS)
def test_hostile_lab_fields_come_back_escaped_in_the_form(clinician_client, payload):
    submission = SubmissionFactory()
    url = f"/staff/submissions/{submission.public_id}/labs/add/"

    response = clinician_client.post(
        url, {"test": payload, "value": payload, "unit": payload, "date": payload}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="value" value="{escape(payload)}"' in html
    assert f'name="date" value="{escape(payload)}"' in html
    assert not JAVASCRIPT_URL.search(html)
    assert payload not in html or escape(payload) == payload
    assert submission.lab_results.count() == 0


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS)
def test_hostile_split_details_are_inert_on_confirm_and_on_the_new_record(
    clinician_client, payload
):
    first = SubmissionFactory()
    SubmissionFactory(patient=first.patient)
    url = f"/staff/patients/{first.patient.public_id}/split/"
    phone = payload[:30]
    details = {
        "submissions": [str(first.public_id)],
        "full_name": payload,
        "email": "other.person@example.com",
        "phone": phone,
        "date_of_birth": "1985-02-03",
    }

    confirm = clinician_client.post(url, details).content.decode()
    assert_inert(confirm, payload)
    assert_inert(confirm, phone)

    clinician_client.post(url, {**details, "confirm": "1"})
    new_patient = Patient.objects.get(email="other.person@example.com")
    assert (new_patient.full_name, new_patient.phone) == (payload, phone)
    page = clinician_client.get(f"/staff/patients/{new_patient.public_id}/").content.decode()
    assert_inert(page, payload)
    assert_inert(page, phone)
    rows = _csv_rows(clinician_client.get("/staff/export.csv", {"q": "other.person"}))
    assert rows[1][1:4] == [
        "'" + payload if payload.startswith(FORMULA_PREFIXES) else payload,
        "other.person@example.com",
        "'" + phone if phone.startswith(FORMULA_PREFIXES) else phone,
    ]


def test_a_hostile_merge_reference_comes_back_escaped(clinician_client):
    submission = SubmissionFactory()
    payload = '"><svg onload=x>'
    url = f"/staff/patients/{submission.patient.public_id}/merge/"
    html = clinician_client.post(url, {"reference": payload}).content.decode()
    assert f'value="{escape(payload)}"' in html
    assert payload not in html


def test_a_hostile_smtp_error_is_inert_on_the_failed_page_and_in_the_audit_admin(
    clinician_client, admin_client
):
    payload = '550 <script>alert(1)</script> "><img src=x onerror=alert(1)>'
    reminder = ReminderFactory(status=Reminder.Status.FAILED, last_error=payload)

    assert_inert(clinician_client.get("/staff/reminders/failed/").content.decode(), payload)

    clinician_client.post("/staff/reminders/failed/", {"reminder": str(reminder.public_id)})
    event = AuditEvent.objects.get(what="reminder.retry")
    assert event.detail["previous_error"] == payload
    change = admin_client.get(f"/admin/screening/auditevent/{event.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert payload not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS)
def test_the_audit_admin_search_echoes_a_hostile_search_escaped(admin_client, payload):
    response = admin_client.get("/admin/screening/auditevent/", {"q": payload})
    assert response.status_code == 200
    assert_inert(response.content.decode(), payload)


# --- The same in the patient's language ---------------------------------------------------------


def test_a_hostile_name_is_inert_on_the_spanish_check_page(journey):
    payload = XSS_PAYLOADS[1]
    journey.client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    _send(journey, full_name=payload)
    html = journey.get(CHECK_URL).content.decode()
    assert '<html lang="es">' in html
    assert_inert(html, payload)
    assert VALID_PAGES["about-you"]["full_name"] not in html


# --- Right-to-left overrides --------------------------------------------------------------------

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). Escaping leaves
# them; in a name they turn the text after it around on a staff page ("Ann<U+202E>, born
# 1 Jan 1980" reads "Ann0891 naJ 1 nrob ,"), so they are dropped when stored. The
# left-to-right and right-to-left marks (U+200E, U+200F) that names in Hebrew or Arabic
# may need are kept.
BIDI_NAME = "Ann\u202egpj.exe \u2066Ex\u2069ample \u202aq\u202c\u202bq\u202c\u202dq\u202c"
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def test_right_to_left_overrides_in_a_name_are_dropped_before_staff_see_it(
    journey, staff_pages, clinician_client
):
    _send(journey, full_name=BIDI_NAME + " \u200fx")
    journey.submit()
    submission = Submission.objects.get()

    assert submission.patient.full_name == "Anngpj.exe Example qqq \u200fx"
    for page, html in staff_pages(submission, search="Ann"):
        assert not BIDI_CONTROLS.search(html), page
    export = b"".join(clinician_client.get("/staff/export.csv").streaming_content).decode(
        "utf-8-sig"
    )
    assert not BIDI_CONTROLS.search(export)


def test_right_to_left_overrides_in_split_details_and_a_note_are_dropped(clinician_client):
    first = SubmissionFactory(status=Submission.Status.IN_REVIEW)
    SubmissionFactory(patient=first.patient)
    clinician_client.post(
        f"/staff/submissions/{first.public_id}/decision/",
        {"note": "ok \u202eevil", "outcomes": ["no_action"]},
    )
    clinician_client.post(
        f"/staff/patients/{first.patient.public_id}/split/",
        {
            "submissions": [str(first.public_id)],
            "full_name": BIDI_NAME,
            "email": "other.person@example.com",
            "phone": "\u202e01632 960 002",
            "date_of_birth": "1985-02-03",
            "confirm": "1",
        },
    )

    assert first.reviews.get().note == "ok evil"
    new_patient = Patient.objects.get(email="other.person@example.com")
    assert (new_patient.full_name, new_patient.phone) == (
        "Anngpj.exe Example qqq",
        "01632 960 002",
    )


def test_right_to_left_overrides_from_an_ehr_are_dropped(client, db, frozen_day):
    import json

    from tests.security.support import (
        CONTAINED_PATIENT,
        FHIR_JSON,
        FHIR_POST_URL,
        api_token,
        bearer,
        fhir_payload,
    )

    patient = {**CONTAINED_PATIENT, "name": [{"given": ["Ann\u202e"], "family": "Example"}]}
    response = client.post(
        FHIR_POST_URL,
        json.dumps(fhir_payload(patient=patient)),
        content_type=FHIR_JSON,
        **bearer(api_token()),
    )
    assert response.status_code == 201
    assert Patient.objects.get().full_name == "Ann Example"
