"""The whole intake in a browser: order, check your answers, sending once, privacy."""

import re

import pytest

from screening.domain.queries.answers import submission_answers
from screening.models import Submission
from tests.conftest import CHECK_URL, CONSENT_URL, DONE_URL, STEP_URLS, VALID_ANSWERS, VALID_PAGES


def _reference(response) -> str:
    return re.search(r'class="reference">([^<]+)<', response.content.decode()).group(1)


def test_start_page_is_public_and_starts_the_intake(client, db):
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="/intake/before-you-start/"' in page  # agree first (test_consent.py)
    assert "Start now" in page


def test_full_journey_sends_one_complete_submission(journey):
    journey.answer_all()
    response = journey.submit()
    assert (response.status_code, response["Location"]) == (302, DONE_URL)

    submission = Submission.objects.get()
    assert submission.is_complete is True
    assert submission_answers(submission=submission) == VALID_ANSWERS
    assert submission.patient.email == "ann.example@example.com"
    assert submission.results.count() == 1
    assert "intake" not in journey.client.session

    done = journey.get(DONE_URL)
    assert _reference(done) == submission.reference


def test_confirmation_shows_no_level_score_or_diagnosis(journey):
    journey.answer_all()
    journey.submit()
    page = journey.get(DONE_URL).content.decode().lower()
    result = Submission.objects.get().results.get()
    for word in ("deficien", "diagnos", "urgent", "routine", "review soon", "score", "level"):
        assert word not in page
    assert result.level.replace("_", " ") not in page
    assert "a clinician at your clinic will look at your answers" in page


def test_page_order_is_enforced_for_get(journey):
    journey.answer("about-you")
    response = journey.get(STEP_URLS["risk-factors"])
    assert (response.status_code, response["Location"]) == (302, STEP_URLS["pregnancy"])
    page = journey.client.get(response["Location"]).content.decode()
    assert "Please answer these questions first." in page


def test_page_order_is_enforced_for_post(journey):
    journey.answer("about-you")
    journey.answer("pregnancy")
    response = journey.answer("blood-tests")
    assert (response.status_code, response["Location"]) == (302, STEP_URLS["symptoms"])
    assert "blood-tests" not in journey.client.session["intake"]["steps"]


def test_check_before_every_page_is_answered_goes_to_the_first_unfinished(journey):
    journey.answer_all(until="risk-factors")
    assert journey.get(CHECK_URL)["Location"] == STEP_URLS["risk-factors"]
    response = journey.submit(key=journey.client.session["intake"]["idempotency_key"])
    assert response["Location"] == STEP_URLS["risk-factors"]
    assert Submission.objects.count() == 0


def test_later_page_in_a_new_session_goes_to_the_start_of_the_form(journey):
    """The start of the form is the agreement before the first question."""
    response = journey.answer("symptoms")
    assert (response.status_code, response["Location"]) == (302, CONSENT_URL)
    assert journey.get(STEP_URLS["urgent"])["Location"] == CONSENT_URL


def test_pregnancy_page_is_skipped_for_a_man(journey):
    response = journey.answer("about-you", sex="male")
    assert response["Location"] == STEP_URLS["symptoms"]
    assert journey.get(STEP_URLS["pregnancy"])["Location"] == STEP_URLS["symptoms"]


def test_check_page_lists_answers_with_change_links(journey):
    journey.answer_all()
    page = journey.get(CHECK_URL).content.decode()
    assert "Ann Example" in page
    assert "3 April 1990" in page
    assert "Vitamin B12 (total B12): 250 ng/L on 1 May 2025" in page
    change_name = "/intake/about-you/?return=check&amp;answer=div_id_full_name#div_id_full_name"
    assert f'href="{change_name}"' in page
    assert 'href="/intake/risk-factors/?return=check&amp;answer=div_id_diet#div_id_diet"' in page


def test_change_link_goes_to_the_page_and_back_to_check(journey):
    journey.answer_all()
    page = journey.get("/intake/risk-factors/?return=check").content.decode()
    assert 'href="/intake/check/" class="back-link"' in page
    assert 'value="vegan"' in page

    response = journey.post(
        "/intake/risk-factors/?return=check",
        {
            **{"diet": "omnivore", "medicines": ["none"], "conditions": ["none"]},
            "family_history": "no",
            "b12_treatment": "none",
        },
    )
    assert (response.status_code, response["Location"]) == (302, CHECK_URL)
    assert "I eat meat or fish" in journey.get(CHECK_URL).content.decode()


def test_change_link_with_an_error_stays_on_the_page_then_returns(journey):
    journey.answer_all()
    response = journey.post("/intake/about-you/?return=check", {"full_name": ""})
    assert response.status_code == 200
    response = journey.post(
        "/intake/about-you/?return=check",
        {
            "full_name": "Ann Changed",
            "email": "ann.example@example.com",
            "dob_day": "3",
            "dob_month": "4",
            "dob_year": "1990",
            "sex": "female",
            "contact_consent": "no",
        },
    )
    assert response["Location"] == CHECK_URL
    assert "Ann Changed" in journey.get(CHECK_URL).content.decode()


def test_change_that_makes_a_page_apply_asks_it_then_returns(journey):
    journey.answer("about-you", sex="male")
    for slug in [slug for slug in STEP_URLS if slug not in ("about-you", "pregnancy")]:
        journey.answer(slug)
    response = journey.post(
        "/intake/about-you/?return=check", {**VALID_PAGES["about-you"], "sex": "female"}
    )
    assert response["Location"] == "/intake/pregnancy/?return=check"
    response = journey.post(
        "/intake/pregnancy/?return=check", {"pregnant": "yes", "breastfeeding": "no"}
    )
    assert response["Location"] == CHECK_URL
    journey.submit()
    assert submission_answers(submission=Submission.objects.get())["pregnant"] == "yes"


def test_double_submit_stores_one_submission_and_shows_the_same_reference(journey):
    journey.answer_all()
    key = journey.idempotency_key()
    first = journey.submit(key)
    second = journey.submit(key)

    assert Submission.objects.count() == 1
    assert first["Location"] == second["Location"] == DONE_URL
    reference = Submission.objects.get().reference
    assert _reference(journey.get(DONE_URL)) == reference


def test_final_post_after_the_session_ended_says_so(journey, client):
    journey.answer_all()
    key = journey.idempotency_key()
    client.session.flush()
    journey.client.cookies.clear()

    response = journey.submit(key)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your session has ended" in page
    assert 'href="/"' in page
    assert Submission.objects.count() == 0


def test_final_post_with_a_stale_key_asks_to_check_again(journey):
    journey.answer_all()
    response = journey.submit("a-key-from-another-tab")
    assert response["Location"] == CHECK_URL
    assert Submission.objects.count() == 0


def test_done_page_without_a_sent_intake_goes_to_the_start(journey):
    assert journey.get(DONE_URL)["Location"] == "/"


def test_start_again_forgets_the_draft(journey):
    journey.answer("about-you")
    assert "You have started this form already." in journey.get("/").content.decode()
    response = journey.post("/", {})
    assert response["Location"] == STEP_URLS["about-you"]
    assert "intake" not in journey.client.session


# A page's address, with at most "?return=check" and an anchor: nothing about the patient.
PLAIN_URL = r"/(intake/[a-z-]+/([a-z0-9-]+/)?)?(\?(return=check)?)?(#[a-z0-9_]*)?"


def test_no_personal_data_or_ids_in_any_url(journey):
    journey.answer_all()
    journey.get(CHECK_URL)
    journey.submit()
    journey.get(DONE_URL)
    submission = Submission.objects.get()
    secrets = [
        "ann",
        "example",
        "1990",
        "01632",
        submission.reference.lower(),
        str(submission.public_id),
        str(submission.patient.public_id),
        journey.client.session["intake_done"]["idempotency_key"].lower(),
    ]
    assert len(journey.urls) > 10
    for url in journey.urls:
        assert re.fullmatch(PLAIN_URL, url), url
        for secret in secrets:
            assert secret not in url.lower()


@pytest.mark.parametrize("url", ["/", *STEP_URLS.values()])
def test_pages_need_no_javascript_and_load_nothing_from_elsewhere(journey, url):
    journey.answer_all()
    page = journey.get(url).content.decode()
    assert "<script" not in page
    assert "style=" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<html lang="en">' in page
    assert 'href="#main"' in page and '<main id="main"' in page
    assert "/static/bootstrap/css/bootstrap.min.css" in page
