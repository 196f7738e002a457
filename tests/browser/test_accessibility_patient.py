"""Every patient page passes axe-core (WCAG 2.2 A/AA and best practices) with zero
violations, in Chromium on a 320px wide phone (so also without scrolling sideways:
WCAG 1.4.10 reflow, checked by `check_page`): each question page empty and with its
errors shown, and every page around the intake (save, resume, urgent advice, follow-up,
unsubscribe, session ended, links that do not work, too many attempts, the spam trap's
refusal)."""

from __future__ import annotations

import pytest

from screening.models import Reminder
from screening.reminders import links
from screening.reminders.unsubscribe import unsubscribe_token
from tests.browser.conftest import NARROW, check_page
from tests.browser.helpers import (
    SAVE,
    agree,
    answer,
    answer_until,
    fill,
    red_flag_answers,
    submit,
)
from tests.conftest import CONSENT_URL, FOLLOW_UP_SYMPTOMS, STEP_URLS, VALID_PAGES
from tests.factories import ReminderFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# What makes each page show its errors: nothing answered, or for the optional blood
# tests, a value that is not a number and no unit, and for the optional "anything else",
# more text than it takes.
INVALID = {slug: {} for slug in STEP_URLS}
INVALID["blood-tests"] = {"lab1_test": "total_b12", "lab1_value": "lots"}
INVALID["anything-else"] = {"anything_else": "x" * 1201}
FOCUS_ON_SUMMARY = "document.activeElement.classList.contains('error-summary')"


def test_intake_pages_empty_and_with_errors(narrow):
    narrow.goto("/")
    check_page(narrow, "patient-start")
    narrow.goto(CONSENT_URL)
    check_page(narrow, "patient-before-you-start")
    submit(narrow)
    assert narrow.evaluate(FOCUS_ON_SUMMARY), "before you start: the error summary has no focus"
    check_page(narrow, "patient-before-you-start-errors")
    agree(narrow)
    for slug, url in STEP_URLS.items():
        narrow.goto(url)
        assert narrow.url.endswith(url), f"{slug}: sent to {narrow.url}"
        check_page(narrow, f"patient-{slug}")
        fill(narrow, INVALID[slug])
        submit(narrow)
        assert narrow.locator(".error-summary").count() == 1, f"{slug}: no error summary"
        assert narrow.evaluate(FOCUS_ON_SUMMARY), f"{slug}: the error summary has no focus"
        check_page(narrow, f"patient-{slug}-errors")
        answer(narrow, slug)
    assert narrow.url.endswith("/intake/check/")
    check_page(narrow, "patient-check")
    narrow.goto("/")
    check_page(narrow, "patient-start-with-draft")
    narrow.goto("/intake/check/")
    submit(narrow)
    assert narrow.url.endswith("/intake/done/")
    check_page(narrow, "patient-done")


def test_red_flag_advice_page(narrow):
    answer_until(narrow, stop="urgent")
    answer(narrow, "urgent", **red_flag_answers("chest_pain"))
    assert narrow.url.endswith("/intake/get-help-now/")
    check_page(narrow, "patient-get-help-now")


def test_saved_and_resume_pages(narrow, new_page):
    answer_until(narrow, stop="symptoms")
    fill(narrow, VALID_PAGES["symptoms"])
    submit(narrow, SAVE)
    assert narrow.url.endswith("/intake/saved/")
    check_page(narrow, "patient-saved")

    reminder = Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)
    other = new_page(viewport=NARROW)
    other.goto(f"/intake/resume/{links.reminder_link_token(reminder)}/")
    assert other.locator("main").get_by_role("button").all_inner_texts() == ["Continue my form"]
    check_page(other, "patient-resume")
    other.goto("/intake/resume/not-a-real-token/")
    check_page(other, "patient-resume-link-does-not-work")


def test_session_ended_page(narrow):
    answer_until(narrow)
    assert narrow.url.endswith("/intake/check/")
    narrow.context.clear_cookies(name="sessionid")
    submit(narrow)
    assert "session has ended" in narrow.locator("h1").inner_text()
    check_page(narrow, "patient-session-ended")


def follow_up_token() -> str:
    return links.reminder_link_token(ReminderFactory())


def test_follow_up_pages(narrow, new_page):
    token = follow_up_token()
    narrow.goto(f"/follow-up/{token}/")
    check_page(narrow, "follow-up-symptoms")
    submit(narrow)
    check_page(narrow, "follow-up-symptoms-errors")
    fill(narrow, FOLLOW_UP_SYMPTOMS)
    submit(narrow)
    assert narrow.url.endswith(f"/follow-up/{token}/urgent/")
    check_page(narrow, "follow-up-urgent")
    submit(narrow)
    check_page(narrow, "follow-up-urgent-errors")
    fill(narrow, VALID_PAGES["urgent"])
    submit(narrow)
    assert narrow.url.endswith("/follow-up/thank-you/")
    check_page(narrow, "follow-up-thank-you")
    narrow.goto(f"/follow-up/{token}/")
    check_page(narrow, "follow-up-link-used")

    urgent = new_page(viewport=NARROW)
    urgent.goto(f"/follow-up/{follow_up_token()}/")
    fill(urgent, FOLLOW_UP_SYMPTOMS)
    submit(urgent)
    fill(urgent, red_flag_answers("sudden_vision_loss"))
    submit(urgent)
    assert urgent.url.endswith("/follow-up/get-help-now/")
    check_page(urgent, "follow-up-get-help-now")
    urgent.goto("/follow-up/not-a-real-token/")
    check_page(urgent, "follow-up-link-does-not-work")


def test_unsubscribe_pages(narrow):
    narrow.goto(f"/unsubscribe/{unsubscribe_token(ReminderFactory())}/")
    check_page(narrow, "unsubscribe")
    submit(narrow, "main form button[type=submit]")
    assert narrow.locator("h1").inner_text() == "You are unsubscribed"
    check_page(narrow, "unsubscribed")
    narrow.goto("/unsubscribe/not-a-real-token/")
    check_page(narrow, "unsubscribe-link-does-not-work")


def test_too_many_attempts_page(narrow, settings):
    settings.INTAKE_RATE_LIMIT = "1/10m"
    narrow.goto(CONSENT_URL)
    submit(narrow)  # the one POST allowed
    submit(narrow)
    assert narrow.locator("h1").inner_text() == "Too many attempts from your connection"
    check_page(narrow, "patient-too-many-attempts")


def test_form_not_accepted_page(narrow):
    agree(narrow)
    fill(narrow, VALID_PAGES["about-you"])
    narrow.evaluate("document.getElementById('id_website').value = 'https://spam.example'")
    submit(narrow)
    assert narrow.locator("h1").inner_text() == "Your form could not be sent"
    check_page(narrow, "patient-form-not-accepted")
