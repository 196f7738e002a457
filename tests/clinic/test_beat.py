"""The beat scheduler sends jobs only while it holds the lease (clinic/beat.py)."""

from __future__ import annotations

import logging

import pytest
from django_celery_beat.schedulers import DatabaseScheduler

from clinic.beat import MAX_TICK_SECONDS, WAIT_SECONDS, LockedDatabaseScheduler
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
    assert waits == [MAX_TICK_SECONDS, WAIT_SECONDS, MAX_TICK_SECONDS, WAIT_SECONDS]
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
