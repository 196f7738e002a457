"""Lost queue messages and rows stuck in sending are recovered by the next dispatch
about a minute after the fault, and nothing else is: a backlog waiting in the broker, a
worker's chunk and a slow send it is still making are left alone (screening/reminders/
dispatch.py and leases.Lease; docs/reminders.md, "Lost messages and killed workers")."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.utils import timezone

from screening.models import Reminder
from screening.reminders import delivery, dispatch
from screening.reminders import lease as leases
from screening.reminders.rows import INTERRUPTED
from tests.screening import reminder_support as support
from tests.screening.reminder_support import NOON

pytestmark = pytest.mark.django_db

Status = Reminder.Status
Failure = Reminder.Failure

LEASE = 30
ONE_MINUTE = datetime.timedelta(minutes=1)  # one dispatch period later


@pytest.fixture
def clock(time_machine, settings):
    settings.REMINDER_LEASE_SECONDS = LEASE
    return support.frozen_at(time_machine)


@pytest.fixture
def broker(monkeypatch):
    """The broker's queue length as the dispatch reads it (None: could not be read)."""

    class Broker:
        waiting: int | None = 0

    state = Broker()
    monkeypatch.setattr(dispatch, "broker_waiting", lambda: state.waiting)
    return state


@pytest.fixture
def smtp(settings):
    return support.scripted_smtp(settings)


@pytest.fixture
def server_backend(settings):
    """Sends go through SMTP (where the start of DATA is recorded); nothing is sent here."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _dispatch_at(moment: datetime.datetime, capture) -> dispatch.Dispatched:
    with capture(execute=False):  # what is re-enqueued is counted, not sent here
        return dispatch.reminders_dispatch(now=moment)


def _queued_at(moment: datetime.datetime) -> Reminder:
    row = support.queued(support.follow_up_due())
    Reminder.objects.filter(pk=row.pk).update(queued_at=moment)
    return row


def _sending(*, since: datetime.datetime, data_started: bool, attempts: int = 1) -> Reminder:
    row = support.follow_up_due()
    Reminder.objects.filter(pk=row.pk).update(
        status=Status.SENDING,
        sending_at=since,
        data_started_at=since if data_started else None,
        attempts=attempts,
    )
    row.refresh_from_db()
    return row


# --- queued: lost or waiting ---------------------------------------------------------


def test_a_lost_queue_message_is_enqueued_again_by_the_next_dispatch(
    clock, broker, django_capture_on_commit_callbacks
):
    """Queued at noon, then the broker restarts empty: the dispatch a minute later
    finds the row (older than the lease, nothing waiting) and enqueues it again."""
    row = _queued_at(NOON)

    assert (
        _dispatch_at(
            NOON + datetime.timedelta(seconds=LEASE - 1), django_capture_on_commit_callbacks
        ).requeued
        == 0
    )
    later = NOON + ONE_MINUTE
    assert _dispatch_at(later, django_capture_on_commit_callbacks).requeued == 1

    row.refresh_from_db()
    assert (row.status, row.queued_at) == (Status.QUEUED, later)


def test_a_backlog_waiting_in_the_broker_is_not_enqueued_again(
    clock, broker, django_capture_on_commit_callbacks
):
    """10 minutes old, but messages wait in the broker: the rows wait their turn."""
    rows = [_queued_at(NOON - datetime.timedelta(minutes=10)) for _ in range(5)]
    broker.waiting = 480

    dispatched = _dispatch_at(NOON, django_capture_on_commit_callbacks)

    assert dispatched.requeued == 0
    assert set(
        Reminder.objects.filter(pk__in=[r.pk for r in rows]).values_list("queued_at", flat=True)
    ) == {NOON - datetime.timedelta(minutes=10)}

    broker.waiting = None  # a broker that cannot be read: nothing is taken for lost
    assert _dispatch_at(NOON, django_capture_on_commit_callbacks).requeued == 0
    broker.waiting = 0  # the backlog is worked through: what is still queued was lost
    assert _dispatch_at(NOON, django_capture_on_commit_callbacks).requeued == 5


def test_a_chunk_a_worker_took_is_not_enqueued_again(
    clock, broker, django_capture_on_commit_callbacks
):
    """A chunk taken off a long backlog: the worker stamps its rows when it starts and
    its heartbeat renews them, so an empty broker does not make them look lost."""
    rows = [_queued_at(NOON - datetime.timedelta(minutes=10)) for _ in range(3)]
    ids = [row.pk for row in rows]

    with leases.Lease(ids) as lease:
        assert (
            _dispatch_at(
                NOON + datetime.timedelta(seconds=20), django_capture_on_commit_callbacks
            ).requeued
            == 0
        )
        clock.move_to(NOON + datetime.timedelta(seconds=20))
        lease.renew(timezone.now())
        assert (
            _dispatch_at(
                NOON + datetime.timedelta(seconds=40), django_capture_on_commit_callbacks
            ).requeued
            == 0
        )

    # The worker is gone (no more beats): a minute after its last one, enqueued again.
    dispatched = _dispatch_at(
        NOON + datetime.timedelta(seconds=20) + ONE_MINUTE, django_capture_on_commit_callbacks
    )
    assert dispatched.requeued == 3


def test_a_row_waiting_for_its_retry_is_not_taken_for_lost(
    clock, broker, smtp, django_capture_on_commit_callbacks
):
    """A transient error: queued again with queued_at = when the retry is due (5 min
    out at most); the lease runs from then."""
    smtp.errors.append(support.transient_error())
    row = support.queued(support.follow_up_due())
    Reminder.objects.filter(pk=row.pk).update(attempts=3)  # its 4th attempt: a 240 s backoff

    assert delivery.reminder_deliver(reminder_id=row.pk).retry_in == 240

    assert (
        _dispatch_at(
            NOON + datetime.timedelta(seconds=240 + LEASE - 1), django_capture_on_commit_callbacks
        ).requeued
        == 0
    )
    assert (
        _dispatch_at(
            NOON + datetime.timedelta(seconds=240) + ONE_MINUTE, django_capture_on_commit_callbacks
        ).requeued
        == 1
    )


# --- sending: dead or slow -----------------------------------------------------------


def test_a_send_killed_before_data_is_sent_again_a_minute_later(
    clock, server_backend, django_capture_on_commit_callbacks
):
    row = _sending(since=NOON, data_started=False)

    assert (
        _dispatch_at(
            NOON + datetime.timedelta(seconds=LEASE - 1), django_capture_on_commit_callbacks
        ).interrupted
        == 0
    )
    row.refresh_from_db()
    assert row.status == Status.SENDING

    dispatched = _dispatch_at(NOON + ONE_MINUTE, django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert row.status in (Status.PENDING, Status.QUEUED)  # claimed again by this dispatch
    assert (row.failure, dispatched.interrupted) == ("", 0)


def test_a_send_killed_after_data_is_failed_a_minute_later_never_resent(
    clock, server_backend, django_capture_on_commit_callbacks
):
    row = _sending(since=NOON, data_started=True)

    dispatched = _dispatch_at(NOON + ONE_MINUTE, django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert dispatched.interrupted == 1
    assert (row.status, row.failure, row.last_error) == (
        Status.FAILED,
        Failure.MAY_HAVE_REACHED,
        INTERRUPTED,
    )
    assert dispatched.claimed == 0  # never resent


@pytest.mark.parametrize("data_started", [False, True])
def test_a_slow_send_whose_worker_beats_is_left_alone(
    clock, server_backend, django_capture_on_commit_callbacks, data_started
):
    """Sending for minutes (a slow server, EMAIL_TIMEOUT per step): the heartbeat
    renews the row's stamp, so no dispatch takes it for dead."""
    row = _sending(since=NOON, data_started=data_started)
    lease = leases.Lease([row.pk])
    lease.sending = (row.pk, row.attempts)

    for seconds in range(10, 181, 10):  # a beat every third of the lease, for 3 minutes
        clock.move_to(NOON + datetime.timedelta(seconds=seconds))
        lease.renew(timezone.now())
        if seconds % 60 == 0:
            dispatched = _dispatch_at(timezone.now(), django_capture_on_commit_callbacks)
            assert dispatched.interrupted == 0

    row.refresh_from_db()
    assert (row.status, row.failure) == (Status.SENDING, "")


def test_a_worker_taken_for_dead_that_wakes_up_sends_no_data(
    clock, server_backend, django_capture_on_commit_callbacks
):
    """Stalled before DATA past the lease (a frozen process): the row went back to
    pending and another worker claimed it. The first one's DATA is refused by the
    compare-and-set on its claim's attempts, and its own end changes nothing."""
    row = _sending(since=NOON, data_started=False)
    stalled = Reminder.objects.get(pk=row.pk)  # attempts 1: the first worker's claim
    _dispatch_at(NOON + ONE_MINUTE, django_capture_on_commit_callbacks)
    assert delivery._claim(row.pk, NOON + ONE_MINUTE) == 2  # another worker has it now

    with pytest.raises(leases.LeaseLost):
        delivery._data_started(stalled)
    delivery._finish(stalled, status=Status.FAILED, last_error="stalled worker")

    row.refresh_from_db()
    assert (row.status, row.attempts, row.data_started_at) == (Status.SENDING, 2, None)


# --- the heartbeat thread ------------------------------------------------------------


def test_the_heartbeat_renews_while_the_chunk_runs_and_stops_after(settings, monkeypatch):
    settings.REMINDER_LEASE_SECONDS = 0.3  # a beat every 0.1 s
    beats: list[datetime.datetime] = []
    beat = threading.Event()

    def renew(self, now):
        beats.append(now)
        beat.set()

    monkeypatch.setattr(leases.Lease, "renew", renew)
    monkeypatch.setattr(leases, "stamp_queued", lambda ids, now: None)

    with leases.Lease([1, 2]) as lease:
        assert beat.wait(5)  # a send that lasts longer than a beat
        thread = lease._thread
    assert thread is not None
    thread.join(5)  # __exit__ waits a lease (0.3 s here) at most: a loaded machine may need more
    assert not thread.is_alive()
    count = len(beats)
    assert count >= 1
    threading.Event().wait(0.3)
    assert len(beats) == count  # no beat once the chunk is done


def test_the_lease_is_under_a_dispatch_period(settings):
    """Recovery takes at most the lease plus one dispatch period."""
    assert dispatch.lease() == datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    assert dispatch.lease() < ONE_MINUTE


def test_every_lost_row_is_enqueued_again_at_once_not_a_batch_a_minute(
    clock, broker, settings, django_capture_on_commit_callbacks
):
    """A broker restarted empty under a backlog: all its rows come back in one dispatch
    (up to REQUEUE_MAX_BATCHES batches), in chunks."""
    settings.REMINDER_BATCH_SIZE = 2
    settings.REMINDER_SEND_CHUNK = 2
    rows = [_queued_at(NOON - datetime.timedelta(minutes=5)) for _ in range(5)]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dispatched = dispatch.reminders_dispatch(now=NOON)

    assert dispatched.requeued == 5
    assert len(callbacks) == 1  # one publish of them all, in chunks, after commit
    assert set(
        Reminder.objects.filter(pk__in=[r.pk for r in rows]).values_list("queued_at", flat=True)
    ) == {NOON}
