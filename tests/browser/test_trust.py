"""Trust and information, and after sending (issue 13), in Chromium, in English and
Spanish, each new page and state checked with axe-core (zero violations) and saved as a
screenshot:

- the privacy notice and the accessibility statement, reached from the start page and
  the footer;
- "Before you start": the agreement, its error, and the page for a patient who says no
  (the clinic's phone a tel: link, nothing stored);
- when the clinic aims to reply, on the start and confirmation pages; the confirmation
  email; the printable copy of the answers and what printing it shows;
- the emergency numbers and the clinic's phone as tel: links;
- a date with an error keeps day, month and year on one row at 320px.
"""

from __future__ import annotations

import pytest
from django.core import mail

from screening.models import IntakeDraft, Reminder, Submission
from tests.browser.conftest import NARROW, PHONE, check_page, screenshot
from tests.browser.helpers import agree, answer, answer_until, fill, red_flag_answers, submit
from tests.conftest import ANSWERS_COPY_URL, CONSENT_URL, STEP_URLS, VALID_PAGES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LANGUAGES = ["en", "es"]
WORDS = {
    "en": {
        "privacy": "Privacy notice",
        "accessibility": "Accessibility statement",
        "start": "Start now",
        "agree": "Yes, I agree",
        "print": "Print your answers",
        "reply": "The clinic aims to reply within 2 working days.",
        "copy": "Your answers",
        "declined": "You have not started the form",
    },
    "es": {
        "privacy": "Aviso de privacidad",
        "accessibility": "Declaración de accesibilidad",
        "start": "Empezar ahora",
        "agree": "Sí, estoy de acuerdo",
        "print": "Imprimir sus respuestas",
        "reply": "La clínica intentará responderle en un plazo de 2 días hábiles.",
        "copy": "Sus respuestas",
        "declined": "No ha empezado el formulario",
    },
}


def in_language(page, language: str) -> None:
    """Open the start page and choose the language with the header's switch."""
    page.goto("/")
    if language != "en":
        with page.expect_navigation():
            page.locator("header").get_by_role("button", name="Español").click()
    assert page.locator("html").get_attribute("lang") == language


def follow(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_and_accessibility_statement(new_page, language, settings):
    settings.CLINIC_PHONE = "01632 960 000"
    narrow = new_page(viewport=NARROW, is_mobile=True, has_touch=True)
    words = WORDS[language]
    in_language(narrow, language)

    follow(narrow, narrow.locator("main a[href='/privacy/']"))  # from the start page
    assert narrow.locator("h1").inner_text() == words["privacy"]
    assert narrow.locator("main a[href='tel:01632960000']").count() == 1
    check_page(narrow, f"trust-{language}-privacy")

    follow(narrow, narrow.locator("footer").get_by_role("link", name=words["accessibility"]))
    assert narrow.locator("h1").inner_text() == words["accessibility"]
    assert "WCAG" in narrow.locator("main").inner_text()
    check_page(narrow, f"trust-{language}-accessibility")

    follow(narrow, narrow.locator("footer").get_by_role("link", name=words["privacy"]))
    assert narrow.url.endswith("/privacy/")


@pytest.mark.parametrize("language", LANGUAGES)
def test_before_you_start_agreeing_or_not(new_page, language, settings):
    settings.CLINIC_PHONE = "01632 960 000"
    narrow = new_page(viewport=NARROW, is_mobile=True, has_touch=True)
    words = WORDS[language]
    in_language(narrow, language)
    follow(narrow, narrow.locator("main").get_by_role("button", name=words["start"]))
    assert narrow.url.endswith(CONSENT_URL)
    check_page(narrow, f"trust-{language}-before-you-start")

    submit(narrow)  # no choice
    assert narrow.locator(".error-summary").count() == 1
    assert narrow.evaluate("document.activeElement.classList.contains('error-summary')")
    check_page(narrow, f"trust-{language}-before-you-start-errors")

    narrow.check("input[name='care_consent'][value='no']")
    submit(narrow)
    assert narrow.locator("h1").inner_text() == words["declined"]
    assert narrow.locator("main a[href='tel:01632960000']").inner_text() == "01632 960 000"
    assert narrow.locator("main a[href='tel:999']").count() == 1
    check_page(narrow, f"trust-{language}-declined")
    assert Submission.objects.count() == IntakeDraft.objects.count() == 0

    narrow.goto(CONSENT_URL)
    narrow.get_by_label(words["agree"]).check()
    submit(narrow)
    assert narrow.url.endswith(STEP_URLS["about-you"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_reply_time_confirmation_email_and_printable_copy(new_page, language, settings):
    settings.CLINIC_PHONE = "01632 960 000"
    settings.CLINIC_REPLY_WORKING_DAYS = 2
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    words = WORDS[language]
    in_language(phone, language)
    assert words["reply"] in phone.locator("main").inner_text()
    assert phone.locator("main a[href='tel:999']").count() == 1

    answer_until(phone)
    submit(phone)  # Send
    assert phone.url.endswith("/intake/done/")
    done = phone.locator("main").inner_text()
    assert words["reply"] in done
    reference = phone.locator(".reference").inner_text()
    for number in ("tel:01632960000", "tel:111", "tel:999"):
        assert phone.locator(f"main a[href='{number}']").count() == 1, number
    check_page(phone, f"after-{language}-done")

    # The confirmation email: sent at once (eager worker), in the form's language.
    (message,) = mail.outbox
    assert message.to == ["ann.example@example.com"]
    assert reference in message.body
    assert words["reply"] in message.body
    assert Reminder.objects.get(kind=Reminder.Kind.CONFIRMATION).status == "sent"

    follow(phone, phone.get_by_role("link", name=words["print"]))
    assert phone.url.endswith(ANSWERS_COPY_URL)
    assert phone.locator("h1").inner_text() == words["copy"]
    copy = phone.locator("main").inner_text()
    assert reference in copy
    assert "Ann Example" in copy
    check_page(phone, f"after-{language}-your-answers")

    # Printed: the answers, the reference and the date; no header, footer or links
    # to other pages; never the level.
    phone.emulate_media(media="print")
    assert phone.locator("header.site-header").is_hidden()
    assert phone.locator("footer.site-footer").is_hidden()
    assert phone.locator("main .back-link").is_hidden()
    assert phone.locator(".reference").is_visible()
    screenshot(phone, f"after-{language}-your-answers-print")
    submission = Submission.objects.get(reference=reference)
    assert submission.level not in phone.locator("main").inner_text().lower()
    phone.emulate_media(media="screen")


@pytest.mark.parametrize("language", LANGUAGES)
def test_numbers_are_tel_links_on_the_urgent_advice(new_page, language):
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    in_language(phone, language)
    answer_until(phone, stop="urgent")
    answer(phone, "urgent", **{**red_flag_answers("thoughts_of_self_harm"), "chest_pain": "yes"})
    assert phone.url.endswith("/intake/get-help-now/")
    advice = phone.locator("section.advice")
    assert advice.locator("a[href='tel:999']").count() >= 1
    assert advice.locator("a[href='tel:116123']").inner_text() == "116 123"
    check_page(phone, f"trust-{language}-get-help-now-tel-links")


def _row_tops(page, names: list[str]) -> list[float]:
    return [page.locator(f"[name='{name}']").bounding_box()["y"] for name in names]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_date_with_an_error_stays_on_one_row_at_320px(new_page, language):
    narrow = new_page(viewport=NARROW, is_mobile=True, has_touch=True)
    in_language(narrow, language)
    agree(narrow)
    fill(narrow, {**VALID_PAGES["about-you"], "dob_month": ""})
    submit(narrow)
    assert narrow.locator(".date-input .invalid-feedback").is_visible()
    tops = _row_tops(narrow, ["dob_day", "dob_month", "dob_year"])
    assert len(set(tops)) == 1, tops
    check_page(narrow, f"trust-{language}-date-of-birth-error-320")

    answer(narrow, "about-you")
    for slug in ("pregnancy", "symptoms", "symptom-details-1", "urgent", "risk-factors"):
        answer(narrow, slug)
    fill(narrow, {**VALID_PAGES["blood-tests"], "lab1_day": "", "lab1_year": "25"})
    submit(narrow)
    tops = _row_tops(narrow, ["lab1_day", "lab1_month", "lab1_year"])
    assert len(set(tops)) == 1, tops
    check_page(narrow, f"trust-{language}-lab-date-error-320")
