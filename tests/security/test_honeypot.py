"""The spam honeypot (screening.intake.honeypot) on "About you" and the final send: people never
meet it; a form that fills it in gets a neutral page and nothing is stored."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.conf import settings

from screening.models import IntakeDraft, Submission
from tests.conftest import CHECK_URL, STEP_URLS, VALID_PAGES

ABOUT_YOU = STEP_URLS["about-you"]
HONEYPOT = (
    '<div class="hp-field" aria-hidden="true">\n'
    '  <label for="id_website">Leave this empty</label>\n'
    '  <input type="text" name="website" id="id_website" value="" tabindex="-1" '
    'autocomplete="off">\n'
    "</div>"
)


def test_about_you_and_check_your_answers_carry_the_field(journey):
    journey.consent()
    assert journey.get(ABOUT_YOU).content.decode().count(HONEYPOT) == 1
    journey.answer_all()
    assert journey.get(CHECK_URL).content.decode().count(HONEYPOT) == 1


def test_the_other_pages_do_not(journey):
    journey.answer_all()
    for slug in (
        "pregnancy",
        "symptoms",
        "symptom-details-1",
        "urgent",
        "risk-factors",
        "blood-tests",
        "anything-else",
    ):
        assert 'name="website"' not in journey.get(STEP_URLS[slug]).content.decode(), slug


def test_the_field_is_hidden_by_a_class_off_screen_not_by_display_none():
    css = Path(settings.BASE_DIR, "static/css/site.css").read_text()
    rule = re.search(r"\.hp-field \{([^}]*)\}", css).group(1)
    declarations = {line.strip() for line in rule.strip().splitlines()}
    assert declarations == {
        "position: absolute;",
        "left: -10000px;",
        "width: 1px;",
        "height: 1px;",
        "overflow: hidden;",
    }


def test_the_label_is_translated(journey):
    journey.consent()
    page = journey.client.get(ABOUT_YOU, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<label for="id_website">Deje esto en blanco</label>' in page


def test_an_empty_field_lets_the_patient_through(journey):
    assert journey.answer("about-you", website="").status_code == 302
    journey.answer_all()
    response = journey.post(
        CHECK_URL, {"idempotency_key": journey.idempotency_key(), "website": ""}
    )
    assert response["Location"] == "/intake/done/"
    assert Submission.objects.count() == 1


def test_about_you_with_the_field_filled_gets_a_neutral_page_and_keeps_nothing(journey, caplog):
    with caplog.at_level(logging.INFO):
        response = journey.answer("about-you", website="http://spam.example")

    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Your form could not be sent – Your clinic</title>" in page
    assert "Something in the form stopped it from being sent, and nothing was saved." in page
    assert 'href="/"' in page
    assert "Ann Example" not in page
    # The session holds the agreement given before the question, and no answer.
    assert journey.client.session["intake"]["steps"] == {}
    assert IntakeDraft.objects.count() == 0
    warnings = [r.getMessage() for r in caplog.records if r.name == "screening.intake.honeypot"]
    assert warnings == [
        "Honeypot: a form was sent with the hidden field filled in (page "
        "screening:about_you); nothing stored"
    ]
    for personal in ("Ann", "example.com", "01632", "1990", "spam.example"):
        assert personal not in caplog.text


def test_the_send_with_the_field_filled_stores_no_submission(journey):
    journey.answer_all()
    key = journey.idempotency_key()

    response = journey.post(CHECK_URL, {"idempotency_key": key, "website": "buy now"})

    assert response.status_code == 400
    assert Submission.objects.count() == 0
    assert journey.submit(key)["Location"] == "/intake/done/"  # a person can still send
    assert Submission.objects.count() == 1


def test_a_bot_posting_the_field_to_another_page_stores_nothing_either(journey):
    journey.answer_all(until="urgent")
    red_flag = {**VALID_PAGES["urgent"], "chest_pain": "yes", "website": "x"}

    response = journey.post(STEP_URLS["urgent"], red_flag)

    assert response.status_code == 400
    assert Submission.objects.count() == 0  # a red flag would have stored one at once


def test_any_value_of_a_repeated_field_counts(journey):
    response = journey.post(ABOUT_YOU, {**VALID_PAGES["about-you"], "website": ["", "x"]})
    assert response.status_code == 400
