"""Save and come back later, the same day: the link is emailed at once when the patient
saves (reminder kind intake_saved, through the outbox, at any hour), once per saved draft;
the later reminder (unfinished_intake) stays as it was. Either link opens the draft, and
using one uses both. The draft and the link outlive the browser's session by far."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from screening.models import EmailOptOut, IntakeDraft, Reminder
from screening.reminders import dispatch, links
from screening.reminders.recheck import (
    CANCELLED_DRAFT_RESUMED,
    CANCELLED_DRAFT_SUBMITTED,
    CANCELLED_UNSUBSCRIBED,
)
from tests.conftest import CONSENT_URL, DONE_URL, INTAKE_MOMENT, STEP_URLS, VALID_PAGES

LONDON = zoneinfo.ZoneInfo("Europe/London")
SAVED_URL = "/intake/saved/"
RESUME = re.compile(r"https?://[^/\s]+(/intake/resume/[^/\s\"<>]+/)")
Kind = Reminder.Kind
Status = Reminder.Status


def _save(journey, slug: str = "symptom-details-1", **changes):
    return journey.post(STEP_URLS[slug], {**VALID_PAGES[slug], **changes, "action": "save"})


def _saved_on_symptoms(journey):
    """Saved on the symptoms' details page: the urgent page comes next."""
    journey.answer("about-you")
    journey.answer("pregnancy")
    journey.answer("symptoms")
    assert _save(journey)["Location"] == SAVED_URL


def _dispatch(django_capture_on_commit_callbacks) -> dispatch.Dispatched:
    """Beat's every-minute dispatch, its sends run (Celery is eager in tests)."""
    with django_capture_on_commit_callbacks(execute=True):
        return dispatch.reminders_dispatch(now=timezone.now())


def _resume_path(message) -> str:
    [path] = set(RESUME.findall(message.body))
    assert f'href="{RESUME.search(message.body).group()}"' in message.alternatives[0][0]
    return path


@pytest.fixture
def late_evening(time_machine):
    """22:30 in the clinic: outside the patient email hours (08:00-20:00)."""
    time_machine.move_to(datetime.datetime(2025, 6, 15, 22, 30, tzinfo=LONDON), tick=False)


# --- Sent at once ---------------------------------------------------------------------------


def test_saving_emails_the_link_at_the_next_dispatch_and_keeps_the_later_reminder(
    journey, django_capture_on_commit_callbacks, settings
):
    _saved_on_symptoms(journey)
    link = Reminder.objects.get(kind=Kind.INTAKE_SAVED)
    later = Reminder.objects.get(kind=Kind.UNFINISHED_INTAKE)
    assert link.due_at == timezone.now()
    assert later.due_at == timezone.now() + datetime.timedelta(
        hours=settings.UNFINISHED_INTAKE_REMINDER_HOURS
    )

    dispatched = _dispatch(django_capture_on_commit_callbacks)

    assert dispatched.claimed == 1
    [message] = mail.outbox
    assert message.to == ["ann.example@example.com"]
    assert message.subject == "Your link to come back to your form – Your clinic"
    assert "You asked Your clinic to save your form so you can finish it later." in message.body
    assert _resume_path(message).startswith("/intake/resume/")
    link.refresh_from_db()
    later.refresh_from_db()
    assert (link.status, later.status) == (Status.SENT, Status.PENDING)


def test_the_link_goes_at_any_hour_while_reminders_wait_for_the_email_hours(
    journey, late_evening, django_capture_on_commit_callbacks
):
    """The patient asked for it, and the answers in their browser last two hours: it is
    not held until 08:00 like a reminder."""
    _saved_on_symptoms(journey)

    dispatched = _dispatch(django_capture_on_commit_callbacks)

    assert (dispatched.claimed, dispatched.deferred) == (1, 0)
    assert len(mail.outbox) == 1
    assert Reminder.objects.get(kind=Kind.INTAKE_SAVED).status == Status.SENT
    # The later reminder, when it falls due at night, still waits for the morning.
    later = Reminder.objects.get(kind=Kind.UNFINISHED_INTAKE)
    Reminder.objects.filter(pk=later.pk).update(due_at=timezone.now())
    assert _dispatch(django_capture_on_commit_callbacks).deferred == 1
    later.refresh_from_db()
    assert later.due_at == datetime.datetime(2025, 6, 16, 8, 0, tzinfo=LONDON)


def test_the_email_carries_no_answers_and_no_name(
    journey, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://intake.example.org"
    _saved_on_symptoms(journey)
    _dispatch(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    everything = "\n".join([message.subject, message.body, message.alternatives[0][0]]).lower()
    without_links = re.sub(r"https?://\S+", "", everything)
    for word in ("ann example", "example.com", "tired", "numb", "b12", "vitamin", "symptom"):
        assert word not in without_links, word
    assert "stop these emails" in everything  # the one-click unsubscribe, as every patient email


# --- Once per saved draft ---------------------------------------------------------------------


def test_saving_again_sends_no_second_email_and_the_page_says_when_it_was_sent(
    journey, time_machine, django_capture_on_commit_callbacks
):
    _saved_on_symptoms(journey)
    page = journey.get(SAVED_URL).content.decode()
    assert "We are sending an email now to the address you gave us" in page
    _dispatch(django_capture_on_commit_callbacks)
    page = journey.get(SAVED_URL).content.decode()
    assert "We have sent an email to the address you gave us" in page

    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(minutes=20), tick=False)
    journey.get(STEP_URLS["urgent"])
    assert _save(journey, "urgent")["Location"] == SAVED_URL
    _dispatch(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    assert Reminder.objects.filter(kind=Kind.INTAKE_SAVED).count() == 1
    page = journey.get(SAVED_URL).content.decode()
    assert "We sent an email to the address you gave us at 12:00" in page
    assert "so we have not sent another email" in page
    # The link sent at 12:00 opens what was saved at 12:20.
    browser = Client()
    assert browser.post(_resume_path(mail.outbox[0]))["Location"] == STEP_URLS["risk-factors"]


def test_saving_twice_before_the_dispatch_sends_one_email(
    journey, django_capture_on_commit_callbacks
):
    _saved_on_symptoms(journey)
    journey.get(STEP_URLS["urgent"])
    _save(journey, "urgent")
    assert "We are sending an email now" in journey.get(SAVED_URL).content.decode()

    _dispatch(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1


def test_saved_page_says_so_when_the_email_could_not_be_sent(
    journey, django_capture_on_commit_callbacks
):
    journey.answer("about-you")
    EmailOptOut.objects.create(email="ann.example@example.com")  # this address unsubscribed earlier
    journey.answer("pregnancy")
    journey.answer("symptoms")
    _save(journey)
    _dispatch(django_capture_on_commit_callbacks)

    assert mail.outbox == []
    link = Reminder.objects.get(kind=Kind.INTAKE_SAVED)
    assert (link.status, link.cancelled_reason) == (Status.CANCELLED, CANCELLED_UNSUBSCRIBED)
    page = journey.get(SAVED_URL).content.decode()
    assert "We could not send the email with the link to the address you gave us." in page
    assert "check your spam" not in page


# --- Resumed the same day ---------------------------------------------------------------------


def test_the_emailed_link_works_later_the_same_day_after_the_session_has_ended(
    journey, time_machine, django_capture_on_commit_callbacks, settings
):
    """Saved at noon, the browser's answers gone after SESSION_COOKIE_AGE (two hours):
    at six the emailed link brings them back, and the form is sent."""
    _saved_on_symptoms(journey)
    _dispatch(django_capture_on_commit_callbacks)
    path = _resume_path(mail.outbox[0])

    evening = INTAKE_MOMENT + datetime.timedelta(hours=6)
    assert evening - INTAKE_MOMENT > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert evening.date() == INTAKE_MOMENT.date()
    time_machine.move_to(evening, tick=False)
    assert journey.get(STEP_URLS["urgent"])["Location"] == CONSENT_URL  # session over

    journey.client = Client()  # the browser opened from the email
    assert journey.get(path).status_code == 200
    assert journey.post(path, {})["Location"] == STEP_URLS["urgent"]
    for slug in ("urgent", "risk-factors", "blood-tests", "anything-else"):
        journey.answer(slug)
    assert journey.submit()["Location"] == DONE_URL
    assert IntakeDraft.objects.get().submitted_at is not None


def test_using_the_emailed_link_uses_the_later_reminders_link_and_cancels_it(
    journey, time_machine, django_capture_on_commit_callbacks
):
    _saved_on_symptoms(journey)
    _dispatch(django_capture_on_commit_callbacks)
    path = _resume_path(mail.outbox[0])
    Client().post(path)

    later = Reminder.objects.get(kind=Kind.UNFINISHED_INTAKE)
    later_path = f"/intake/resume/{links.reminder_link_token(later)}/"
    response = Client().get(later_path)
    assert response.status_code == 410
    assert "This link has already been used" in response.content.decode()

    time_machine.move_to(later.due_at, tick=False)
    _dispatch(django_capture_on_commit_callbacks)
    later.refresh_from_db()
    assert (later.status, later.cancelled_reason) == (Status.CANCELLED, CANCELLED_DRAFT_RESUMED)
    assert len(mail.outbox) == 1


def test_using_the_later_reminders_link_uses_the_emailed_one_too(
    journey, django_capture_on_commit_callbacks
):
    _saved_on_symptoms(journey)
    _dispatch(django_capture_on_commit_callbacks)
    later = Reminder.objects.get(kind=Kind.UNFINISHED_INTAKE)
    assert Client().post(f"/intake/resume/{links.reminder_link_token(later)}/").status_code == 302

    response = Client().post(_resume_path(mail.outbox[0]))
    assert response.status_code == 410
    assert "This link has already been used" in response.content.decode()


def test_the_link_is_not_sent_when_the_form_was_sent_before_the_dispatch(
    journey, django_capture_on_commit_callbacks
):
    journey.answer_all()
    _save(journey, "anything-else")
    journey.submit()

    _dispatch(django_capture_on_commit_callbacks)

    # Only the confirmation that the form was sent (docs/intake.md), no resume link.
    assert [email for email in mail.outbox if "/intake/resume/" in email.body] == []
    assert Reminder.objects.filter(kind=Kind.CONFIRMATION, status=Status.SENT).count() == 1
    link = Reminder.objects.get(kind=Kind.INTAKE_SAVED)
    assert (link.status, link.cancelled_reason) == (Status.CANCELLED, CANCELLED_DRAFT_SUBMITTED)


def test_the_link_email_is_in_the_language_the_patient_saved_in(
    journey, django_capture_on_commit_callbacks, settings
):
    journey.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    _saved_on_symptoms(journey)
    page = journey.get(SAVED_URL).content.decode()
    assert "Ahora le estamos enviando un correo electrónico a la dirección que nos dio" in page

    _dispatch(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.subject == "Su enlace para volver a su formulario – Your clinic"
    assert "Pidió a Your clinic que guardara su formulario" in message.body


# --- How long things last ------------------------------------------------------------------------


def test_the_draft_and_the_link_last_far_longer_than_the_session(settings):
    session = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert session <= datetime.timedelta(hours=2)
    assert datetime.timedelta(days=settings.INTAKE_DRAFT_DAYS) >= datetime.timedelta(days=1)
    assert datetime.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS) >= datetime.timedelta(
        days=settings.INTAKE_DRAFT_DAYS
    )


def test_either_link_names_its_reminder_to_the_resume_page(journey):
    _saved_on_symptoms(journey)
    for kind in (Kind.INTAKE_SAVED, Kind.UNFINISHED_INTAKE):
        reminder = Reminder.objects.get(kind=kind)
        assert (
            links.reminder_from_token(links.reminder_link_token(reminder), kind=links.RESUME_KINDS)
            == reminder
        )
