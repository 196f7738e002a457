"""An urgent symptom answered yes: stored at once, advice first, the rest optional."""

import re

import pytest

from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.models import ScreeningResult, Submission
from tests.conftest import CHECK_URL, DONE_URL, HELP_URL, STEP_URLS, VALID_PAGES, page_text


def _answer_urgent(journey, **flags):
    journey.answer_all(until="urgent")
    return journey.answer("urgent", **flags)


def test_red_flag_stores_an_urgent_submission_at_once(journey):
    response = _answer_urgent(journey, chest_pain="yes")
    assert (response.status_code, response["Location"]) == (302, HELP_URL)

    submission = Submission.objects.get()
    assert submission.is_complete is False
    answers = submission_answers(submission=submission)
    assert set(answers) == {
        "age_years",
        "sex",
        "pregnant",
        "breastfeeding",
        "symptoms",
        "red_flags",
    }
    assert answers["red_flags"]["chest_pain"] is True
    result = submission_current_result(submission=submission)
    assert (result.level, result.red_flags) == ("urgent", ["chest_pain"])


def test_get_help_now_page_gives_advice_first_then_the_reference(journey):
    _answer_urgent(journey, chest_pain="yes")
    page = journey.get(HELP_URL).content.decode()
    reference = Submission.objects.get().reference
    text = page_text(page)
    assert "Call 999 now" in text
    assert '<a href="tel:999" class="tel">999</a>' in page
    assert f'class="reference">{reference}<' in page
    assert text.index("Call 999 now") < text.index(reference)
    assert 'href="/intake/risk-factors/"' in page
    assert "Continue with the remaining questions" in page


@pytest.mark.parametrize(
    ("flag", "advice"),
    [
        ("bladder_or_bowel_control_loss", "Go to an emergency department now"),
        ("saddle_numbness", "Go to an emergency department now"),
        ("rapidly_worsening_weakness_or_numbness", "Get checked by a doctor now"),
        ("new_difficulty_walking", "Get checked by a doctor now"),
        ("sudden_one_sided_weakness_or_speech_difficulty", "Think FAST:"),
        ("sudden_vision_loss", "Call 999 now"),
        ("chest_pain", "Call 999 now"),
        ("breathless_at_rest", "Call 999 now"),
        ("thoughts_of_self_harm", "contact Samaritans on 116 123"),
    ],
)
def test_get_help_now_advice_by_flag(journey, flag, advice):
    _answer_urgent(journey, **{flag: "yes"})
    page = journey.get(HELP_URL).content.decode()
    assert advice in page_text(page)
    assert len(re.findall(r'<section class="advice', page)) == 1


@pytest.mark.parametrize(
    "flag", ["rapidly_worsening_weakness_or_numbness", "new_difficulty_walking"]
)
def test_get_help_now_f3_f4_say_be_assessed_now_not_book(journey, flag):
    """clinical.md F3/F4: assessed now (emergency department, or the clinic's urgent line),
    not an appointment and not "today"."""
    _answer_urgent(journey, **{flag: "yes"})
    page = journey.get(HELP_URL).content.decode()
    (advice,) = re.findall(r'<section class="advice.*?</section>', page, re.S)
    advice = page_text(advice)
    assert "Go to an emergency department now, or call 111 now" in advice
    assert "Do not book an appointment" in advice
    assert "call 999" in advice
    assert "today" not in advice


def test_get_help_now_several_flags_most_urgent_first(journey):
    _answer_urgent(journey, thoughts_of_self_harm="yes", saddle_numbness="yes")
    page = journey.get(HELP_URL).content.decode()
    assert page.index("emergency department now") < page.index("mental health support")


def test_continuing_completes_the_same_submission(journey):
    _answer_urgent(journey, saddle_numbness="yes")
    reference = Submission.objects.get().reference
    assert journey.get(STEP_URLS["risk-factors"]).status_code == 200
    journey.answer("risk-factors")
    journey.answer("blood-tests")
    journey.answer("anything-else")
    response = journey.submit()
    assert response["Location"] == DONE_URL

    submission = Submission.objects.get()
    assert submission.reference == reference
    assert submission.is_complete is True
    assert submission_answers(submission=submission)["diet"] == "vegan"
    levels = list(ScreeningResult.objects.order_by("id").values_list("level", flat=True))
    assert levels == ["urgent", "urgent"]
    assert f'class="reference">{reference}<' in journey.get(DONE_URL).content.decode()


def test_leaving_after_a_red_flag_keeps_the_submission(journey):
    _answer_urgent(journey, new_difficulty_walking="yes")
    urgent = Submission.objects.get()
    journey.client.session.flush()  # the patient closes the browser
    journey.client.cookies.clear()

    journey.answer_all()  # and later fills the form in again, in a new session
    journey.submit()

    assert Submission.objects.count() == 2
    urgent.refresh_from_db()
    assert urgent.is_complete is False
    assert submission_current_result(submission=urgent).level == "urgent"
    assert Submission.objects.exclude(pk=urgent.pk).get().patient_id == urgent.patient_id


def test_urgent_answers_cannot_be_changed_after_they_were_sent(journey):
    _answer_urgent(journey, chest_pain="yes")
    assert journey.get(STEP_URLS["urgent"])["Location"] == HELP_URL
    response = journey.answer("urgent")  # all "no" now
    assert response["Location"] == HELP_URL
    assert ScreeningResult.objects.count() == 1
    assert submission_answers(submission=Submission.objects.get())["red_flags"]["chest_pain"]


def test_who_you_are_cannot_be_changed_after_a_red_flag(journey):
    _answer_urgent(journey, chest_pain="yes")
    response = journey.answer("about-you", full_name="Someone Else")
    assert response.status_code == 302
    assert response["Location"] != STEP_URLS["about-you"]
    assert journey.client.session["intake"]["steps"]["about-you"]["full_name"] == "Ann Example"


def test_check_page_after_a_red_flag_has_no_change_links_for_sent_answers(journey):
    _answer_urgent(journey, chest_pain="yes")
    journey.answer("risk-factors")
    journey.answer("blood-tests")
    journey.answer("anything-else")
    page = journey.get(CHECK_URL).content.decode()
    assert "/intake/about-you/?return=check" not in page
    assert "/intake/urgent/?return=check" not in page
    assert "/intake/symptoms/?return=check" in page
    assert "Some of your answers were sent to the clinic already" in page


def test_red_flag_after_every_page_was_answered_continues_to_check(journey):
    journey.answer_all()
    response = journey.post(
        "/intake/urgent/?return=check", {**VALID_PAGES["urgent"], "chest_pain": "yes"}
    )
    assert response["Location"] == HELP_URL
    page = journey.get(HELP_URL).content.decode()
    assert f'href="{CHECK_URL}" class="btn' in page
    journey.submit()
    submission = Submission.objects.get()
    assert submission.is_complete is True
    assert submission_current_result(submission=submission).level == "urgent"


def test_get_help_now_without_a_red_flag_goes_to_the_start(journey):
    journey.answer_all()
    assert journey.get(HELP_URL)["Location"] == "/"
