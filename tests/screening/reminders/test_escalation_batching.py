"""Urgent escalations from one client are batched (screening/reminders/scheduling.py,
recheck.py, emails.py): many urgent submissions from one client (the same client tag: one
address within one clock hour) make one email per clinician on duty, which says how many
wait and nothing about whom; one from the same client after the clinic has picked up all
the earlier ones gets an email of its own; submissions without a tag (an EHR's, a
follow-up) are escalated one by one as before. Client tags are cleared after a day."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from screening import tasks
from screening.models import Reminder, Submission
from screening.reminders import delivery, scheduling
from tests.conftest import ALL_NO_RED_FLAGS, STEP_URLS, Journey
from tests.factories import SubmissionFactory
from tests.screening import reminder_support as support
from tests.screening.reminder_support import NOON

pytestmark = pytest.mark.django_db

Status = Reminder.Status
Kind = Reminder.Kind
TAG = "a" * 32
OTHER_TAG = "b" * 32


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def on_duty(settings):
    settings.ESCALATION_AFTER_MINUTES = 60
    settings.SITE_URL = "https://intake.example.org"
    return [
        support.staff("first", support.CLINICIAN, support.ON_DUTY),
        support.staff("second", support.CLINICIAN, support.ON_DUTY),
    ]


def _urgent(tag: str = "", minutes_ago: int = 90, **fields) -> Submission:
    return SubmissionFactory(
        level="urgent",
        status=fields.pop("status", "new"),
        submitted_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        client_tag=tag,
        **fields,
    )


def _send_due() -> list:
    """Queue and deliver every pending escalation; the emails sent."""
    mail.outbox = []
    for reminder in Reminder.objects.filter(status=Status.PENDING).order_by("pk"):
        support.queued(reminder)
        delivery.reminder_deliver(reminder_id=reminder.pk)
    return list(mail.outbox)


def test_many_urgent_submissions_from_one_client_make_one_email_per_clinician(clock, on_duty):
    flood = [_urgent(TAG, minutes_ago=120 - n) for n in range(5)]
    other_client = _urgent(OTHER_TAG)
    from_an_ehr = _urgent("")

    scheduled = scheduling.reminders_schedule_escalations(now=timezone.now())

    assert scheduled == 3 * len(on_duty)  # one email per client per clinician
    assert Reminder.objects.filter(kind=Kind.ESCALATION).count() == 7 * len(on_duty)
    leaders = Reminder.objects.filter(status=Status.PENDING)
    assert {row.submission_id for row in leaders} == {flood[0].pk, other_client.pk, from_an_ehr.pk}
    batched = Reminder.objects.filter(status=Status.CANCELLED)
    assert {row.submission_id for row in batched} == {s.pk for s in flood[1:]}
    assert {row.cancelled_reason for row in batched} == {scheduling.CANCELLED_BATCHED}

    sent = _send_due()

    assert len(sent) == 3 * len(on_duty)
    subjects = sorted(message.subject for message in sent if message.to == [on_duty[0].email])
    assert subjects == [
        "5 urgent submissions from one connection are waiting",
        "An urgent submission has waited over 60 minutes",
        "An urgent submission has waited over 60 minutes",
    ]


def test_the_batched_email_says_how_many_and_nothing_about_whom(clock, on_duty):
    flood = [_urgent(TAG, minutes_ago=100 - n) for n in range(3)]
    scheduling.reminders_schedule_escalations(now=timezone.now())

    message = _send_due()[0]

    assert message.subject == "3 urgent submissions from one connection are waiting"
    assert (
        "3 urgent submissions sent from one internet connection are waiting to be picked up; "
        "the first has waited over 60 minutes." in " ".join(message.body.split())
    )
    assert "https://intake.example.org/staff/" in message.body
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert TAG not in text
        for submission in flood:
            assert submission.reference not in text
            assert str(submission.public_id) not in text
            assert submission.patient.full_name not in text
            assert submission.patient.email not in text


def test_more_from_the_same_client_while_the_first_waits_send_no_new_email(clock, on_duty):
    _urgent(TAG, minutes_ago=120)
    scheduling.reminders_schedule_escalations(now=timezone.now())
    assert len(_send_due()) == len(on_duty)

    _urgent(TAG, minutes_ago=65)
    _urgent(TAG, minutes_ago=61)

    assert scheduling.reminders_schedule_escalations(now=timezone.now()) == 0
    assert _send_due() == []


def test_one_from_the_same_client_after_the_clinic_picked_up_the_others_is_emailed(clock, on_duty):
    first = _urgent(TAG, minutes_ago=120)
    scheduling.reminders_schedule_escalations(now=timezone.now())
    _send_due()
    Submission.objects.filter(pk=first.pk).update(status="in_review")

    _urgent(TAG, minutes_ago=61)

    assert scheduling.reminders_schedule_escalations(now=timezone.now()) == len(on_duty)
    assert [m.subject for m in _send_due()] == [
        "An urgent submission has waited over 60 minutes"
    ] * len(on_duty)


def test_the_email_counts_what_still_waits_when_it_is_sent(clock, on_duty):
    flood = [_urgent(TAG, minutes_ago=120 - n) for n in range(4)]
    scheduling.reminders_schedule_escalations(now=timezone.now())
    # The first (whose row carries the email) and one more are picked up before it goes.
    Submission.objects.filter(pk__in=[flood[0].pk, flood[2].pk]).update(status="in_review")

    assert {m.subject for m in _send_due()} == {
        "2 urgent submissions from one connection are waiting"
    }


def test_the_email_is_cancelled_when_the_clinic_picked_them_all_up_first(clock, on_duty):
    flood = [_urgent(TAG, minutes_ago=120 - n) for n in range(3)]
    scheduling.reminders_schedule_escalations(now=timezone.now())
    Submission.objects.filter(pk__in=[s.pk for s in flood]).update(status="in_review")

    assert _send_due() == []
    reasons = set(
        Reminder.objects.filter(submission=flood[0]).values_list("status", "cancelled_reason")
    )
    assert reasons == {(Status.CANCELLED, "no_longer_waiting")}


def test_untagged_submissions_are_escalated_one_by_one_as_before(clock, on_duty):
    for _ in range(3):
        _urgent("")

    assert scheduling.reminders_schedule_escalations(now=timezone.now()) == 3 * len(on_duty)
    assert len(_send_due()) == 3 * len(on_duty)


def test_from_the_intake_urgent_submissions_of_one_address_make_one_email_each_clinician(
    client, clock, on_duty, settings
):
    """The issue's case end to end: several red-flag intakes from one address (each in a
    new session) within the stored-intake limit, escalated an hour later."""
    settings.INTAKE_SUBMIT_RATE_LIMIT = "10/h"
    for minute in range(0, 30, 5):
        clock.move_to(NOON + datetime.timedelta(minutes=minute), tick=False)
        patient = Journey(Client(REMOTE_ADDR="203.0.113.30"))
        patient.answer_all(until="urgent")
        response = patient.post(STEP_URLS["urgent"], {**ALL_NO_RED_FLAGS, "chest_pain": "yes"})
        assert response.status_code == 302
    assert Submission.objects.filter(level="urgent").count() == 6
    # The notice at once (`reminders_schedule_urgent_new`) is batched the same way: one
    # per clinician for the six; the others are stored cancelled.
    notices = Reminder.objects.filter(kind=Kind.URGENT_NEW)
    assert notices.exclude(status=Status.CANCELLED).count() == len(on_duty)
    assert notices.filter(cancelled_reason=scheduling.CANCELLED_BATCHED).count() == 5 * len(on_duty)
    notices.filter(status=Status.PENDING).update(status=Status.SENT)  # what the worker did

    clock.move_to(NOON + datetime.timedelta(minutes=95), tick=False)
    tasks.reminders_schedule_escalations.delay().get()
    sent = _send_due()

    assert sorted(message.to[0] for message in sent) == sorted(user.email for user in on_duty)
    assert {message.subject for message in sent} == {
        "6 urgent submissions from one connection are waiting"
    }


def test_client_tags_are_cleared_after_a_day(clock):
    old = _urgent(TAG, minutes_ago=24 * 60 + 1)
    recent = _urgent(TAG, minutes_ago=24 * 60 - 1)

    assert scheduling.client_tags_clear(now=timezone.now()) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.client_tag, recent.client_tag) == ("", TAG)


def test_the_periodic_task_clears_old_tags_and_escalates_once(clock, on_duty):
    old = _urgent(TAG, minutes_ago=2 * 24 * 60)
    _urgent(TAG, minutes_ago=2 * 24 * 60 - 1)

    assert tasks.reminders_schedule_escalations.delay().get() == len(on_duty)
    old.refresh_from_db()
    assert old.client_tag == ""
    # With the tags gone, the batched one is still known as escalated: no second email.
    assert tasks.reminders_schedule_escalations.delay().get() == 0
