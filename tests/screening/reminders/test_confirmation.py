"""The confirmation email (issue 13): sent at once when a patient who gave an email and
agreed to be emailed sends their form, once per submission, with the reference, what
happens next, when the clinic aims to reply and what to do if they feel worse; no
health information. Through the outbox: a row, claimed after the commit, sent by a worker
(eager here), re-checked at send time like every patient email."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from screening import tasks
from screening.domain.intake import intake_send
from screening.models import EmailOptOut, Reminder, Submission
from screening.reminders import dispatch, scheduling
from tests.conftest import DONE_URL, INTAKE_MOMENT
from tests.screening import reminder_support as support

Kind = Reminder.Kind
Status = Reminder.Status


@pytest.fixture
def clinic(settings):
    settings.CLINIC_NAME = "Riverside Surgery"
    settings.CLINIC_PHONE = "01632 960 999"
    settings.SITE_URL = "https://intake.example.org"
    settings.CLINIC_REPLY_WORKING_DAYS = 3
    return settings


def _send(journey, django_capture_on_commit_callbacks, **about_you):
    """Answer every page and press Send, running what waits for the commit (the
    confirmation's claim and its hand-over to the worker, eager here)."""
    journey.answer_all()
    if about_you:
        journey.answer("about-you", **about_you)
    key = journey.idempotency_key()
    with django_capture_on_commit_callbacks(execute=True):
        response = journey.submit(key)
    assert response["Location"] == DONE_URL
    return key


def test_sending_the_form_emails_a_confirmation_at_once(
    journey, clinic, django_capture_on_commit_callbacks
):
    _send(journey, django_capture_on_commit_callbacks)

    submission = Submission.objects.get()
    reminder = Reminder.objects.get(kind=Kind.CONFIRMATION)
    assert (reminder.status, reminder.submission, reminder.key) == (
        Status.SENT,
        submission,
        f"confirmation:{submission.public_id}",
    )
    (message,) = mail.outbox
    assert message.to == ["ann.example@example.com"]
    assert message.subject == "Riverside Surgery has received your form"
    text, html = message.body, message.alternatives[0][0]
    for part in (text, html):
        assert submission.reference in part
        assert "A clinician at Riverside Surgery will look at your answers." in part
        assert "The clinic aims to reply within 3 working days." in part
    assert "contact the clinic on 01632 960 999, or call 111 for advice" in text
    assert "you feel very unwell, call 999 now." in text
    assert "https://intake.example.org/privacy/" in text
    # The HTML part: the numbers are tel: links, the privacy notice a link.
    assert '<a href="tel:01632960999" class="tel">01632 960 999</a>' in html
    assert '<a href="tel:999" class="tel">999</a>' in html
    assert '<a href="tel:111" class="tel">111</a>' in html
    assert '<a href="https://intake.example.org/privacy/">' in html


def test_the_confirmation_says_nothing_of_the_answers(
    journey, clinic, django_capture_on_commit_callbacks
):
    _send(journey, django_capture_on_commit_callbacks)

    submission = Submission.objects.get()
    (message,) = mail.outbox
    for part in (message.subject, message.body, message.alternatives[0][0]):
        words = part.replace(submission.reference, "<reference>").lower()
        for forbidden in (
            "ann",
            "example.com",
            "01632 960 001",  # the patient's phone (the clinic's is 960 999)
            "b12",
            "tired",
            "fatigue",
            "numb",
            "vegan",
            "metformin",
            "routine",
            "review soon",
            "urgent",
            "no flag",
            "level",
        ):
            assert re.search(rf"\b{re.escape(forbidden)}", words) is None, forbidden


def test_in_spanish_when_the_form_was_sent_in_spanish(
    journey, clinic, django_capture_on_commit_callbacks
):
    journey.client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    _send(journey, django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    assert Reminder.objects.get(kind=Kind.CONFIRMATION).language == "es"
    assert message.subject == "Riverside Surgery ha recibido su formulario"
    assert "La clínica intentará responderle en un plazo de 3 días hábiles." in message.body
    assert "Cómo usamos su información (aviso de privacidad):" in message.body
    assert "working days" not in message.body


def test_a_double_submit_sends_it_once(
    journey, clinic, answers, patient_details, django_capture_on_commit_callbacks
):
    key = _send(journey, django_capture_on_commit_callbacks)
    # The same POST again (a double click, or a retry after a lost response) ...
    with django_capture_on_commit_callbacks(execute=True):
        assert journey.submit(key)["Location"] == DONE_URL
    # ... and the service itself called twice with the key: the row is stored once.
    submission = Submission.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        again = intake_send(
            answers=answers,
            patient_details=patient_details,
            idempotency_key=key,
            language="en",
            saved_draft=None,
        )
    assert again == submission
    assert Reminder.objects.filter(kind=Kind.CONFIRMATION).count() == 1
    assert len(mail.outbox) == 1


def test_without_consent_to_emails_there_is_no_confirmation(
    journey, clinic, django_capture_on_commit_callbacks
):
    _send(journey, django_capture_on_commit_callbacks, contact_consent="no")

    assert Submission.objects.get().care_consent_at is not None  # care: agreed anyway
    assert not Reminder.objects.filter(kind=Kind.CONFIRMATION).exists()
    assert mail.outbox == []


def test_an_urgent_intake_gets_one_confirmation_when_it_is_sent(
    journey, clinic, django_capture_on_commit_callbacks
):
    journey.answer_all(until="urgent")
    with django_capture_on_commit_callbacks(execute=True):
        journey.answer("urgent", chest_pain="yes")
    assert not Reminder.objects.filter(kind=Kind.CONFIRMATION).exists()  # not sent yet

    journey.answer_all()
    with django_capture_on_commit_callbacks(execute=True):
        journey.submit()

    assert Reminder.objects.get(kind=Kind.CONFIRMATION).status == Status.SENT
    assert len(mail.outbox) == 1


def test_it_goes_at_night_too(journey, clinic, time_machine, django_capture_on_commit_callbacks):
    """Outside the patient email hours (08:00-20:00): the patient is waiting for it."""
    time_machine.move_to(INTAKE_MOMENT.replace(hour=23, minute=30), tick=False)
    _send(journey, django_capture_on_commit_callbacks)

    assert Reminder.objects.get(kind=Kind.CONFIRMATION).status == Status.SENT
    assert len(mail.outbox) == 1


def test_an_unsubscribed_address_gets_none(journey, clinic, django_capture_on_commit_callbacks):
    EmailOptOut.objects.create(email="ann.example@example.com")
    _send(journey, django_capture_on_commit_callbacks)

    reminder = Reminder.objects.get(kind=Kind.CONFIRMATION)
    assert (reminder.status, reminder.cancelled_reason) == (Status.CANCELLED, "unsubscribed")
    assert mail.outbox == []


def test_a_broker_that_refuses_leaves_the_row_to_the_next_dispatch(
    journey, clinic, monkeypatch, django_capture_on_commit_callbacks
):
    """The submission is stored whatever happens to the hand-over: the row goes back to
    pending and the every-minute dispatch sends it."""

    def refuse(reminder_ids):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.reminders_send, "delay", refuse)
    _send(journey, django_capture_on_commit_callbacks)

    assert Submission.objects.get().is_complete
    assert Reminder.objects.get(kind=Kind.CONFIRMATION).status == Status.PENDING
    assert mail.outbox == []

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.reminders_dispatch().claimed == 1
    assert Reminder.objects.get(kind=Kind.CONFIRMATION).status == Status.SENT
    assert len(mail.outbox) == 1


def test_a_failure_after_the_commit_does_not_fail_the_send(
    journey, clinic, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    """The hand-over runs after the commit, robustly: a database error there is logged,
    the patient still gets the confirmation page, and the dispatch sends the row."""

    def broken(reminder_ids):
        raise RuntimeError("database went away")

    monkeypatch.setattr(dispatch, "_claim_and_publish", broken)
    _send(journey, django_capture_on_commit_callbacks)

    assert Reminder.objects.get(kind=Kind.CONFIRMATION).status == Status.PENDING
    assert any("database went away" in str(record.exc_info) for record in caplog.records)


def test_scheduling_twice_stores_once_and_hands_over_once(
    db, django_capture_on_commit_callbacks, time_machine
):
    support.frozen_at(time_machine)
    submission = support.decided().submission
    with django_capture_on_commit_callbacks() as callbacks:
        first = scheduling.reminder_schedule_confirmation(submission=submission)
        second = scheduling.reminder_schedule_confirmation(submission=submission)
    assert first == second
    assert len(callbacks) == 1
    assert first.due_at <= datetime.datetime.now(datetime.UTC)
