"""GET /health/: database, cache, broker and beat heartbeat; 200 when all pass, 503 otherwise.

Only the boundaries are replaced: a database cursor or cache call that fails as a server
would, and an unreachable broker address (a real connection attempt that is refused).
"""

from __future__ import annotations

import contextlib
import datetime
from unittest import mock

import pytest
from celery import current_app
from django.core.cache import cache
from django.db import OperationalError, connection
from django.utils import timezone

from screening import tasks
from screening.models import Heartbeat
from screening.web import health
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/health/"
NOW = datetime.datetime(2025, 6, 15, 11, 0, tzinfo=datetime.UTC)
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def heartbeat(clock):
    """Beat ran the heartbeat task 30 seconds ago."""
    clock.move_to(NOW - datetime.timedelta(seconds=30), tick=False)
    tasks.beat_heartbeat.delay()
    clock.move_to(NOW, tick=False)
    return Heartbeat.objects.get()


@contextlib.contextmanager
def broker_write_url_pinned(url: str):
    """Send Celery's writes to `url`; afterwards leave its config exactly as it was.

    Saves the raw value (`conf.get`), not the `broker_write_url` property: unset, the property
    falls back to `broker_url`, and restoring that would pin writes to today's broker_url.
    """
    previous = current_app.conf.get("broker_write_url")
    current_app.conf.broker_write_url = url
    try:
        yield
    finally:
        current_app.conf.broker_write_url = previous


@pytest.fixture
def unreachable_broker():
    with broker_write_url_pinned(UNREACHABLE_BROKER):
        yield


def test_all_checks_pass(client, heartbeat):
    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "failed": [],
        "checks": {
            "database": {"ok": True},
            "cache": {"ok": True},
            "broker": {"ok": True},
            "beat": {"ok": True, "age_seconds": 30, "standby_scheduler": False},
        },
    }


def test_is_public_uncached_and_sets_no_cookie(client, heartbeat):
    response = client.get(URL)

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert response.cookies == {}


def test_answers_get_only(client, heartbeat):
    assert client.post(URL).status_code == 405


def test_holds_no_personal_data(client, heartbeat):
    PatientFactory(full_name="Zebulon Quixotic", email="zebulon.quixotic@example.com")

    body = client.get(URL).content.decode()

    assert "Zebulon" not in body
    assert "example.com" not in body


def test_database_down(client, heartbeat):
    refused = OperationalError('connection to server at "db.internal" failed: refused')
    with mock.patch.object(connection, "cursor", side_effect=refused):
        response = client.get(URL)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failed"] == ["database", "beat"]  # the heartbeat is read from the database
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert "db.internal" not in response.content.decode()  # a server's message is not shown


def test_cache_down(client, heartbeat):
    with mock.patch.object(cache, "set", side_effect=ConnectionError("redis:6379 refused")):
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}


def test_cache_that_loses_values(client, heartbeat):
    with mock.patch.object(cache, "get", return_value=None):
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "value not read back"}


def test_broker_unreachable(client, heartbeat, unreachable_broker):
    response = client.get(URL)

    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert response.json()["checks"]["broker"] == {"ok": False, "error": "OperationalError"}


def test_broker_check_gives_up_quickly(settings, unreachable_broker):
    settings.HEALTH_BROKER_TIMEOUT_SECONDS = 1.0
    started = timezone.now()

    result = health._run(health.check_broker)

    assert result["ok"] is False
    assert (timezone.now() - started).total_seconds() < 5


def test_pinned_broker_write_url_is_restored_unset():
    conf = current_app.conf
    saved = conf.get("broker_write_url"), conf.broker_url
    conf.broker_write_url = None
    try:
        with broker_write_url_pinned(UNREACHABLE_BROKER):
            assert conf.broker_write_url == UNREACHABLE_BROKER
        conf.broker_url = "memory://later/"

        assert conf.get("broker_write_url") is None
        assert conf.broker_write_url == "memory://later/"
    finally:
        conf.broker_write_url, conf.broker_url = saved


def test_no_heartbeat_yet(client, clock):
    response = client.get(URL)

    assert response.status_code == 503
    assert response.json()["failed"] == ["beat"]
    assert response.json()["checks"]["beat"] == {
        "ok": False,
        "error": "no heartbeat recorded yet",
        "standby_scheduler": False,
    }


def test_stale_heartbeat(client, heartbeat, clock, settings):
    settings.HEALTH_BEAT_MAX_AGE_SECONDS = 300
    clock.move_to(NOW + datetime.timedelta(seconds=271), tick=False)  # 301 s old
    response = client.get(URL)

    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {
        "ok": False,
        "error": "heartbeat older than 300 seconds",
        "age_seconds": 301,
        "standby_scheduler": False,
    }


def test_heartbeat_at_the_limit_passes(client, heartbeat, clock, settings):
    settings.HEALTH_BEAT_MAX_AGE_SECONDS = 300
    clock.move_to(NOW + datetime.timedelta(seconds=270), tick=False)  # 300 s old

    assert client.get(URL).json()["checks"]["beat"] == {
        "ok": True,
        "age_seconds": 300,
        "standby_scheduler": False,
    }


def test_heartbeat_task_keeps_one_row(clock):
    tasks.beat_heartbeat.delay()
    clock.move_to(NOW + datetime.timedelta(minutes=1), tick=False)
    tasks.beat_heartbeat.delay()

    assert list(Heartbeat.objects.values_list("name", "at")) == [
        ("beat", NOW + datetime.timedelta(minutes=1))
    ]


def test_every_check_failing_is_reported(client, unreachable_broker):
    with (
        mock.patch.object(connection, "cursor", side_effect=OperationalError("down")),
        mock.patch.object(cache, "set", side_effect=ConnectionError("down")),
    ):
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json()["failed"] == ["database", "cache", "broker", "beat"]


def test_heartbeat_runs_every_minute_from_the_schedule():
    from screening import schedules

    (periodic,) = [p for p in schedules.periodic_tasks() if p.task.endswith("beat_heartbeat")]
    assert periodic.task == "screening.health.beat_heartbeat"
    assert periodic.schedule == schedules.Every(minutes=1)
    assert periodic.task in current_app.tasks


def test_health_reports_a_second_scheduler_waiting_for_the_lease(client, db):
    from screening.domain.scheduler import scheduler_lease

    health.heartbeat_record()
    scheduler_lease(holder="host-a:1")
    scheduler_lease(holder="host-b:2")  # a second beat: it waits, and /health/ says so

    assert client.get(URL).json()["checks"]["beat"]["standby_scheduler"] is True


def test_two_nodes_probing_the_cache_at_once_both_pass(heartbeat):
    """Another node's probe runs between this one's write and read (one shared Redis)."""
    real_set = cache.set
    others: list[object] = []

    def set_then_another_node_probes(*args, **kwargs):
        real_set(*args, **kwargs)
        if not others:  # once: the other node's own write goes straight through
            others.append("probing")
            others[0] = health.health_report()["checks"]["cache"]

    with mock.patch.object(cache, "set", side_effect=set_then_another_node_probes):
        mine = health.health_report()["checks"]["cache"]

    assert others == [{"ok": True}]
    assert mine == {"ok": True}


def test_a_standby_scheduler_is_reported_when_the_heartbeat_fails_too(client, db):
    from screening.domain.scheduler import scheduler_lease

    scheduler_lease(holder="host-a:1")
    scheduler_lease(holder="host-b:2")  # two beats started, and no worker runs the heartbeat

    beat = client.get(URL).json()["checks"]["beat"]
    assert beat == {"ok": False, "error": "no heartbeat recorded yet", "standby_scheduler": True}
