"""End to end in headless Chromium against the live server: what a patient and a
clinician actually do, with a screenshot of every page under artifacts/screenshots/.

- a patient completes the intake on a phone (390x844), in English and in Spanish;
- a red-flag answer shows the urgent advice at once, the clinician signs in with the
  second factor, finds that intake at the top of the queue and records a decision;
- the follow-up email's link (sent through the reminder outbox with the in-memory
  backend) opens the follow-up form, which the patient completes.
"""

from __future__ import annotations

import copy
import datetime
import re

import pytest
from django.utils import timezone

from screening.domain.intake import intake_submit
from screening.domain.review import review_record
from screening.models import Reminder, Submission
from screening.reminders import delivery
from tests.browser.conftest import check_page, screenshot
from tests.browser.helpers import (
    answer,
    answer_until,
    fill,
    red_flag_answers,
    sign_in,
    submit,
)
from tests.conftest import (
    CONSENT_URL,
    FOLLOW_UP_SYMPTOMS,
    PATIENT_DETAILS,
    STAFF_PASSWORD,
    STEP_URLS,
    VALID_ANSWERS,
    VALID_PAGES,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def complete_intake(phone, prefix: str, look=screenshot) -> str:
    """From the start page: every question page, check, send; the reference shown.
    `look(page, name)` is called on each page (a screenshot, or check_page)."""
    with phone.expect_navigation():
        phone.locator(f"main a[href='{CONSENT_URL}']").click()  # Start now
    look(phone, f"{prefix}-before-you-start")
    phone.check("input[name='care_consent'][value='yes']")
    submit(phone)
    for slug, url in STEP_URLS.items():
        assert phone.url.endswith(url), f"expected {slug}, at {phone.url}"
        fill(phone, VALID_PAGES[slug])
        look(phone, f"{prefix}-{slug}")
        submit(phone)
    assert phone.url.endswith("/intake/check/")
    look(phone, f"{prefix}-check")
    submit(phone)
    assert phone.url.endswith("/intake/done/")
    look(phone, f"{prefix}-done")
    return phone.locator(".reference").inner_text()


def test_patient_completes_the_intake_on_a_phone_in_english(phone):
    phone.goto("/")
    assert phone.locator("html").get_attribute("lang") == "en"
    screenshot(phone, "journey-en-start")
    reference = complete_intake(phone, "journey-en")

    assert phone.locator("h1").inner_text() == "Your answers have been sent"
    submission = Submission.objects.get(reference=reference)
    assert submission.is_complete
    assert submission.language == "en"
    assert submission.patient.full_name == "Ann Example"
    assert submission.age_years == VALID_ANSWERS["age_years"] + _birthdays_since_intake_day()
    assert [lab.test for lab in submission.lab_results.order_by("test")] == [
        "haemoglobin",
        "total_b12",
    ]


def _birthdays_since_intake_day() -> int:
    """VALID_ANSWERS are for 15 June 2025; this test runs on today's date."""
    today = timezone.localdate()
    born = datetime.date(1990, 4, 3)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age - VALID_ANSWERS["age_years"]


def test_patient_completes_the_intake_on_a_phone_in_spanish(phone):
    phone.goto("/")
    with phone.expect_navigation():
        phone.locator("header").get_by_role("button", name="Español").click()
    assert phone.locator("html").get_attribute("lang") == "es"
    assert phone.locator("h1").inner_text() == "Compruebe si necesita un análisis de vitamina B12"
    check_page(phone, "journey-es-start")
    # The Spanish pages pass axe too (lang="es", the switch's English label marked lang="en").
    reference = complete_intake(phone, "journey-es", look=check_page)

    assert phone.locator("html").get_attribute("lang") == "es"
    assert phone.locator("h1").inner_text() == "Sus respuestas se han enviado"
    submission = Submission.objects.get(reference=reference)
    assert submission.is_complete
    assert submission.language == "es"


def _earlier_intakes() -> None:
    """Three intakes waiting longer than the urgent one will, none of them urgent."""
    for number in range(3):
        answers = copy.deepcopy(VALID_ANSWERS)
        submission = intake_submit(
            answers=answers,
            patient_details={**PATIENT_DETAILS, "email": f"earlier{number}@example.com"},
            idempotency_key=f"earlier-{number}",
            language="en",
        )
        assert submission.level != "urgent"
        Submission.objects.filter(pk=submission.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(days=3 - number)
        )


def test_red_flag_advice_then_the_clinician_decides(phone, desktop, clinician, settings):
    _earlier_intakes()

    answer_until(phone, stop="urgent")
    answer(phone, "urgent", **red_flag_answers("chest_pain"))
    assert phone.url.endswith("/intake/get-help-now/")
    assert phone.locator("h1").inner_text() == "Get help now"
    advice = phone.locator("section.advice")
    assert advice.locator("h2").all_inner_texts() == [
        f"Call {settings.CLINIC_EMERGENCY_NUMBER} now"
    ]
    assert "Chest pain" in advice.inner_text()
    screenshot(phone, "journey-red-flag-advice")
    reference = phone.locator(".reference").inner_text()

    sign_in(desktop, clinician, STAFF_PASSWORD)
    assert desktop.url.endswith("/staff/")
    first_row = desktop.locator("table.queue-table tbody tr").first
    assert first_row.locator("th").inner_text() == reference
    assert "Urgent" in first_row.locator(".level").inner_text()
    screenshot(desktop, "journey-clinician-queue")
    with desktop.expect_navigation():
        first_row.get_by_role("link", name=reference).click()
    screenshot(desktop, "journey-clinician-record")
    with desktop.expect_navigation():
        desktop.get_by_role("link", name="Record a decision").click()
    desktop.get_by_label("Refer").check()
    desktop.get_by_label("Note").fill("Sent to the emergency department; follow up next week.")
    screenshot(desktop, "journey-clinician-decision")
    submit(desktop, "main form:not([action]) button[type=submit]")
    assert "Decision recorded" in desktop.get_by_role("status").first.inner_text()
    screenshot(desktop, "journey-clinician-decided")

    submission = Submission.objects.get(reference=reference)
    assert submission.status == Submission.Status.REVIEWED
    assert submission.reviews.get().outcomes == ["refer"]


def test_follow_up_link_from_the_email_opens_the_follow_up_form(
    phone, clinician, live_server, mailoutbox, settings
):
    settings.SITE_URL = live_server.url
    settings.PATIENT_EMAIL_HOURS = "00:00-23:59"  # whatever the hour the test runs
    submission = intake_submit(
        answers=copy.deepcopy(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="follow-up-journey",
        language="en",
    )
    review_record(submission=submission, by=clinician, outcomes=["no_action"], note="")
    reminder = Reminder.objects.get(kind=Reminder.Kind.FOLLOW_UP, submission=submission)
    # The follow-up falls due (weeks later): claimed, then sent by the outbox code.
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.QUEUED, due_at=timezone.now()
    )
    assert delivery.reminder_deliver(reminder_id=reminder.pk).outcome == "sent"

    [email] = mailoutbox
    assert email.to == [PATIENT_DETAILS["email"].lower()]
    [link] = re.findall(rf"{re.escape(live_server.url)}/follow-up/\S+/", email.body)

    phone.goto(link)
    assert phone.url == link
    screenshot(phone, "journey-follow-up-symptoms")
    fill(phone, FOLLOW_UP_SYMPTOMS)
    submit(phone)
    assert phone.url == link + "urgent/"
    fill(phone, VALID_PAGES["urgent"])
    screenshot(phone, "journey-follow-up-urgent")
    submit(phone)
    assert phone.url.endswith("/follow-up/thank-you/")
    screenshot(phone, "journey-follow-up-thank-you")

    follow_up = Submission.objects.get(follow_up_of=submission)
    assert follow_up.kind == "follow_up"
    assert follow_up.patient_id == submission.patient_id
    assert phone.locator(".reference").inner_text() == follow_up.reference
