"""Before the first question the patient agrees to the use of their answers for their care
(issue 13): recorded in the draft with the privacy notice's version and the time, stored
with the submission (the urgent early store too); saying no keeps nothing and says how
else to reach the clinic. Email contact stays a separate choice ("About you")."""

from __future__ import annotations

import datetime
import re

import pytest

from screening.intake import privacy
from screening.models import IntakeDraft, Patient, Submission
from tests.conftest import (
    CHECK_URL,
    CONSENT_URL,
    DONE_URL,
    HELP_URL,
    INTAKE_MOMENT,
    STEP_URLS,
    VALID_PAGES,
    page_text,
)

DECLINED_URL = "/intake/contact-the-clinic/"


def _draft(journey) -> dict:
    return journey.client.session["intake"]


def test_start_now_leads_to_the_agreement(journey):
    page = journey.get("/").content.decode()
    assert f'href="{CONSENT_URL}" class="btn btn-success btn-lg" role="button">Start now' in page
    consent = journey.get(CONSENT_URL)
    assert consent.status_code == 200
    html = consent.content.decode()
    assert "<title>Before you start – Your clinic</title>" in html
    assert "Do you agree to the clinic using your answers for your care?" in html
    assert 'href="/privacy/"' in html
    # Asking stores nothing: no draft until the patient agrees.
    assert "intake" not in journey.client.session


@pytest.mark.parametrize("slug", list(STEP_URLS))
def test_no_question_is_asked_before_the_agreement(journey, slug):
    response = journey.get(STEP_URLS[slug])
    assert (response.status_code, response["Location"]) == (302, CONSENT_URL)
    response = journey.post(STEP_URLS[slug], VALID_PAGES[slug])
    assert (response.status_code, response["Location"]) == (302, CONSENT_URL)
    assert "intake" not in journey.client.session
    assert Submission.objects.count() == IntakeDraft.objects.count() == 0


def test_agreeing_records_the_notice_version_and_the_time(journey):
    response = journey.consent()

    assert (response.status_code, response["Location"]) == (302, STEP_URLS["about-you"])
    draft = _draft(journey)
    assert draft["care_consent"] == {
        "version": privacy.privacy_notice().version,
        "at": INTAKE_MOMENT.astimezone(datetime.UTC).isoformat(),
    }
    assert draft["steps"] == {}
    assert journey.get(STEP_URLS["about-you"]).status_code == 200


def test_the_sent_submission_stores_the_agreement(journey):
    journey.answer_all()
    assert journey.submit()["Location"] == DONE_URL

    submission = Submission.objects.get()
    assert submission.care_consent_version == privacy.privacy_notice().version
    assert submission.care_consent_version.startswith("default-")
    assert submission.care_consent_at == INTAKE_MOMENT


def test_the_urgent_early_store_records_it_too_and_the_send_keeps_the_first(journey, time_machine):
    journey.answer_all(until="urgent")
    assert journey.answer("urgent", chest_pain="yes")["Location"] == HELP_URL
    stored = Submission.objects.get()
    assert (stored.is_complete, stored.care_consent_at) == (False, INTAKE_MOMENT)

    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(minutes=20), tick=False)
    journey.answer_all()
    journey.submit()

    stored.refresh_from_db()
    assert stored.is_complete
    assert stored.care_consent_at == INTAKE_MOMENT  # when it was given, before question one
    assert stored.care_consent_version == privacy.privacy_notice().version


def test_no_choice_is_an_error_that_keeps_nothing(journey):
    response = journey.post(CONSENT_URL, {})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Before you start – Your clinic</title>" in page
    assert "There is a problem" in page
    assert 'href="#id_care_consent_0"' in page
    assert "Select yes if you agree to the clinic using your answers for your care" in page
    assert "intake" not in journey.client.session


def test_saying_no_keeps_nothing_and_says_how_to_reach_the_clinic(journey, settings):
    settings.CLINIC_PHONE = "01632 960 000"
    response = journey.post(CONSENT_URL, {"care_consent": "no"})
    assert (response.status_code, response["Location"]) == (302, DECLINED_URL)
    assert "intake" not in journey.client.session

    page = journey.get(DECLINED_URL).content.decode()
    assert "<title>You have not started the form – Your clinic</title>" in page
    assert "You said no, so we have not kept any answers." in page
    assert "To talk to the clinic about your health, call 01632 960 000." in page_text(page)
    assert '<a href="tel:01632960000" class="tel">01632 960 000</a>' in page
    assert "call 999 now" in page_text(page)
    assert Submission.objects.count() == IntakeDraft.objects.count() == Patient.objects.count() == 0


def test_without_a_clinic_phone_the_declined_page_still_says_how(journey, settings):
    settings.CLINIC_PHONE = ""
    journey.post(CONSENT_URL, {"care_consent": "no"})
    page = journey.get(DECLINED_URL).content.decode()
    assert "contact them by phone or in person" in page


def test_saying_no_later_drops_the_answers_in_the_session(journey):
    journey.answer_all(until="symptoms")
    journey.post(CONSENT_URL, {"care_consent": "no"})
    assert "intake" not in journey.client.session
    assert journey.get(STEP_URLS["symptoms"])["Location"] == CONSENT_URL


def test_agreeing_again_keeps_the_answers_and_goes_on_where_they_were(journey):
    journey.answer_all(until="symptoms")
    page = journey.get(CONSENT_URL).content.decode()
    assert re.search(r'<input[^>]*name="care_consent" value="yes"[^>]*checked', page)
    response = journey.consent()
    assert response["Location"] == STEP_URLS["symptoms"]
    assert set(_draft(journey)["steps"]) == {"about-you", "pregnancy"}


def test_a_draft_from_before_the_agreement_is_asked_for_it_first(journey):
    """A session (or a saved draft) from before this release: its answers stay, and the
    agreement comes before the next question and before sending."""
    journey.answer_all()
    session = journey.client.session
    session["intake"]["care_consent"] = None
    session.save()

    assert journey.get(STEP_URLS["symptoms"])["Location"] == CONSENT_URL
    assert journey.get(CHECK_URL)["Location"] == CONSENT_URL
    key = _draft(journey)["idempotency_key"]
    assert journey.submit(key)["Location"] == CONSENT_URL
    assert Submission.objects.count() == 0

    assert journey.consent()["Location"] == CHECK_URL  # every page answered already
    assert journey.submit(key)["Location"] == DONE_URL
    assert Submission.objects.get().care_consent_at is not None


def test_email_contact_is_still_asked_separately(journey):
    journey.consent()
    page = journey.get(STEP_URLS["about-you"]).content.decode()
    assert "Can the clinic contact you by email about your answers?" in page


def test_the_clinician_sees_when_the_patient_agreed(journey, clinician_client):
    journey.answer_all()
    journey.submit()
    submission = Submission.objects.get()
    page = clinician_client.get(f"/staff/submissions/{submission.public_id}/").content.decode()
    assert "<dt>Agreed to use for care</dt>" in page
    assert f"(privacy notice {submission.care_consent_version})" in page
    assert "15 Jun 2025 12:00" in page


def test_the_patients_export_carries_the_agreement(journey, clinician_client):
    journey.answer_all()
    journey.submit()
    submission = Submission.objects.get()
    response = clinician_client.get(f"/staff/patients/{submission.patient.public_id}/export.json")
    (exported,) = response.json()["submissions"]
    assert exported["care_consent"] == {
        "version": submission.care_consent_version,
        "at": INTAKE_MOMENT.astimezone(datetime.UTC).isoformat(),
    }
