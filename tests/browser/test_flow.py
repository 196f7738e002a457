"""Issue 13's flow items in Chromium on a phone, in English and in Spanish: "Step N of M"
on every question page (and one step fewer when pregnancy is not asked), Change links that
land on the question and come back to its row on the check page, the language switch that
keeps what was typed, and the browser's Back button after sending. axe-core on every new
state, screenshots saved (artifacts/screenshots/flow-*)."""

from __future__ import annotations

import pytest

from screening.models import Submission
from tests.browser.conftest import check_page
from tests.browser.helpers import CONTINUE, agree, answer, fill, submit
from tests.conftest import CHECK_URL, DONE_URL, STEP_URLS, VALID_PAGES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORDS = {
    "en": {"step": "Step {} of {}", "sent": "You have already sent this form",
           "new": "Start a new form for someone else", "other": "Español", "other_code": "es",
           "feel": "How you feel"},
    "es": {"step": "Paso {} de {}", "sent": "Ya ha enviado este formulario",
           "new": "Empezar un formulario nuevo para otra persona", "other": "English",
           "other_code": "en", "feel": "Cómo se siente"},
}  # fmt: skip

# Where an element is on the screen: its top, and the screen's height.
PLACE = "id => [document.getElementById(id).getBoundingClientRect().top, innerHeight]"


def _in_language(page, language: str) -> None:
    page.goto("/")
    if language == "es":
        with page.expect_navigation():
            page.locator("header").get_by_role("button", name="Español").click()
    assert page.locator("html").get_attribute("lang") == language


def _caption(page) -> str:
    return page.locator("h1 .step-progress").inner_text().strip()


def _on_screen(page, element_id: str) -> None:
    top, height = page.evaluate(PLACE, element_id)
    assert 0 <= top < height / 2, f"#{element_id} at {top}px of {height}px"


@pytest.mark.parametrize("language", ["en", "es"])
def test_progress_and_change_links(phone, language):
    words = WORDS[language]
    _in_language(phone, language)
    agree(phone)
    assert _caption(phone).startswith(words["step"].format(1, 6))
    answer(phone, "about-you", sex="male")  # no pregnancy page: six steps
    assert phone.url.endswith(STEP_URLS["symptoms"])
    assert _caption(phone).startswith(words["step"].format(2, 6))
    # The heading says where the patient is, to a screen reader too.
    heading = phone.get_by_role("heading", level=1).inner_text()
    assert heading.startswith(words["step"].format(2, 6)) and words["feel"] in heading
    check_page(phone, f"flow-{language}-progress")
    for slug in list(STEP_URLS)[2:]:
        answer(phone, slug)
    assert phone.url.endswith(CHECK_URL)

    # Change the diet: the page opens at the question, its legend on the screen.
    with phone.expect_navigation():
        phone.locator("a[href*='answer=div_id_diet']").click()
    assert phone.url.endswith("#div_id_diet")
    _on_screen(phone, "div_id_diet")
    assert _caption(phone).startswith(words["step"].format(4, 6))
    check_page(phone, f"flow-{language}-change-diet")
    fill(phone, {"diet": "vegetarian"})
    submit(phone)
    # Back on the check page, at the row changed.
    assert phone.url.endswith(CHECK_URL + "#answer-div_id_diet")
    _on_screen(phone, "answer-div_id_diet")
    check_page(phone, f"flow-{language}-back-at-row")

    # Change sex to female: the pregnancy page now applies, then back to the row.
    with phone.expect_navigation():
        phone.locator("a[href*='answer=div_id_sex']").click()
    _on_screen(phone, "div_id_sex")
    fill(phone, {"sex": "female"})
    submit(phone)
    assert phone.url.endswith(STEP_URLS["pregnancy"] + "?return=check&answer=div_id_sex")
    assert _caption(phone).startswith(words["step"].format(2, 7))
    check_page(phone, f"flow-{language}-pregnancy-after-change")
    fill(phone, VALID_PAGES["pregnancy"])
    submit(phone)
    assert phone.url.endswith(CHECK_URL + "#answer-div_id_sex")
    _on_screen(phone, "answer-div_id_sex")
    # Sending from there: the row's fragment does not follow to the confirmation.
    submit(phone, "main form button[type=submit]")
    assert phone.url.endswith(DONE_URL)


@pytest.mark.parametrize("language", ["en", "es"])
def test_switching_language_keeps_what_was_typed(phone, language):
    words = WORDS[language]
    _in_language(phone, language)
    agree(phone)
    fill(phone, {"full_name": "Ann Example", "email": "ann@", "dob_day": "3", "sex": "female"})
    with phone.expect_navigation():
        phone.locator("header").get_by_role("button", name=words["other"]).click()

    assert phone.locator("html").get_attribute("lang") == words["other_code"]
    assert phone.input_value("#id_full_name") == "Ann Example"
    assert phone.input_value("#id_email") == "ann@"
    assert phone.input_value("#id_dob_day") == "3"
    assert phone.is_checked("input[name='sex'][value='female']")
    assert phone.locator(".error-summary").count() == 0
    check_page(phone, f"flow-{language}-switched-with-typing")

    # Enter in a field sends the page (Continue), never the language switch.
    fill(phone, {**VALID_PAGES["about-you"], "full_name": ""})
    phone.fill("#id_full_name", "Ann Example")
    with phone.expect_navigation():
        phone.press("#id_full_name", "Enter")
    assert phone.url.endswith(STEP_URLS["pregnancy"])
    assert phone.locator("html").get_attribute("lang") == words["other_code"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_back_after_sending_says_already_sent(phone, language):
    words = WORDS[language]
    _in_language(phone, language)
    agree(phone)
    for slug in STEP_URLS:
        answer(phone, slug)
    submit(phone, "main form button[type=submit]")
    assert phone.url.endswith(DONE_URL)
    reference = Submission.objects.get().reference

    phone.go_back()
    assert phone.url.endswith(CHECK_URL)
    assert phone.locator("h1").inner_text() == words["sent"]
    assert reference in phone.locator("main").inner_text()
    check_page(phone, f"flow-{language}-already-sent")
    phone.goto(STEP_URLS["symptoms"])
    assert phone.locator("h1").inner_text() == words["sent"]

    with phone.expect_navigation():
        phone.get_by_role("link", name=words["new"]).click()
    assert phone.url.endswith("/")
    assert Submission.objects.count() == 1
    assert phone.locator(CONTINUE).count() == 0
