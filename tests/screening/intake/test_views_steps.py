"""Each question page as the patient sees it: GOV.UK error pattern, answers kept."""

import re

import pytest
from django.utils.html import escape

from tests.conftest import STEP_URLS, VALID_PAGES

# One kind of bad input per page: (page, changes, field with the error, its message,
# a value typed that must still be on the page).
BAD_INPUT = [
    (
        "about-you",
        {"email": "ann@", "dob_year": "2030"},
        "email",
        "Enter an email address in the correct format, like name@example.com",
        'value="Ann Example"',
    ),
    (
        "about-you",
        {"dob_day": "32"},
        "dob_day",
        "Date of birth must be a real date",
        'value="01632 960 001"',
    ),
    (
        "pregnancy",
        {"pregnant": ""},
        "pregnant_0",
        "Select yes, no or “I'm not sure”",
        r'value="no"[^>]*checked',
    ),
    (
        "symptoms",
        {"symptoms": ["fatigue", "none"]},
        "symptoms_0",
        "Select the things you have noticed, or “None of these”, not both",
        r'value="fatigue"[^>]*checked',
    ),
    (
        "symptom-details-1",
        {"fatigue_severity": "12"},
        "fatigue_severity",
        "Tiredness or lack of energy: enter a whole number from 0 to 10",
        'value="12"',
    ),
    (
        "urgent",
        {"chest_pain": ""},
        "chest_pain_0",
        "Chest pain: select yes or no",
        r'value="no"[^>]*checked',
    ),
    (
        "risk-factors",
        {"alcohol_units_per_week": "lots"},
        "alcohol_units_per_week",
        "Enter units of alcohol as a whole number from 0 to 500",
        'value="lots"',
    ),
    (
        "blood-tests",
        {"lab1_unit": "mg"},
        "lab1_unit",
        "Blood test 1: select a unit from the list",
        'value="250"',
    ),
]


def _reach(journey, slug: str) -> None:
    journey.answer_all(until=slug)


@pytest.mark.parametrize(("slug", "changes", "field", "message", "kept"), BAD_INPUT)
def test_step_bad_input_shows_the_govuk_error_pattern(journey, slug, changes, field, message, kept):
    _reach(journey, slug)
    response = journey.answer(slug, **changes)
    page = response.content.decode()
    message = escape(message)

    assert response.status_code == 200
    assert re.search(r"<title>Error: ", page)
    summary = re.search(r'<div class="[^"]*error-summary[^"]*" role="alert".*?</div>', page, re.S)
    assert summary is not None
    assert "There is a problem" in summary.group(0)
    assert f'<a href="#id_{field}" class="alert-link">{message}</a>' in summary.group(0)
    assert f'id="id_{field}"' in page  # the link's target exists
    beside = page[summary.end() :]  # after the summary: the message beside the field
    assert f"<strong>{message}</strong>" in beside
    assert re.search(kept, page)


@pytest.mark.parametrize("slug", list(STEP_URLS))
def test_step_valid_answers_move_on(journey, slug):
    _reach(journey, slug)
    response = journey.answer(slug)
    assert response.status_code == 302
    assert response["Location"] != STEP_URLS[slug]
    assert journey.client.session["intake"]["steps"][slug]


@pytest.mark.parametrize("slug", list(STEP_URLS))
def test_step_page_without_errors_has_a_plain_title_and_no_summary(journey, slug):
    _reach(journey, slug)
    page = journey.get(STEP_URLS[slug]).content.decode()
    assert "<title>Error:" not in page
    assert "There is a problem" not in page
    form = f'<form id="question-form" method="post" action="{STEP_URLS[slug]}" novalidate>'
    assert form in page


@pytest.mark.parametrize("slug", list(STEP_URLS))
def test_step_page_keeps_earlier_answers_when_revisited(journey, slug):
    journey.answer_all()
    page = journey.get(STEP_URLS[slug]).content.decode()
    first_text_value = next(
        value if isinstance(value, str) else value[0]  # a checklist's first ticked box
        for value in VALID_PAGES[slug].values()
        if value
    )
    # An input keeps its value; a text box its text.
    assert f'value="{first_text_value}"' in page or f"{first_text_value}</textarea>" in page


def test_about_you_marks_optional_fields(journey):
    journey.consent()
    page = journey.get(STEP_URLS["about-you"]).content.decode()
    assert "Phone number (optional)" in page
    assert "Full name (optional)" not in page


def test_radio_groups_are_fieldsets_with_legends(journey):
    journey.consent()
    page = journey.get(STEP_URLS["about-you"]).content.decode()
    assert re.search(
        r"<fieldset[^>]*>\s*<legend[^>]*>\s*What sex were you registered at birth\?", page
    )
    assert re.search(r"<fieldset[^>]*>\s*<legend>Date of birth</legend>", page)


def test_severity_is_a_numeric_text_input_not_a_slider(journey):
    _reach(journey, "symptom-details-1")
    page = journey.get(STEP_URLS["symptom-details-1"]).content.decode()
    assert 'type="range"' not in page
    assert re.search(r'<input type="text" name="fatigue_severity"[^>]*inputmode="numeric"', page)


def test_symptoms_ask_fatigue_numbness_and_joint_pain_first(journey):
    _reach(journey, "symptoms")
    page = journey.get(STEP_URLS["symptoms"]).content.decode()
    order = [
        page.index(f'name="symptoms" value="{code}"')
        for code in ("fatigue", "numbness_tingling", "joint_pain", "muscle_pain_or_cramps")
    ]
    assert order == sorted(order)


def test_oversized_post_is_a_message_not_a_crash(journey):
    response = journey.answer("about-you", full_name="x" * 100_000)
    assert response.status_code == 200
    assert "Full name must be 200 characters or fewer" in response.content.decode()
