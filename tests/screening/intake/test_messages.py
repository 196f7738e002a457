"""A message from the clinic, as the patient meets it (issue 14): the email's link, the
date of birth (five tries, then the link locks), the message, one reply; in English and
Spanish, with the error summary and the field's message, nothing lost or stored twice."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from screening.domain import messages
from screening.models import AuditEvent, MessageTemplate, PatientMessage, Submission
from screening.reminders import emails, links
from tests.conftest import page_text
from tests.factories import PatientFactory, ReminderFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

BORN = {"dob_day": "1", "dob_month": "1", "dob_year": "1980"}
WRONG = {"dob_day": "2", "dob_month": "1", "dob_year": "1980"}
SECRET_WORDS = "Ask for Dr Lee <b>about the results</b>"


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def clinic(settings):
    settings.CLINIC_NAME = "Riverside Surgery"
    settings.CLINIC_PHONE = "01632 960 999"
    settings.SITE_URL = "https://intake.example.org"
    settings.REMINDER_LINK_MAX_AGE_DAYS = 30
    return settings


def _message(language: str = "en") -> PatientMessage:
    submission = SubmissionFactory(
        patient=PatientFactory(date_of_birth=datetime.date(1980, 1, 1), language=language),
        status=Submission.Status.REVIEWED,
    )
    message, _created = messages.message_send(
        submission=submission,
        by=UserFactory(),
        address=None,
        public_id=uuid.uuid4(),
        template=MessageTemplate.objects.get(name="Please call us"),
        text=SECRET_WORDS,
    )
    return message


@pytest.fixture
def message(frozen_day, clinic) -> PatientMessage:
    return _message()


@pytest.fixture
def url(message) -> str:
    return f"/message/{links.reminder_link_token(message.reminder)}/"


def _unlock(client, url):
    response = client.post(url, BORN)
    assert response.status_code == 302
    assert response["Location"] == url + "read/"
    return url + "read/"


# --- The email ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_email_says_there_is_a_message_and_links_to_it_without_its_text(
    frozen_day, clinic, language, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _message(language)
    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert email.to == [message.submission.patient.email]
    expected_subject = {
        "en": "You have a message from Riverside Surgery",
        "es": "Tiene un mensaje de Riverside Surgery",
    }[language]
    assert email.subject == expected_subject
    for part in (email.body, html):
        assert "https://intake.example.org/message/" in part
        assert "Dr Lee" not in part and "results" not in part.lower()
        assert message.submission.patient.full_name not in part
        assert message.submission.reference not in part
    for body in MessageTemplate.objects.values_list("body_en", "body_es"):
        assert body[0] not in email.body and body[1] not in email.body
    token = email.body.split("/message/")[1].split("/")[0]
    assert links.reminder_from_token(token, kind="clinic_message").pk == message.reminder.pk


def test_the_email_builder_names_the_link_days(message):
    email = emails.clinic_message(message.reminder)
    assert "The link works for 30 days." in email.body


# --- The date of birth ------------------------------------------------------------------


def test_the_link_asks_for_the_date_of_birth_and_notes_the_opening(client, url, message):
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "You have a message from the clinic" in page
    assert 'name="dob_day"' in page
    assert "Dr Lee" not in page
    message.refresh_from_db()
    assert message.opened_at is not None
    assert AuditEvent.objects.filter(what="message.link_opened").count() == 1


def test_the_right_date_opens_the_message_escaped(client, url):
    read_url = _unlock(client, url)
    page = client.get(read_url).content.decode()
    assert "Ask for Dr Lee &lt;b&gt;about the results&lt;/b&gt;" in page
    assert "<b>about" not in page
    assert "Please call the clinic when you can." in page
    assert 'name="reply"' in page


def test_the_message_page_needs_the_date_of_birth_first(client, url):
    response = client.get(url + "read/")
    assert (response.status_code, response["Location"]) == (302, url)


def test_another_browser_must_give_the_date_again(client, url):
    _unlock(client, url)
    other = type(client)()
    assert other.get(url + "read/")["Location"] == url


@pytest.mark.parametrize(
    ("posted", "message_text"),
    [
        ({}, "Enter your date of birth"),
        ({**BORN, "dob_month": "13"}, "Date of birth must be a real date"),
        ({**BORN, "dob_year": "80"}, "Year must include 4 numbers"),
    ],
)
def test_an_unreadable_date_is_said_by_the_field_and_counts_no_try(
    client, url, message, posted, message_text
):
    response = client.post(url, posted)
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert page.count(message_text) == 2  # the summary and the field
    message.refresh_from_db()
    assert message.failed_attempts == 0


def test_five_wrong_dates_lock_the_link_and_say_to_call(client, url, message):
    for left in (4, 3, 2, 1):
        page = client.post(url, WRONG).content.decode()
        assert f"({left} tries left)" in page
        assert "There is a problem" in page
    page = page_text(client.post(url, WRONG).content.decode())
    assert "This link is locked" in page
    assert "Please call the clinic on 01632 960 999 to hear your message." in page
    # Locked for good: the right date, a new browser, the message page.
    assert "This link is locked" in client.post(url, BORN).content.decode()
    assert "This link is locked" in type(client)().get(url).content.decode()
    assert "This link is locked" in client.get(url + "read/").content.decode()
    message.refresh_from_db()
    assert message.locked_at is not None and message.read_at is None
    assert AuditEvent.objects.filter(what="message.locked").count() == 1


def test_an_altered_link_says_so(client, url):
    response = client.get(url[:-3] + "xx/")
    assert response.status_code == 400
    assert "To hear your message from the clinic, call them on" in response.content.decode()


def test_an_expired_link_says_so(client, url, time_machine):
    time_machine.shift(datetime.timedelta(days=31))
    response = client.get(url)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_a_follow_up_link_does_not_open_a_message(client, message):
    token = links.reminder_link_token(ReminderFactory(kind="follow_up"))
    assert client.get(f"/message/{token}/").status_code == 400


# --- The reply --------------------------------------------------------------------------


def test_the_reply_lands_on_the_message_once(client, url, message):
    read_url = _unlock(client, url)
    response = client.post(read_url, {"reply": "I will call <on> Monday."})
    assert (response.status_code, response["Location"]) == (302, read_url)
    page = client.get(read_url).content.decode()
    assert "Your reply has been sent" in page
    assert "I will call &lt;on&gt; Monday." in page
    assert 'name="reply"' not in page
    # The same form posted again (a double submit), or a second reply: stored once.
    page = client.post(read_url, {"reply": "Something else"}).content.decode()
    assert "You have already replied" in page
    message.refresh_from_db()
    assert message.reply == "I will call <on> Monday."
    assert AuditEvent.objects.filter(what="message.reply").count() == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [("   ", "Enter your reply"), ("x" * 1001, "Your reply must be 1,000 characters or fewer")],
)
def test_a_bad_reply_keeps_the_text_and_says_why(client, url, message, reply, error):
    read_url = _unlock(client, url)
    page = client.post(read_url, {"reply": reply}).content.decode()
    assert "There is a problem" in page
    assert page.count(error) == 2
    if reply.strip():
        assert reply in page  # never a lost answer
    message.refresh_from_db()
    assert message.replied_at is None


# --- In Spanish -------------------------------------------------------------------------


def test_a_spanish_patient_reads_and_replies_in_spanish(frozen_day, clinic, client):
    message = _message("es")
    url = f"/message/{links.reminder_link_token(message.reminder)}/"
    page = client.get(url).content.decode()
    assert '<html lang="es"' in page
    assert "Tiene un mensaje de la clínica" in page
    page = client.post(url, WRONG).content.decode()
    assert "Hay un problema" in page
    assert "le quedan 4 intentos" in page
    read_url = _unlock(client, url)
    page = client.get(read_url).content.decode()
    assert "Por favor, llame a la clínica cuando pueda." in page
    assert "Responder a la clínica" in page
    page = client.post(read_url, {"reply": ""}).content.decode()
    assert "Escriba su respuesta" in page
    client.post(read_url, {"reply": "Llamaré el lunes."})
    page = client.get(read_url).content.decode()
    assert "Su respuesta se ha enviado" in page


def test_a_message_link_does_not_open_a_follow_up_or_a_saved_intake(client, message):
    token = links.reminder_link_token(message.reminder)
    assert client.get(f"/follow-up/{token}/").status_code == 400
    assert client.get(f"/intake/resume/{token}/").status_code == 400


def test_a_leaked_link_shows_nothing_about_the_patient_before_the_date(client, url, message):
    patient = message.submission.patient
    page = client.get(url).content.decode()
    for secret in (patient.full_name, patient.email, message.submission.reference, "1 1 1980"):
        assert secret not in page
    assert client.get(url).headers["Referrer-Policy"] == "strict-origin"
