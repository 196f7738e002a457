"""The patient's own words in Chromium on a phone, in English and in Spanish: "other
medicines" next to the checklist, the "Anything else" page (empty, too long, filled), the
check page with both (escaped, line by line) and their Change link, the sent intake; then
the clinician's record page showing them. axe-core on every page and state, screenshots
saved (artifacts/screenshots/free-text-*)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from screening.models import Submission
from tests.browser.conftest import check_page
from tests.browser.helpers import answer, answer_until, fill, sign_in, submit
from tests.conftest import STAFF_PASSWORD, STEP_URLS, VALID_PAGES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OTHER = "Vitamin D 1000 units\n<b>Iron</b> tablets"
NOTE = "I work nights.\nPlease call after 6pm <script>alert(1)</script>"

WORDS = {
    "en": {
        "other_label": "Other medicines you take (optional)",
        "title": "Anything else you want the clinic to know?",
        "too_long": "Your message must be 1,200 characters or fewer",
        "other_row": "Other medicines",
        "note_row": "Your message to the clinic",
        "change": "Change",
    },
    "es": {
        "other_label": "Otros medicamentos que toma (opcional)",
        "title": "¿Hay algo más que quiera que sepa la clínica?",
        "too_long": "Su mensaje debe tener 1\u00a0200 caracteres o menos",
        "other_row": "Otros medicamentos",
        "note_row": "Su mensaje para la clínica",
        "change": "Cambiar",
    },
}


def _in_language(page, language: str) -> None:
    page.goto("/")
    if language == "es":
        with page.expect_navigation():
            page.locator("header").get_by_role("button", name="Español").click()
    assert page.locator("html").get_attribute("lang") == language


def _row(page, label: str):
    return page.locator(".summary-list-row", has=page.locator("dt", has_text=label))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_patient_writes_other_medicines_and_anything_else(phone, desktop, clinician, language):
    words = WORDS[language]
    name = f"free-text-{language}"
    _in_language(phone, language)
    answer_until(phone, stop="risk-factors")

    # Other medicines: a text box right after the checklist.
    assert phone.url.endswith(STEP_URLS["risk-factors"])
    box = phone.get_by_label(words["other_label"])
    assert box.evaluate("el => el.tagName") == "TEXTAREA"
    fill(phone, {**VALID_PAGES["risk-factors"], "other_medicines": OTHER})
    check_page(phone, f"{name}-risk-factors")
    submit(phone)
    answer(phone, "blood-tests")

    # Anything else: its own page; too long shows the error, kept to shorten.
    assert phone.url.endswith(STEP_URLS["anything-else"])
    assert phone.locator("h1").inner_text().endswith(words["title"])  # after "Step 7 of 7"
    check_page(phone, f"{name}-anything-else")
    fill(phone, {"anything_else": "x" * 1201})
    submit(phone)
    assert words["too_long"] in phone.locator(".error-summary").inner_text()
    check_page(phone, f"{name}-anything-else-too-long")
    fill(phone, {"anything_else": NOTE})
    submit(phone)

    # Check your answers: the words as typed (escaped), one line each, with Change links.
    assert phone.url.endswith("/intake/check/")
    other_row = _row(phone, words["other_row"])
    assert other_row.locator(".summary-list-value").inner_text() == OTHER
    note_row = _row(phone, words["note_row"])
    assert note_row.locator(".summary-list-value").inner_text() == NOTE
    assert phone.locator("main b").count() == 0  # "<b>" shown as text, not bold
    check_page(phone, f"{name}-check")
    with phone.expect_navigation():
        note_row.get_by_role("link", name=words["change"]).click()
    change = "?return=check&answer=div_id_anything_else#div_id_anything_else"
    assert phone.url.endswith(STEP_URLS["anything-else"] + change)
    assert phone.locator("#id_anything_else").input_value() == NOTE
    fill(phone, {"anything_else": NOTE + "\nThank you"})
    submit(phone)
    # Back at the row changed (tests/browser/test_flow.py).
    assert phone.url.endswith("/intake/check/#answer-div_id_anything_else")
    assert "Thank you" in _row(phone, words["note_row"]).inner_text()
    submit(phone)
    assert urlsplit(phone.url).path == "/intake/done/"

    submission = Submission.objects.get()
    assert (submission.other_medicines, submission.anything_else) == (
        OTHER,
        NOTE + "\nThank you",
    )
    assert submission.language == language

    # The clinician reads them on the record page, as typed (escaped).
    sign_in(desktop, clinician, STAFF_PASSWORD)
    desktop.goto(f"/staff/submissions/{submission.public_id}/")
    table = desktop.locator("table.free-text-table")
    assert table.locator("td").all_inner_texts() == [OTHER, NOTE + "\nThank you"]
    assert desktop.locator("main b").count() == 0
    check_page(desktop, f"{name}-staff-record")
