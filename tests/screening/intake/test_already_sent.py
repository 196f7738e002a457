"""After sending, a question page or the check page opened again (the browser's Back
button: every page is `no-store`, so Back asks the server) says the form was sent, with
its reference, and offers a new form for someone else; it never starts a new form."""

from __future__ import annotations

import pytest
from django.conf import settings

from screening.models import Submission
from tests.conftest import CHECK_URL, CONSENT_URL, STEP_URLS, page_text


@pytest.fixture
def sent(journey):
    journey.answer_all()
    journey.submit()
    return Submission.objects.get()


@pytest.mark.parametrize("url", [*STEP_URLS.values(), CHECK_URL])
def test_back_after_sending_says_already_sent_with_the_reference(journey, sent, url):
    response = journey.get(url)
    text = page_text(response.content.decode())
    assert response.status_code == 200
    assert "You have already sent this form" in text
    assert f"Your reference is {sent.reference}." in text
    assert 'href="/">Start a new form for someone else</a>' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert Submission.objects.count() == 1


def test_already_sent_in_spanish(journey, sent):
    journey.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    text = page_text(journey.get(CHECK_URL).content.decode())
    assert "Ya ha enviado este formulario" in text
    assert "Empezar un formulario nuevo para otra persona" in text


def test_a_stale_question_page_posted_after_sending_says_already_sent(journey, sent):
    response = journey.post(STEP_URLS["anything-else"], {"anything_else": "more"})
    assert "You have already sent this form" in page_text(response.content.decode())
    assert Submission.objects.count() == 1


def test_a_new_form_after_sending_is_asked_as_usual(journey, sent):
    journey.consent()
    response = journey.get(STEP_URLS["about-you"])
    assert response.status_code == 200
    assert "You have already sent this form" not in response.content.decode()


def test_without_sending_the_pages_still_go_to_the_agreement(client, db):
    assert client.get(STEP_URLS["symptoms"])["Location"] == CONSENT_URL
    assert client.get(CHECK_URL)["Location"] == "/"


def test_sending_again_from_the_old_check_page_still_shows_the_same_confirmation(journey, sent):
    key = journey.client.session["intake_done"]["idempotency_key"]
    response = journey.submit(key)
    assert response["Location"] == "/intake/done/"
    assert Submission.objects.count() == 1
