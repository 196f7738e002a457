"""The beat scheduler sends jobs only while it holds the lease (clinic/beat.py)."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from clinic.beat import LockedDatabaseScheduler
from clinic.celery import app
from screening.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Counts the DatabaseScheduler ticks that would send due jobs."""
    ticks: list[str] = []

    def tick(self, *args, **kwargs):
        ticks.append(self.holder)
        return 60.0

    monkeypatch.setattr(DatabaseScheduler, "tick", tick)
    return ticks


def _beat() -> LockedDatabaseScheduler:
    return LockedDatabaseScheduler(app=app, lazy=True)


def test_two_beats_at_once_only_one_sends_jobs(sent, caplog):
    first, second = _beat(), _beat()

    with caplog.at_level(logging.WARNING, logger="clinic.beat"):
        waits = [first.tick(), second.tick(), first.tick(), second.tick()]

    assert sent == [first.holder, first.holder]
    assert waits == [10.0, 5.0, 10.0, 5.0]  # renews every 10 s of a 60 s lease, tries every 5
    waiting_lines = [m for m in caplog.messages if "waits: another beat holds" in m]
    assert len(waiting_lines) == 1  # once a minute, not once a tick


def test_a_stopped_beat_hands_over_to_the_waiting_one_at_once(sent, monkeypatch):
    monkeypatch.setattr(DatabaseScheduler, "close", lambda self: None)  # its own sync
    first, second = _beat(), _beat()
    first.tick()
    second.tick()

    first.close()
    second.tick()

    assert sent == [first.holder, second.holder]
    assert Heartbeat.objects.get(name="scheduler").holder == second.holder


def test_beat_runs_with_the_locked_scheduler(settings):
    assert settings.CELERY_BEAT_SCHEDULER == "clinic.beat:LockedDatabaseScheduler"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_beat_taking_over_reads_when_each_job_last_ran(sent, monkeypatch):
    """Its own copy of the schedule is as old as its start: it would send again at once a
    job the other beat sent a minute ago, inside the job's period. (Real transactions:
    django-celery-beat closes the connection between reads, as it does in a beat.)"""
    monkeypatch.setattr(DatabaseScheduler, "close", lambda self: None)
    every_5_minutes = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    name, an_hour_ago = "Escalate", timezone.now() - datetime.timedelta(hours=1)
    PeriodicTask.objects.create(
        name=name, task="celery.ping", interval=every_5_minutes, last_run_at=an_hour_ago
    )
    first, second = _beat(), _beat()
    first.tick()
    second.tick()  # waits, holding the schedule it read at start
    assert second.schedule[name].last_run_at == an_hour_ago  # due at once, were it to lead
    ran_at = timezone.now()
    PeriodicTask.objects.filter(name=name).update(last_run_at=ran_at)  # the first beat sent it

    first.close()
    second.tick()

    assert second.schedule[name].last_run_at == ran_at


def test_beat_saves_a_jobs_last_run_as_soon_as_it_sends_it(settings):
    assert settings.CELERY_BEAT_SYNC_EVERY == 1
    assert app.conf.beat_sync_every == 1
