"""The daily digest's overdue tasks: counts for the clinic and the recipient, and links to
the recipient's overdue tasks by opaque id; never a reference, a kind of task, a name or a
note (no health information in an email)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from screening.models import Reminder
from screening.reminders import delivery, emails, scheduling
from tests.factories import TaskFactory, UserFactory
from tests.screening import reminder_support as support

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def clinic(settings):
    settings.SITE_URL = "https://intake.example.org"
    return settings


def _digest_for(user) -> emails.EmailMultiAlternatives:
    scheduling.reminders_schedule_digest(now=timezone.now())
    reminder = Reminder.objects.get(staff_user=user)
    now = timezone.now()
    return emails.digest(
        reminder,
        **delivery.digest_numbers(now),
        **delivery.digest_tasks(user.pk, timezone.localdate(now)),
    )


def test_digest_counts_and_links_overdue_tasks(clock, clinic):
    doc = support.staff("doc", support.CLINICIAN)
    today = timezone.localdate()
    mine = TaskFactory(owner=doc, due_on=today - datetime.timedelta(days=3), note="")
    TaskFactory(owner=doc, due_on=today)  # due today: not overdue
    colleagues = TaskFactory(owner=UserFactory(), due_on=today - datetime.timedelta(days=1))
    TaskFactory(owner=doc, due_on=today - datetime.timedelta(days=9), closed_at=timezone.now())

    message = _digest_for(doc)

    html = message.alternatives[0][0]
    assert "Overdue tasks at the clinic: 2. Yours: 1." in message.body
    link = f"https://intake.example.org/staff/tasks/{mine.public_id}/close/"
    assert f"- Due 12 Jun 2025: {link}" in message.body
    assert f'<a href="{link}">Due 12 Jun 2025</a>' in html
    assert str(colleagues.public_id) not in message.body
    assert "https://intake.example.org/staff/tasks/\n" in message.body
    for task in (mine, colleagues):
        for text in (message.subject, message.body, html):
            assert task.submission.reference not in text
            assert task.submission.patient.full_name not in text
            assert "Contact patient" not in text


def test_digest_lists_at_most_ten_of_mine_most_overdue_first(clock, clinic):
    doc = support.staff("doc", support.CLINICIAN)
    today = timezone.localdate()
    tasks = [
        TaskFactory(owner=doc, due_on=today - datetime.timedelta(days=days))
        for days in range(1, 13)
    ]

    numbers = delivery.digest_tasks(doc.pk, today)

    assert (numbers["tasks_overdue"], numbers["tasks_overdue_mine"]) == (12, 12)
    assert [public_id for public_id, _due in numbers["overdue_tasks"]] == [
        task.public_id for task in reversed(tasks[2:])
    ]


def test_digest_without_overdue_tasks(clock, clinic):
    doc = support.staff("doc", support.CLINICIAN)

    message = _digest_for(doc)

    assert "Overdue tasks at the clinic: 0. Yours: 0." in message.body
    assert "/close/" not in message.body
