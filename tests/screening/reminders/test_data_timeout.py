"""A send whose answer is unknown after DATA is never resent; one that never reached DATA
is (issue 15: a server answering 250 after EMAIL_TIMEOUT got five full copies).

A real SMTP server (aiosmtpd) on loopback; the row is sent with `reminders_deliver` as the
worker's task does, and what the server received is counted.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone

from screening.models import Reminder
from screening.reminders import delivery, dispatch
from screening.reminders.rows import (
    INTERRUPTED,
    NO_ANSWER_AFTER_DATA,
    may_have_reached_the_patient,
)
from tests.integration.conftest import RecordingHandler
from tests.screening import reminder_support as support
from tests.screening.reminder_support import NOON

pytestmark = pytest.mark.django_db
Status = Reminder.Status
Failure = Reminder.Failure
LOOPBACK = "127.0.0.1"


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def server(settings):
    from aiosmtpd.controller import Controller

    from tests.integration.conftest import free_port

    handler = RecordingHandler()
    controller = Controller(handler, hostname=LOOPBACK, port=free_port(), ready_timeout=10)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = LOOPBACK, controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 1
    try:
        yield handler
    finally:
        controller.stop()


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _send(reminder: Reminder) -> delivery.Batch:
    support.queued(reminder)
    return delivery.reminders_deliver(reminder_ids=[reminder.pk])


def test_no_answer_after_data_fails_the_row_once_and_never_resends(clock, server):
    server.hold_at(1, 2.0)  # takes the message, answers 250 after the client's 1 s timeout
    reminder = support.follow_up_due()

    batch = _send(reminder)
    _wait_for(lambda: len(server.received()) == 1)

    reminder.refresh_from_db()
    assert batch.outcomes == {"failed": 1} and batch.retry == {}
    assert (reminder.status, reminder.failure) == (Status.FAILED, Failure.MAY_HAVE_REACHED)
    # smtplib turns the read timeout into a disconnection
    assert reminder.last_error == f"{NO_ANSWER_AFTER_DATA} (SMTPServerDisconnected)"
    assert reminder.data_started_at == NOON
    assert may_have_reached_the_patient(reminder.last_error)

    clock.move_to(NOON + datetime.timedelta(hours=1), tick=False)
    dispatch.reminders_dispatch()  # nothing claims a failed row again
    time.sleep(2.5)
    assert len(server.received()) == 1  # one copy, where there were five


def test_a_refused_connection_never_reached_data_and_is_retried(clock, server, settings):
    reminder = support.follow_up_due()
    settings.EMAIL_PORT = server_port = _closed_port()
    assert server_port != 0

    batch = _send(reminder)

    reminder.refresh_from_db()
    assert batch.outcomes == {"retry": 1}
    assert reminder.status == Status.QUEUED and reminder.data_started_at is None


def test_a_4xx_answer_to_data_is_the_servers_refusal_and_is_retried(clock, server):
    server.refuse_next(1, "451 4.3.0 Try again later")
    reminder = support.follow_up_due()

    batch = _send(reminder)

    reminder.refresh_from_db()
    assert batch.outcomes == {"retry": 1}
    assert reminder.status == Status.QUEUED
    assert reminder.data_started_at == NOON  # DATA began, but the server said no
    assert server.received() == []


def test_a_5xx_answer_is_refused_for_good(clock, server):
    server.refuse_next(1, "554 5.7.1 Rejected")
    reminder = support.follow_up_due()

    _send(reminder)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.failure) == (Status.FAILED, Failure.REFUSED)
    assert not may_have_reached_the_patient(reminder.last_error)


def test_a_send_is_delivered_once_and_records_its_data(clock, server):
    reminder = support.follow_up_due()

    _send(reminder)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.data_started_at) == (Status.SENT, NOON)
    assert len(server.received()) == 1


def _stuck_in_sending(*, data_started: bool, attempts: int = 1) -> Reminder:
    reminder = support.follow_up_due()
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Status.SENDING,
        sending_at=timezone.now() - datetime.timedelta(hours=1),
        data_started_at=timezone.now() if data_started else None,
        attempts=attempts,
    )
    return reminder


def test_a_worker_killed_before_data_leaves_a_row_that_is_sent_again(clock, server):
    reminder = _stuck_in_sending(data_started=False)

    dispatch.reminders_dispatch()

    reminder.refresh_from_db()
    assert reminder.status in (Status.PENDING, Status.QUEUED)  # sent again by this dispatch
    assert reminder.failure == ""


def test_a_worker_killed_after_data_leaves_a_row_that_may_have_reached(clock, server):
    reminder = _stuck_in_sending(data_started=True)

    dispatch.reminders_dispatch()

    reminder.refresh_from_db()
    assert (reminder.status, reminder.failure) == (Status.FAILED, Failure.MAY_HAVE_REACHED)
    assert reminder.last_error == INTERRUPTED


def test_a_row_killed_before_data_with_no_attempts_left_fails_without_the_warning(
    clock, server, settings
):
    reminder = _stuck_in_sending(data_started=False, attempts=settings.REMINDER_MAX_ATTEMPTS)

    dispatch.reminders_dispatch()

    reminder.refresh_from_db()
    assert (reminder.status, reminder.failure) == (Status.FAILED, Failure.RETRIES_RAN_OUT)
    assert not may_have_reached_the_patient(reminder.last_error)


def _closed_port() -> int:
    from tests.integration.conftest import free_port

    return free_port()  # nothing listens there once the probe socket is closed
