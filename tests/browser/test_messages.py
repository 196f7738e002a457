"""A message to the patient, end to end in Chromium (issue 14): the clinician sends it
from the record, the email's link opens the date-of-birth page on a phone, the patient
reads the message and replies, and the clinician sees the reply. Every patient page on
the way (the date of birth with its errors, the message, the reply sent, the locked
link, in English and Spanish) and the clinician's form pass axe-core."""

from __future__ import annotations

import copy
import importlib
import re
import uuid

import pytest

from screening.domain import messages
from screening.domain.intake import intake_submit
from screening.models import MessageTemplate, PatientMessage
from screening.reminders import links
from tests.browser.conftest import check_page
from tests.browser.helpers import fill, sign_in, submit
from tests.conftest import PATIENT_DETAILS, STAFF_PASSWORD, VALID_ANSWERS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BORN = {"dob_day": "3", "dob_month": "4", "dob_year": "1990"}  # PATIENT_DETAILS'
WRONG = {**BORN, "dob_day": "4"}


@pytest.fixture(autouse=True)
def message_templates():
    """The three templates the migration seeds, whatever an earlier test in this process
    left in the database (a test that flushed it, or edited a template in the admin)."""
    seed = importlib.import_module("screening.migrations.0011_messages")
    for name, body_en, body_es in seed.DEFAULT_TEMPLATES:
        MessageTemplate.objects.update_or_create(
            name=name, defaults={"body_en": body_en, "body_es": body_es, "active": True}
        )


def _submission(language: str = "en"):
    return intake_submit(
        answers=copy.deepcopy(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key=f"message-journey-{language}",
        language=language,
    )


def test_send_then_email_link_then_date_of_birth_then_read_and_reply(
    phone, desktop, clinician, live_server, mailoutbox, settings
):
    settings.SITE_URL = live_server.url
    submission = _submission()
    record = f"{live_server.url}/staff/submissions/{submission.public_id}/"

    sign_in(desktop, clinician, STAFF_PASSWORD)
    desktop.goto(record)
    with desktop.expect_navigation():
        desktop.get_by_role("link", name="Send a message").click()
    check_page(desktop, "message-staff-form")
    desktop.get_by_label("Please book a blood test").check()
    desktop.get_by_label("Your words (optional with a template)").fill("Mornings are best.")
    submit(desktop, "main form.message-form button[type=submit]")
    assert "Message sent" in desktop.get_by_role("status").first.inner_text()

    [email] = mailoutbox
    assert "Mornings" not in email.body and "blood test" not in email.body
    [link] = re.findall(rf"{re.escape(live_server.url)}/message/\S+/", email.body)

    phone.goto(link)
    check_page(phone, "message-date-of-birth")
    fill(phone, WRONG)
    submit(phone)
    assert "4 tries left" in phone.locator(".error-summary").inner_text()
    check_page(phone, "message-date-of-birth-wrong")
    fill(phone, BORN)
    submit(phone)
    assert phone.url == link + "read/"
    assert "Mornings are best." in phone.locator("main").inner_text()
    check_page(phone, "message-read")
    submit(phone, "main form button[type=submit]")  # an empty reply
    assert "Enter your reply" in phone.locator(".error-summary").inner_text()
    check_page(phone, "message-reply-error")
    phone.get_by_label("Your reply").fill("I will book for Monday.")
    submit(phone)
    assert "Your reply has been sent" in phone.locator("main").inner_text()
    check_page(phone, "message-replied")

    desktop.goto(record)
    section = desktop.locator("section[aria-labelledby=messages-heading]")
    assert "I will book for Monday." in section.inner_text()
    check_page(desktop, "message-staff-record-with-reply")
    assert PatientMessage.objects.get().reply == "I will book for Monday."


def test_the_locked_link_and_the_spanish_pages_pass_axe(phone, live_server, settings):
    settings.SITE_URL = live_server.url
    submission = _submission("es")
    message, _created = messages.message_send(
        submission=submission,
        by=None,
        address=None,
        public_id=uuid.uuid4(),
        template=MessageTemplate.objects.get(name="Please call us"),
        text="",
    )
    link = f"{live_server.url}/message/{links.reminder_link_token(message.reminder)}/"
    phone.goto(link)
    assert phone.locator("html").get_attribute("lang") == "es"
    check_page(phone, "message-date-of-birth-es")
    fill(phone, BORN)
    submit(phone)
    assert "Por favor, llame a la clínica" in phone.locator("main").inner_text()
    check_page(phone, "message-read-es")
    PatientMessage.objects.filter(pk=message.pk).update(locked_at=message.created_at)
    phone.goto(link)
    assert phone.locator("h1").inner_text() == "Este enlace está bloqueado"
    check_page(phone, "message-locked-es")
