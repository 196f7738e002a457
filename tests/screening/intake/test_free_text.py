"""The patient's own words: "other medicines" next to the medicines checklist and "Anything
else you want the clinic to know?" on a page of its own. Bounded, shown on the check page
(escaped) with a Change link, stored on the submission apart from the answers, and never
read by the screening rules."""

from __future__ import annotations

import re

import pytest

from screening.domain.intake import intake_submit
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.domain.text import free_text_clean
from screening.intake import steps as intake
from screening.models import FREE_TEXT_MAX_LENGTHS, Submission
from tests.conftest import CHECK_URL, STEP_URLS, VALID_ANSWERS, VALID_PAGES, page_text

ANYTHING_ELSE = STEP_URLS["anything-else"]
RISK_FACTORS = STEP_URLS["risk-factors"]
OTHER = "Vitamin D 1000 units\nIron tablets (not sure of the name)"
NOTE = "I work nights, so mornings are hard.\nCan I have a phone call instead?"


def _sent(journey, *, other: str = OTHER, note: str = NOTE) -> Submission:
    journey.answer_all(until="risk-factors")
    journey.answer("risk-factors", other_medicines=other)
    journey.answer("blood-tests")
    journey.answer("anything-else", anything_else=note)
    journey.submit()
    return Submission.objects.get()


# --- The pages ------------------------------------------------------------------------------


def test_other_medicines_is_a_text_box_right_after_the_medicines_checklist(journey):
    journey.answer_all(until="risk-factors")
    page = journey.get(RISK_FACTORS).content.decode()
    box = re.search(r"<textarea[^>]*name=\"other_medicines\"[^>]*>", page).group()
    assert "maxlength" not in box  # the page states and checks the bound; nothing is cut
    assert 'aria-describedby="id_other_medicines_helptext"' in box
    assert "Other medicines you take (optional)" in page
    assert "You can enter up to 500 characters." in page
    assert (
        page.index('name="medicines"')
        < page.index('name="other_medicines"')
        < page.index('name="conditions"')
    )


def test_anything_else_is_its_own_page_after_blood_tests_and_before_check(journey):
    journey.answer_all(until="blood-tests")
    response = journey.answer("blood-tests")
    assert response["Location"] == ANYTHING_ELSE
    page = journey.get(ANYTHING_ELSE).content.decode()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert page_text(heading) == "Step 7 of 7. Anything else you want the clinic to know?"
    assert "Your message to the clinic (optional)" in page
    assert "You can enter up to 1,200 characters." in page
    assert "not straight away: if you feel very unwell now, get medical help today" in page
    box = re.search(r"<textarea[^>]*name=\"anything_else\"[^>]*>", page).group()
    assert "maxlength" not in box
    assert journey.answer("anything-else", anything_else="")["Location"] == CHECK_URL


def test_check_before_the_last_page_goes_to_it(journey):
    journey.answer_all(until="anything-else")
    assert journey.get(CHECK_URL)["Location"] == ANYTHING_ELSE


@pytest.mark.parametrize(
    ("slug", "field", "message"),
    [
        ("risk-factors", "other_medicines", "Other medicines must be 500 characters or fewer"),
        ("anything-else", "anything_else", "Your message must be 1,200 characters or fewer"),
    ],
)
def test_text_over_the_bound_is_refused_and_kept_for_the_patient_to_shorten(
    journey, slug, field, message
):
    journey.answer_all(until=slug)
    too_long = "a" * (FREE_TEXT_MAX_LENGTHS[field] + 1)
    response = journey.answer(slug, **{field: too_long})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert f'<a href="#id_{field}" class="alert-link">{message}</a>' in page
    assert f"{too_long}</textarea>" in page  # kept, so it can be shortened
    assert slug not in journey.client.session["intake"]["steps"]


@pytest.mark.parametrize("field", ["other_medicines", "anything_else"])
def test_text_of_exactly_the_bound_is_accepted_and_a_line_break_counts_once(journey, field):
    slug = "risk-factors" if field == "other_medicines" else "anything-else"
    journey.answer_all(until=slug)
    bound = FREE_TEXT_MAX_LENGTHS[field]
    # Browsers send a line break as CR LF: stored as one "\n", it counts one character.
    text = "a" * (bound - 11) + "\r\n" + "b" * 10
    assert journey.answer(slug, **{field: text}).status_code == 302
    assert journey.client.session["intake"]["steps"][slug][field] == text.replace("\r\n", "\n")


def test_bidi_controls_and_surrounding_space_are_dropped(journey):
    journey.answer_all(until="anything-else")
    journey.answer("anything-else", anything_else="  \u202eevil\u202c text\u2066 \n ")
    assert journey.client.session["intake"]["steps"]["anything-else"] == {
        "anything_else": "evil text"
    }


# --- Check your answers ---------------------------------------------------------------------


def test_check_page_shows_the_words_escaped_line_by_line_with_change_links(journey):
    journey.answer_all(until="risk-factors")
    journey.answer("risk-factors", other_medicines="<b>Iron</b>\nVitamin D")
    journey.answer("blood-tests")
    journey.answer("anything-else", anything_else='<script>alert("x")</script>\nCall me')
    page = journey.get(CHECK_URL).content.decode()

    assert "<script>alert" not in page
    assert "<b>Iron</b>" not in page
    assert "&lt;b&gt;Iron&lt;/b&gt;<br>Vitamin D" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>Call me" in page
    change_other = "/intake/risk-factors/?return=check&amp;answer=div_id_other_medicines"
    assert f'href="{change_other}#div_id_other_medicines"' in page
    change_else = "/intake/anything-else/?return=check&amp;answer=div_id_anything_else"
    assert f'href="{change_else}#div_id_anything_else"' in page
    assert page.index("Medicines") < page.index("Other medicines") < page.index("Conditions")
    assert page.index("Recent blood test results") < page.index("Your message to the clinic")


def test_check_page_says_not_given_for_empty_boxes(journey):
    journey.answer_all(until="anything-else")
    journey.answer("anything-else", anything_else="")
    page = journey.get(CHECK_URL).content.decode()
    rows = re.findall(
        r"<dt class=\"summary-list-key\">(Other medicines|Your message to the clinic)</dt>\s*"
        r"<dd class=\"summary-list-value\">([^<]*)</dd>",
        page,
    )
    assert rows == [("Other medicines", "Not given"), ("Your message to the clinic", "Not given")]


def test_change_link_returns_to_check_with_the_new_words(journey):
    journey.answer_all()
    response = journey.post(f"{ANYTHING_ELSE}?return=check", {"anything_else": "Changed"})
    assert response["Location"] == CHECK_URL
    assert "Changed" in journey.get(CHECK_URL).content.decode()


# --- Stored, never screened -----------------------------------------------------------------


def test_sent_intake_stores_the_words_on_the_submission_and_not_among_the_answers(journey):
    submission = _sent(journey)
    assert submission.other_medicines == OTHER
    assert submission.anything_else == NOTE
    assert submission_answers(submission=submission) == VALID_ANSWERS


def test_the_answers_for_the_engine_carry_no_free_text(journey):
    journey.answer_all(until="risk-factors")
    journey.answer("risk-factors", other_medicines=OTHER)
    journey.answer("blood-tests")
    journey.answer("anything-else", anything_else=NOTE)
    draft = intake.draft_load(journey.client.session)
    answers = intake.answers_from_steps(draft)
    assert answers == VALID_ANSWERS
    assert intake.free_text_from_steps(draft) == {"other_medicines": OTHER, "anything_else": NOTE}


def test_free_text_never_changes_the_screening_result(db, answers, patient_details, monkeypatch):
    """Words that would mean a risk factor or a red flag as answers (metformin, a vegan
    diet, chest pain) change nothing: the rules never see them."""
    from screening.engine import rules

    screened = []
    real_screen = rules.screen

    def screen_and_record(answers, **kwargs):
        screened.append(answers)
        return real_screen(answers, **kwargs)

    monkeypatch.setattr(rules, "screen", screen_and_record)
    answers.update(medicines=[], diet="omnivore")
    plain = intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key="a", language="en"
    )
    worded = intake_submit(
        answers=answers,
        patient_details=patient_details,
        idempotency_key="b",
        language="en",
        free_text={
            "other_medicines": "metformin, omeprazole",
            "anything_else": "I am vegan. Crushing chest pain now. Pernicious anaemia.",
        },
    )
    first, second = (submission_current_result(submission=s) for s in (plain, worded))
    assert (first.level, first.reasons, first.possible_b12_deficiency) == (
        second.level,
        second.reasons,
        second.possible_b12_deficiency,
    )
    assert worded.other_medicines == "metformin, omeprazole"
    assert len(screened) == 2
    for given in screened:
        assert not {"other_medicines", "anything_else"} & set(given)
        assert "metformin" not in repr(given)


def test_red_flag_store_keeps_the_words_given_so_far(journey):
    """A red flag answered on its way back from check (the urgent page's Change link) stores
    the intake at once, the words already given with it."""
    journey.answer_all(until="risk-factors")
    journey.answer("risk-factors", other_medicines=OTHER)
    journey.answer("blood-tests")
    journey.answer("anything-else", anything_else=NOTE)
    journey.post(
        f"{STEP_URLS['urgent']}?return=check", {**VALID_PAGES["urgent"], "chest_pain": "yes"}
    )
    urgent = Submission.objects.get()
    assert urgent.is_complete is False
    assert (urgent.other_medicines, urgent.anything_else) == (OTHER, NOTE)


def test_words_changed_after_the_red_flag_store_are_what_the_sent_intake_keeps(journey):
    journey.answer_all(until="urgent")
    journey.answer("urgent", chest_pain="yes")
    assert Submission.objects.get().other_medicines == ""
    journey.answer("risk-factors", other_medicines=OTHER)
    journey.answer("blood-tests")
    journey.answer("anything-else", anything_else=NOTE)
    journey.submit()
    submission = Submission.objects.get()
    assert submission.is_complete
    assert (submission.other_medicines, submission.anything_else) == (OTHER, NOTE)


# --- As stored ------------------------------------------------------------------------------


def test_free_text_clean_strips_bidi_controls_and_normalises_line_breaks():
    assert free_text_clean({"anything_else": " a\u202eb\r\nc\rd\x00 "}) == {
        "other_medicines": "",
        "anything_else": "ab\nc\nd",
    }
    assert free_text_clean(None) == {"other_medicines": "", "anything_else": ""}


def test_free_text_clean_refuses_unknown_fields_and_text_over_the_bound():
    with pytest.raises(ValueError, match="Not a free-text field: notes"):
        free_text_clean({"notes": "x"})
    with pytest.raises(ValueError, match="other_medicines: at most 500 characters"):
        free_text_clean({"other_medicines": "x" * 501})


# --- In Spanish ------------------------------------------------------------------------------


def test_the_boxes_and_their_messages_in_spanish(journey, settings):
    journey.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    journey.answer_all(until="risk-factors")
    page = journey.get(RISK_FACTORS).content.decode()
    assert "Otros medicamentos que toma (opcional)" in page
    assert "Puede escribir hasta 500 caracteres." in page
    page = journey.answer("risk-factors", other_medicines="x" * 501).content.decode()
    assert "El texto sobre otros medicamentos debe tener 500 caracteres o menos" in page
    journey.answer("risk-factors", other_medicines=OTHER)
    journey.answer("blood-tests")
    page = journey.get(ANYTHING_ELSE).content.decode()
    assert "¿Hay algo más que quiera que sepa la clínica?" in page
    assert "Puede escribir hasta 1\xa0200 caracteres." in page  # Spanish groups with a space
    page = journey.answer("anything-else", anything_else="x" * 1201).content.decode()
    assert "Su mensaje debe tener 1\xa0200 caracteres o menos" in page
    journey.answer("anything-else", anything_else=NOTE)
    page = journey.get(CHECK_URL).content.decode()
    assert "Otros medicamentos" in page
    assert "Su mensaje para la clínica" in page
    assert "Vitamin D 1000 units<br>Iron tablets" in page
