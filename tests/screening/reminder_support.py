"""What the reminder tests share: a clock in clinic time, an SMTP server that fails on
cue (the only thing mocked besides the clock), and rows to send.

The SMTP stand-in is a real Django email backend: it raises the errors a test scripts,
in order, and then delivers to `mail.outbox` like the in-memory backend.
"""

from __future__ import annotations

import datetime
import smtplib
import zoneinfo

from django.contrib.auth.models import Group, User
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from screening.accounts import roles
from screening.models import IntakeDraft, Reminder, Review
from screening.reminders import scheduling
from tests.factories import ReviewFactory, SubmissionFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")


def london(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


# A Sunday in summer (BST, UTC+1), midday: inside the patient email hours.
NOON = london(2025, 6, 15, 12, 0)


class ScriptedSMTPBackend(EmailBackend):
    """Raises `errors` one per send (first in, first out), then delivers normally."""

    errors: list[BaseException] = []
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).errors:
            raise type(self).errors.pop(0)
        return super().send_messages(messages)


SCRIPTED_BACKEND = "tests.screening.reminder_support.ScriptedSMTPBackend"


def scripted_smtp(settings) -> type[ScriptedSMTPBackend]:
    """Use the SMTP stand-in (for a test's `smtp` fixture, with pytest-django's
    `settings`): `smtp.errors.append(...)` scripts a failure."""
    settings.EMAIL_BACKEND = SCRIPTED_BACKEND
    ScriptedSMTPBackend.errors = []
    ScriptedSMTPBackend.attempts = 0
    return ScriptedSMTPBackend


def frozen_at(time_machine, moment: datetime.datetime = NOON):
    """Freeze the clock (for a test's `clock` fixture); `clock.move_to(...)` moves it."""
    time_machine.move_to(moment, tick=False)
    return time_machine


def transient_error() -> smtplib.SMTPResponseException:
    return smtplib.SMTPResponseException(421, b"4.3.2 Service not available, try later")


def permanent_error() -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused(
        {"someone@example.com": (550, b"5.1.1 <someone@example.com>: no such user")}
    )


def staff(username: str, *groups: str, active: bool = True) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@clinic.example", is_active=active
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def decided(*outcomes: str, **submission_fields) -> Review:
    """A submission with a clinician's decision recorded now (no reminders yet)."""
    submission = SubmissionFactory(
        status=submission_fields.pop("status", "reviewed"), **submission_fields
    )
    return ReviewFactory(
        submission=submission,
        outcomes=list(outcomes or [Review.Outcome.NO_ACTION]),
        created_at=timezone.now(),
    )


def follow_up_due(**submission_fields) -> Reminder:
    """A follow-up reminder for a reviewed submission, due now."""
    review = decided(**submission_fields)
    reminder = scheduling.reminder_schedule_follow_up(submission=review.submission, review=review)
    Reminder.objects.filter(pk=reminder.pk).update(due_at=timezone.now())
    reminder.refresh_from_db()
    return reminder


def draft_saved(**fields) -> IntakeDraft:
    now = timezone.now()
    values = {
        "email": "draft.patient@example.com",
        "data": {},
        "language": "en",
        "created_at": now,
        "updated_at": now,
        "expires_at": now + datetime.timedelta(days=14),
        **fields,
    }
    return IntakeDraft.objects.create(**values)


def queued(reminder: Reminder) -> Reminder:
    """Put a row where the dispatcher leaves it: queued, ready for reminder_send."""
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.QUEUED, queued_at=timezone.now()
    )
    reminder.refresh_from_db()
    return reminder


ON_DUTY = roles.ON_DUTY
CLINICIAN = roles.CLINICIAN
RECEPTIONIST = roles.RECEPTIONIST
