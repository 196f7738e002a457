"""Every patient page passes axe-core (WCAG 2.2 A/AA and best practices) with zero
violations, in Chromium on a phone-sized screen: each question page empty and with its
errors shown, and every page around the intake (save, resume, urgent advice, follow-up,
unsubscribe, session ended, links that do not work)."""

from __future__ import annotations

import pytest

from screening import links
from screening.models import Reminder
from screening.unsubscribe import unsubscribe_token
from tests.browser.conftest import check_page
from tests.browser.helpers import SAVE, answer, answer_until, fill, red_flag_answers, submit
from tests.conftest import STEP_URLS, VALID_PAGES
from tests.factories import ReminderFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# What makes each page show its errors: nothing answered, or for the optional blood
# tests, a value that is not a number and no unit.
INVALID = {slug: {} for slug in STEP_URLS}
INVALID["blood-tests"] = {"lab1_test": "total_b12", "lab1_value": "lots"}
FOCUS_ON_SUMMARY = "document.activeElement.classList.contains('error-summary')"


def test_intake_pages_empty_and_with_errors(phone):
    phone.goto("/")
    check_page(phone, "patient-start")
    for slug, url in STEP_URLS.items():
        phone.goto(url)
        assert phone.url.endswith(url), f"{slug}: sent to {phone.url}"
        check_page(phone, f"patient-{slug}")
        fill(phone, INVALID[slug])
        submit(phone)
        assert phone.locator(".error-summary").count() == 1, f"{slug}: no error summary"
        assert phone.evaluate(FOCUS_ON_SUMMARY), f"{slug}: the error summary has no focus"
        check_page(phone, f"patient-{slug}-errors")
        answer(phone, slug)
    assert phone.url.endswith("/intake/check/")
    check_page(phone, "patient-check")
    phone.goto("/")
    check_page(phone, "patient-start-with-draft")
    phone.goto("/intake/check/")
    submit(phone)
    assert phone.url.endswith("/intake/done/")
    check_page(phone, "patient-done")


def test_red_flag_advice_page(phone):
    answer_until(phone, stop="urgent")
    answer(phone, "urgent", **red_flag_answers("chest_pain"))
    assert phone.url.endswith("/intake/get-help-now/")
    check_page(phone, "patient-get-help-now")


def test_saved_and_resume_pages(phone, new_page):
    answer_until(phone, stop="symptoms")
    fill(phone, VALID_PAGES["symptoms"])
    submit(phone, SAVE)
    assert phone.url.endswith("/intake/saved/")
    check_page(phone, "patient-saved")

    reminder = Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)
    other = new_page()
    other.goto(f"/intake/resume/{links.reminder_link_token(reminder)}/")
    assert other.locator("main").get_by_role("button").all_inner_texts() == ["Continue my form"]
    check_page(other, "patient-resume")
    other.goto("/intake/resume/not-a-real-token/")
    check_page(other, "patient-resume-link-does-not-work")


def test_session_ended_page(phone):
    answer_until(phone)
    assert phone.url.endswith("/intake/check/")
    phone.context.clear_cookies(name="sessionid")
    submit(phone)
    assert "session has ended" in phone.locator("h1").inner_text()
    check_page(phone, "patient-session-ended")


def follow_up_token() -> str:
    return links.reminder_link_token(ReminderFactory())


def test_follow_up_pages(phone, new_page):
    token = follow_up_token()
    phone.goto(f"/follow-up/{token}/")
    check_page(phone, "follow-up-symptoms")
    submit(phone)
    check_page(phone, "follow-up-symptoms-errors")
    fill(phone, VALID_PAGES["symptoms"])
    submit(phone)
    assert phone.url.endswith(f"/follow-up/{token}/urgent/")
    check_page(phone, "follow-up-urgent")
    submit(phone)
    check_page(phone, "follow-up-urgent-errors")
    fill(phone, VALID_PAGES["urgent"])
    submit(phone)
    assert phone.url.endswith("/follow-up/thank-you/")
    check_page(phone, "follow-up-thank-you")
    phone.goto(f"/follow-up/{token}/")
    check_page(phone, "follow-up-link-used")

    urgent = new_page()
    urgent.goto(f"/follow-up/{follow_up_token()}/")
    fill(urgent, VALID_PAGES["symptoms"])
    submit(urgent)
    fill(urgent, red_flag_answers("sudden_vision_loss"))
    submit(urgent)
    assert urgent.url.endswith("/follow-up/get-help-now/")
    check_page(urgent, "follow-up-get-help-now")
    urgent.goto("/follow-up/not-a-real-token/")
    check_page(urgent, "follow-up-link-does-not-work")


def test_unsubscribe_pages(phone):
    phone.goto(f"/unsubscribe/{unsubscribe_token(ReminderFactory())}/")
    check_page(phone, "unsubscribe")
    submit(phone, "main form button[type=submit]")
    assert phone.locator("h1").inner_text() == "You are unsubscribed"
    check_page(phone, "unsubscribed")
    phone.goto("/unsubscribe/not-a-real-token/")
    check_page(phone, "unsubscribe-link-does-not-work")
