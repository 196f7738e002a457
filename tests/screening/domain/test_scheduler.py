"""One beat at a time (the scheduler lease) and daily jobs that never run twice inside
their period (screening/domain/scheduler.py)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from screening import tasks
from screening.domain import scheduler
from screening.models import Heartbeat, Reminder

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)
LEASE = datetime.timedelta(seconds=scheduler.lease_seconds())


def test_the_first_beat_takes_the_lease_and_a_second_one_waits():
    assert scheduler.scheduler_lease(holder="host-a:1", now=NOW) is True
    assert scheduler.scheduler_lease(holder="host-b:2", now=NOW) is False
    assert scheduler.scheduler_lease(holder="host-a:1", now=NOW + LEASE / 2) is True  # renewed
    assert scheduler.scheduler_lease(holder="host-b:2", now=NOW + LEASE) is False  # still held
    assert scheduler.scheduler_standby_seen(now=NOW + LEASE) is True


def test_the_waiting_beat_takes_over_when_the_lease_runs_out():
    scheduler.scheduler_lease(holder="host-a:1", now=NOW)  # then host-a is killed

    assert scheduler.scheduler_lease(holder="host-b:2", now=NOW + LEASE / 2) is False
    assert scheduler.scheduler_lease(holder="host-b:2", now=NOW + LEASE * 1.1) is True
    assert scheduler.scheduler_lease(holder="host-a:1", now=NOW + LEASE * 1.2) is False


def test_a_clean_stop_hands_the_lease_over_at_once():
    scheduler.scheduler_lease(holder="host-a:1")
    scheduler.scheduler_lease_release(holder="host-a:1")

    assert scheduler.scheduler_lease(holder="host-b:2") is True


def test_no_standby_is_reported_when_only_one_beat_ran():
    scheduler.scheduler_lease(holder="host-a:1", now=NOW)
    assert scheduler.scheduler_standby_seen(now=NOW) is False


def test_a_daily_job_claims_its_run_once_inside_its_period():
    period = datetime.timedelta(hours=20)
    assert scheduler.periodic_run_claim(job="digest", period=period, now=NOW) is True
    assert scheduler.periodic_run_claim(job="digest", period=period, now=NOW) is False
    later = NOW + datetime.timedelta(hours=3)  # a beat restarted after a kill sends it again
    assert scheduler.periodic_run_claim(job="digest", period=period, now=later) is False
    next_day = NOW + datetime.timedelta(days=1)
    assert scheduler.periodic_run_claim(job="digest", period=period, now=next_day) is True
    assert scheduler.periodic_run_claim(job="retention", period=period, now=later) is True


def test_the_digest_task_sent_twice_in_a_day_schedules_one_digest(time_machine, settings):
    from tests.screening import reminder_support as support

    time_machine.move_to(NOW, tick=False)
    support.staff("dr-duty", support.CLINICIAN, support.ON_DUTY)

    first = tasks.reminders_schedule_digest.delay().get()
    Reminder.objects.all().delete()  # a second digest would be a new row now
    time_machine.move_to(NOW + datetime.timedelta(hours=2), tick=False)
    second = tasks.reminders_schedule_digest.delay().get()

    assert first >= 1
    assert second == 0 and not Reminder.objects.exists()
    assert Heartbeat.objects.get(name="job:digest").at == NOW


def test_the_retention_task_sent_twice_in_a_day_runs_once(time_machine):
    time_machine.move_to(NOW, tick=False)
    tasks.retention_run.delay().get()
    stamp = Heartbeat.objects.get(name="job:retention").at

    time_machine.move_to(NOW + datetime.timedelta(minutes=30), tick=False)
    assert tasks.retention_run.delay().get() == {"erased": 0, "saved_intakes_deleted": 0}
    assert (
        Heartbeat.objects.get(name="job:retention").at
        == stamp
        == timezone.now() - (datetime.timedelta(minutes=30))
    )


def test_a_beat_whose_clock_runs_ahead_does_not_take_a_live_lease(time_machine):
    """The lease is timed by the database's clock, not the machine's: a standby on a
    machine five minutes ahead would otherwise find the live lease expired."""
    assert scheduler.scheduler_lease(holder="host-a:1") is True

    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=5), tick=True)

    assert scheduler.scheduler_lease(holder="host-b:2") is False
    assert Heartbeat.objects.get(name="scheduler").holder == "host-a:1"
