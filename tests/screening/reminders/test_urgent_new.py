"""An urgent submission tells the clinicians on duty at once
(screening/reminders/scheduling.py, `reminders_schedule_urgent_new`): one email each,
handed to a worker when the intake commits, with no health information."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import resolve
from django.utils import timezone

from screening.domain.intake import intake_submit
from screening.engine import contract
from screening.models import Reminder
from screening.reminders import scheduling
from tests.factories import SubmissionFactory
from tests.screening import reminder_support as support

pytestmark = pytest.mark.django_db

Kind = Reminder.Kind
URL = re.compile(r"https?://[^\s\"<>]+")


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def clinic(settings):
    settings.CLINIC_NAME = "Riverside Surgery"
    settings.SITE_URL = "https://intake.example.org"
    return settings


def _urgent(answers: dict) -> dict:
    code = sorted(contract.RED_FLAGS)[0]
    return {**answers, "red_flags": {**answers["red_flags"], code: True}}


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """Send an intake and run what waits for its commit (the hand-over to a worker)."""

    def send(answers: dict, patient_details: dict, key: str = "u" * 32):
        with django_capture_on_commit_callbacks(execute=True):
            return intake_submit(
                answers=answers,
                patient_details=patient_details,
                idempotency_key=key,
                language="en",
            )

    return send


def test_urgent_intake_emails_each_clinician_on_duty_at_once(
    clock, clinic, answers, patient_details, submit
):
    on_duty = [support.staff(name, support.CLINICIAN, support.ON_DUTY) for name in ("ada", "bo")]
    support.staff("off", support.CLINICIAN)
    support.staff("desk", support.RECEPTIONIST, support.ON_DUTY)

    submission = submit(_urgent(answers), patient_details)

    assert submission.level == "urgent"
    rows = Reminder.objects.filter(kind=Kind.URGENT_NEW).order_by("staff_user_id")
    assert [row.staff_user for row in rows] == on_duty
    assert [row.status for row in rows] == [Reminder.Status.SENT] * 2
    staff_mail = [message for message in mail.outbox if message.to != [patient_details["email"]]]
    assert sorted(message.to[0] for message in staff_mail) == [
        "ada@clinic.example",
        "bo@clinic.example",
    ]
    assert {message.subject for message in staff_mail} == {"An urgent submission is waiting"}


def test_urgent_notice_says_nothing_about_the_patient_and_links_the_submission(
    clock, clinic, answers, patient_details, submit
):
    support.staff("ada", support.CLINICIAN, support.ON_DUTY)

    submission = submit(_urgent(answers), patient_details)

    (message,) = [m for m in mail.outbox if m.to == ["ada@clinic.example"]]
    html = message.alternatives[0][0]
    link = f"https://intake.example.org/staff/submissions/{submission.public_id}/"
    assert link in URL.findall(message.body)
    assert f'href="{link}"' in html
    assert resolve(f"/staff/submissions/{submission.public_id}/").url_name == "submission"
    for text in (message.subject, message.body, html):
        assert submission.reference not in text
        assert patient_details["full_name"] not in text
        assert patient_details["email"].lower() not in text.lower()
        assert "B12" not in text


def test_sending_the_urgent_intake_twice_notifies_once(
    clock, clinic, answers, patient_details, submit
):
    support.staff("ada", support.CLINICIAN, support.ON_DUTY)

    first = submit(_urgent(answers), patient_details)
    again = submit(_urgent(answers), patient_details)

    assert again.pk == first.pk
    assert Reminder.objects.filter(kind=Kind.URGENT_NEW).count() == 1
    assert [m.to for m in mail.outbox].count(["ada@clinic.example"]) == 1


def test_a_routine_intake_notifies_nobody(clock, clinic, answers, patient_details, submit):
    support.staff("ada", support.CLINICIAN, support.ON_DUTY)

    submission = submit(answers, patient_details)

    assert submission.level != "urgent"
    assert not Reminder.objects.filter(kind=Kind.URGENT_NEW).exists()


def test_the_escalation_still_follows_when_nobody_picks_it_up(
    clock, clinic, answers, patient_details, submit, settings
):
    settings.ESCALATION_AFTER_MINUTES = 30
    support.staff("ada", support.CLINICIAN, support.ON_DUTY)
    submit(_urgent(answers), patient_details)

    clock.move_to(timezone.now() + datetime.timedelta(minutes=31), tick=False)
    scheduled = scheduling.reminders_schedule_escalations(now=timezone.now())

    assert scheduled == 1
    assert Reminder.objects.filter(kind=Kind.ESCALATION).count() == 1


def test_notice_is_cancelled_when_the_submission_was_picked_up_before_sending(
    clock, clinic, django_capture_on_commit_callbacks
):
    support.staff("ada", support.CLINICIAN, support.ON_DUTY)
    submission = SubmissionFactory(level="urgent", status="in_review")

    with django_capture_on_commit_callbacks(execute=True):
        with_ids = scheduling.reminders_schedule_urgent_new(submission=submission)

    row = Reminder.objects.get(pk=with_ids[0].pk)
    assert row.status == Reminder.Status.CANCELLED
    assert row.cancelled_reason != ""
    assert [m.to for m in mail.outbox] == []
