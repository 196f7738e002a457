"""Periodic work declared in screening/schedules.py and stored by setup_periodic_tasks."""

from __future__ import annotations

import io

import pytest
from celery import current_app
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from screening import schedules

pytestmark = pytest.mark.django_db


def _setup(*args: str) -> str:
    out = io.StringIO()
    call_command("setup_periodic_tasks", *args, stdout=out)
    return out.getvalue()


def _rows() -> dict[str, tuple]:
    return {
        row.name: (
            row.task,
            str(row.interval) if row.interval else None,
            (row.crontab.minute, row.crontab.hour, str(row.crontab.timezone))
            if row.crontab
            else None,
            row.enabled,
        )
        for row in PeriodicTask.objects.select_related("interval", "crontab")
    }


def test_every_scheduled_task_is_a_registered_celery_task():
    """What a worker knows after autodiscovery: a schedule naming anything else would
    fire messages nobody can run."""
    current_app.loader.import_default_modules()  # the worker's autodiscover_tasks()

    names = [periodic.task for periodic in schedules.periodic_tasks()]
    assert names[:3] == [
        "screening.tasks.reminders_dispatch",
        "screening.tasks.reminders_schedule_escalations",
        "screening.tasks.reminders_schedule_digest",
    ]
    assert set(names) - set(current_app.tasks) == set()
    assert "screening.tasks.reminder_send" in current_app.tasks


def test_every_schedule_has_a_unique_name():
    names = [periodic.name for periodic in schedules.periodic_tasks()]
    assert len(names) == len(set(names))


def test_setup_creates_the_rows(settings):
    settings.DIGEST_HOUR = 7
    settings.TIME_ZONE = "Europe/London"

    output = _setup()

    rows = _rows()
    assert len(rows) == len(schedules.periodic_tasks())
    assert rows["Send due reminders"] == (
        "screening.tasks.reminders_dispatch",
        "every minute",
        None,
        True,
    )
    assert rows["Escalate waiting urgent submissions"] == (
        "screening.tasks.reminders_schedule_escalations",
        "every 5 minutes",
        None,
        True,
    )
    assert rows["Daily queue digest"] == (
        "screening.tasks.reminders_schedule_digest",
        None,
        ("0", "7", "Europe/London"),
        True,
    )
    assert output.count("created: ") == len(rows)
    assert PeriodicTask.objects.get(name="Send due reminders").expire_seconds == 60
    assert PeriodicTask.objects.get(name="Daily queue digest").expire_seconds is None


def test_setup_twice_changes_nothing():
    _setup()
    before = _rows()
    schedule_rows = (IntervalSchedule.objects.count(), CrontabSchedule.objects.count())

    output = _setup()

    assert _rows() == before
    assert (IntervalSchedule.objects.count(), CrontabSchedule.objects.count()) == schedule_rows
    assert output.count("unchanged: ") == len(schedules.periodic_tasks())


def test_setup_keeps_a_schedule_an_admin_changed():
    _setup()
    digest = PeriodicTask.objects.get(name="Daily queue digest")
    digest.crontab = CrontabSchedule.objects.create(hour="9", minute="30", timezone="Europe/London")
    digest.save()
    dispatch = PeriodicTask.objects.get(name="Send due reminders")
    dispatch.enabled = False
    dispatch.save()

    output = _setup()

    rows = _rows()
    assert rows["Daily queue digest"][2] == ("30", "9", "Europe/London")
    assert rows["Send due reminders"][3] is False
    assert output.count("kept (") == 2


def test_setup_reset_puts_the_code_schedule_back(settings):
    settings.DIGEST_HOUR = 7
    _setup()
    settings.DIGEST_HOUR = 6
    PeriodicTask.objects.filter(name="Send due reminders").update(enabled=False)

    output = _setup("--reset")

    rows = _rows()
    assert rows["Daily queue digest"][2] == ("0", "6", "Europe/London")
    assert rows["Send due reminders"][3] is True
    assert output.count("reset: ") == 2


def test_setup_fixes_a_renamed_task_path():
    _setup()
    PeriodicTask.objects.filter(name="Send due reminders").update(task="screening.tasks.old_name")

    assert "updated: Send due reminders" in _setup()
    assert _rows()["Send due reminders"][0] == "screening.tasks.reminders_dispatch"


def test_dry_run_changes_nothing():
    output = _setup("--dry-run")

    assert "created: Send due reminders" in output
    assert "Dry run: nothing was changed." in output
    assert PeriodicTask.objects.count() == 0
    assert IntervalSchedule.objects.count() == 0
