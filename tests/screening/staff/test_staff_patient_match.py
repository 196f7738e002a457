"""A possible match on the staff pages (docs/dashboard.md, "Matching patients"): the
record and the intake's details side by side, the clinician's confirmation (the details
they choose) or split, and the tags in the queue and on the patient page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from screening.domain.intake import intake_submit
from screening.models import AuditEvent, Patient, Submission
from tests.conftest import _staff_user, signed_in

pytestmark = pytest.mark.django_db


def _submit(answers, details, key, language="en"):
    return intake_submit(
        answers=answers, patient_details=details, idempotency_key=key, language=language
    )


@pytest.fixture
def match(answers, patient_details, frozen_day) -> Submission:
    """Ann's record and an intake with her email and date of birth that gave another
    name and phone, no email contact, in Spanish."""
    _submit(answers, patient_details, key="one")
    other = {
        **patient_details,
        "full_name": "Someone Else",
        "phone": "07700 900 999",
        "contact_consent": False,
    }
    return _submit(answers, other, key="two", language="es")


def match_url(submission: Submission) -> str:
    return f"/staff/submissions/{submission.public_id}/match/"


def test_the_record_page_shows_a_possible_match_side_by_side(clinician_client, match):
    page = clinician_client.get(f"/staff/submissions/{match.public_id}/").content.decode()
    assert "Possible match: not yet confirmed" in page
    assert "Someone Else" in page and "Ann Example" in page
    assert "07700 900 999" in page and "01632 960 001" in page
    assert "Español" in page
    assert f'href="{match_url(match)}"' in page


def test_a_confirmed_submission_shows_no_match(clinician_client, match):
    first = Submission.objects.exclude(pk=match.pk).get()
    page = clinician_client.get(f"/staff/submissions/{first.public_id}/").content.decode()
    assert "Possible match" not in page


def test_the_queue_and_the_patient_page_tag_a_possible_match(
    clinician_client, receptionist_client, match
):
    for client in (clinician_client, receptionist_client):
        page = client.get("/staff/").content.decode()
        assert page.count("Possible match") == 1
        assert "Possible match: sent as Someone Else" in page
    page = clinician_client.get(f"/staff/patients/{match.patient.public_id}/").content.decode()
    assert page.count("Possible match") == 1


def test_the_match_page_offers_the_differing_details_and_says_consent_withdrawal_applies(
    clinician_client, match
):
    response = clinician_client.get(match_url(match))
    assert response.status_code == 200
    choices = [name for name, _label in response.context["form"].fields["apply"].choices]
    assert choices == ["full_name", "phone", "language"]
    page = response.content.decode()
    assert "withdrew consent to be contacted by email" in page
    assert f"/staff/patients/{match.patient.public_id}/split/?submission={match.public_id}" in page


def test_confirming_applies_what_the_clinician_ticked(clinician_client, clinician, match):
    response = clinician_client.post(match_url(match), {"apply": ["full_name"]})

    assert response.status_code == 302
    assert response["Location"] == f"/staff/submissions/{match.public_id}/"
    patient = Patient.objects.get()
    assert (patient.full_name, patient.phone, patient.contact_consent, patient.language) == (
        "Someone Else",
        "01632 960 001",
        False,
        "en",
    )
    match.refresh_from_db()
    assert match.identity_status == "confirmed"
    event = AuditEvent.objects.get(what="patient.match_confirm")
    assert (event.actor, event.detail["applied"]) == (clinician, ["full_name", "contact_consent"])
    # Confirmed: the page now says there is nothing to do.
    again = clinician_client.get(match_url(match))
    assert again.status_code == 302


def test_a_bad_choice_changes_nothing(clinician_client, match):
    response = clinician_client.post(match_url(match), {"apply": ["email"]})
    assert response.status_code == 200
    match.refresh_from_db()
    assert match.identity_status == "possible_match"
    assert not AuditEvent.objects.filter(what="patient.match_confirm").exists()


def test_the_match_page_needs_the_merge_permission(receptionist_client, match):
    reviewer = _staff_user("reviewer", None)
    reviewer.user_permissions.add(
        Permission.objects.get(codename="review_submission"),
        Permission.objects.get(codename="view_queue"),
    )
    reviewer_client = signed_in(Client(), reviewer)
    for client in (receptionist_client, reviewer_client):
        assert client.get(match_url(match)).status_code == 403
        assert client.post(match_url(match), {"apply": ["full_name"]}).status_code == 403
    match.refresh_from_db()
    assert match.identity_status == "possible_match"
    page = reviewer_client.get(f"/staff/submissions/{match.public_id}/").content.decode()
    assert "Possible match: not yet confirmed" in page
    assert match_url(match) not in page


def test_the_split_page_starts_with_the_match_and_its_details(clinician_client, match):
    url = f"/staff/patients/{match.patient.public_id}/split/?submission={match.public_id}"
    form = clinician_client.get(url).context["form"]
    assert form.initial["submissions"] == [str(match.public_id)]
    assert (form.initial["full_name"], form.initial["phone"]) == ("Someone Else", "07700 900 999")


def test_splitting_the_match_off_through_the_pages(clinician_client, match):
    record = match.patient
    details = {
        "submissions": [str(match.public_id)],
        "full_name": "Someone Else",
        "email": "someone@example.com",
        "phone": "07700 900 999",
        "date_of_birth": record.date_of_birth.isoformat(),
    }
    url = f"/staff/patients/{record.public_id}/split/"
    response = clinician_client.post(url, {**details, "confirm": "yes"})
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.patient != record
    assert match.identity_status == "confirmed"
    assert (match.patient.email, match.patient.contact_consent) == ("someone@example.com", False)


def test_the_decision_page_says_a_possible_match_is_unconfirmed(clinician_client, match):
    page = clinician_client.get(f"/staff/submissions/{match.public_id}/decision/")
    assert "not yet confirmed" in page.content.decode()
    assert match_url(match) in page.content.decode()
