"""Every periodic job, in one place.

`manage.py setup_periodic_tasks` stores these as django-celery-beat rows (the beat process
runs with the DatabaseScheduler), so clinic admins can see them in the admin, pause them
or run them at another time. Times are clinic time (settings.TIME_ZONE).

| name                         | task                                     | when                  |
|------------------------------|------------------------------------------|-----------------------|
| Send due reminders           | screening.tasks.reminders_dispatch       | every minute          |
| Escalate waiting urgent ones | screening.tasks.reminders_schedule_escalations | every 5 minutes |
| Daily queue digest           | screening.tasks.reminders_schedule_digest | daily at DIGEST_HOUR |
| Beat heartbeat               | screening.health.beat_heartbeat          | every minute          |
| Erase records past retention | screening.retention.retention_run        | daily at 03:30        |
| Clear expired sessions       | screening.tasks.sessions_clear           | every 15 minutes      |
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Every:
    """Every `minutes` minutes."""

    minutes: int


@dataclass(frozen=True)
class DailyAt:
    """Once a day at hour:minute, clinic time."""

    hour: int
    minute: int = 0


@dataclass(frozen=True)
class Periodic:
    name: str  # the PeriodicTask's name: how the command finds the row again
    task: str
    schedule: Every | DailyAt
    description: str


def periodic_tasks() -> list[Periodic]:
    """A function, not a constant: DIGEST_HOUR is read when the command runs."""
    return [
        Periodic(
            name="Send due reminders",
            task="screening.tasks.reminders_dispatch",
            schedule=Every(minutes=1),
            description="Claims due reminder emails and hands them to the workers.",
        ),
        Periodic(
            name="Escalate waiting urgent submissions",
            task="screening.tasks.reminders_schedule_escalations",
            schedule=Every(minutes=5),
            description=(
                "Emails the clinicians on duty about urgent submissions unreviewed for "
                f"{settings.ESCALATION_AFTER_MINUTES} minutes (ESCALATION_AFTER_MINUTES)."
            ),
        ),
        Periodic(
            name="Daily queue digest",
            task="screening.tasks.reminders_schedule_digest",
            schedule=DailyAt(hour=settings.DIGEST_HOUR),
            description="Emails clinicians the open submissions per level (counts only).",
        ),
        Periodic(
            name="Beat heartbeat",
            task="screening.health.beat_heartbeat",
            schedule=Every(minutes=1),
            description="Records that beat and a worker run; /health/ reports its age.",
        ),
        Periodic(
            name="Erase records past retention",
            task="screening.retention.retention_run",
            schedule=DailyAt(hour=3, minute=30),
            description=(
                "Erases patient records RETENTION_DAYS after their last submission "
                f"({settings.RETENTION_DAYS} days), in batches, and long-expired saved intakes."
            ),
        ),
        Periodic(
            name="Clear expired sessions",
            task="screening.tasks.sessions_clear",
            schedule=Every(minutes=15),
            description=(
                "Deletes sessions past their expiry (SESSION_COOKIE_AGE without a request): "
                "they may hold an abandoned intake's name, date of birth and symptoms."
            ),
        ),
    ]
