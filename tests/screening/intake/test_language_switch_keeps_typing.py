"""Switching language on a question page keeps what was typed on it, without JavaScript:
the buttons send the page's form with `switch_language`; the values are kept unchecked
in the draft and shown again, with no error, in the other language."""

from __future__ import annotations

import re

from django.conf import settings

from screening.intake import typed
from tests.conftest import STEP_URLS, VALID_PAGES

ABOUT_YOU = STEP_URLS["about-you"]


def _switch(journey, url: str, language: str, data: dict):
    return journey.post(url, {**data, typed.SWITCH_FIELD: language})


def test_question_page_buttons_send_the_page_form(journey):
    journey.consent()
    page = journey.get(ABOUT_YOU).content.decode()
    assert '<form id="question-form"' in page
    assert re.search(
        r'<button type="submit" form="question-form" name="switch_language" value="es"', page
    )
    # Enter in a field sends the form as Continue: the first button of the form in the page.
    first = re.search(r'<button[^>]*form="question-form"[^>]*>', page).group(0)
    assert "switch_language" not in first
    assert 'tabindex="-1"' in first
    assert 'aria-hidden="true"' in first


def test_switching_keeps_what_was_typed_and_shows_no_error(journey):
    journey.consent()
    typed_in = {"full_name": "Ana Ejemplo", "email": "ana@", "dob_day": "3", "sex": "female"}

    response = _switch(journey, ABOUT_YOU, "es", typed_in)

    assert response.status_code == 302
    assert response["Location"] == ABOUT_YOU
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    draft = journey.client.session["intake"]
    assert "about-you" not in draft["steps"]  # not sent: nothing checked or counted
    page = journey.get(ABOUT_YOU).content.decode()
    assert '<html lang="es">' in page
    assert 'value="Ana Ejemplo"' in page
    assert 'value="ana@"' in page
    assert re.search(r'value="female"[^>]*checked', page)
    assert "Hay un problema" not in page
    assert "is-invalid" not in page


def test_sending_the_page_afterwards_checks_it_and_drops_the_kept_copy(journey):
    journey.consent()
    _switch(journey, ABOUT_YOU, "es", {"full_name": "Ana", "email": "ana@"})
    bad = journey.post(ABOUT_YOU, {**VALID_PAGES["about-you"], "email": "ana@"})
    assert bad.status_code == 200
    assert "Hay un problema" in bad.content.decode()

    good = journey.answer("about-you")

    assert good.status_code == 302
    assert "about-you" not in journey.client.session["intake"]["typed"]
    page = journey.get(ABOUT_YOU).content.decode()
    assert 'value="Ann Example"' in page


def test_switching_on_a_page_from_change_keeps_the_return(journey):
    journey.answer_all()
    url = STEP_URLS["risk-factors"] + "?return=check&answer=div_id_diet"
    response = _switch(journey, url, "es", {**VALID_PAGES["risk-factors"], "diet": "vegetarian"})
    assert response["Location"] == url
    page = journey.get(url).content.decode()
    assert re.search(r'value="vegetarian"[^>]*checked', page)
    assert re.search(r'value="metformin"[^>]*checked', page)  # a checklist keeps every box
    assert re.search(r'value="proton_pump_inhibitor"[^>]*checked', page)
    assert not re.search(r'value="vegan"[^>]*checked', page)
    # the answer sent before is unchanged until the page is sent
    assert journey.client.session["intake"]["steps"]["risk-factors"]["diet"] == "vegan"


def test_only_the_page_fields_are_kept_and_bounded(journey):
    journey.answer_all(until="anything-else")
    _switch(
        journey,
        STEP_URLS["anything-else"],
        "es",
        {"anything_else": "x" * 9000, "stranger": "y", "csrfmiddlewaretoken": "z"},
    )
    kept = journey.client.session["intake"]["typed"]["anything-else"]
    assert kept == {"anything_else": ["x" * typed.MAX_CHARS]}


def test_an_unknown_language_keeps_the_typing_and_the_language(journey):
    journey.consent()
    response = _switch(journey, ABOUT_YOU, "fr", {"full_name": "Ann"})
    assert response["Location"] == ABOUT_YOU
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert 'value="Ann"' in journey.get(ABOUT_YOU).content.decode()


def test_switching_without_a_draft_only_switches(client, db):
    response = client.post(ABOUT_YOU, {"full_name": "Ann", typed.SWITCH_FIELD: "es"})
    assert response["Location"] == ABOUT_YOU
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "intake" not in client.session


def test_switching_back_to_english_keeps_typing_too(journey):
    journey.consent()
    _switch(journey, ABOUT_YOU, "es", {"full_name": "Ann"})
    _switch(journey, ABOUT_YOU, "en", {"full_name": "Ann B"})
    page = journey.get(ABOUT_YOU).content.decode()
    assert '<html lang="en">' in page
    assert 'value="Ann B"' in page
