"""Store the periodic jobs of `screening/schedules.py` as django-celery-beat rows.

    manage.py setup_periodic_tasks            # create missing rows, keep admins' changes
    manage.py setup_periodic_tasks --dry-run  # say what would change, change nothing
    manage.py setup_periodic_tasks --reset    # put every schedule back to the code's

Safe to run on every deploy (`make run` runs it): it creates the rows that are missing
and keeps each row's task in step with the code. A schedule a clinic admin changed in
the admin (another time, or paused) is left alone and reported; `--reset` puts it back
to what the code and settings say (e.g. after changing DIGEST_HOUR) and enables it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from screening.schedules import DailyAt, Every, Periodic, periodic_tasks


def _interval(schedule: Every) -> IntervalSchedule:
    found = IntervalSchedule.objects.filter(
        every=schedule.minutes, period=IntervalSchedule.MINUTES
    ).first()
    return found or IntervalSchedule.objects.create(
        every=schedule.minutes, period=IntervalSchedule.MINUTES
    )


def _crontab(schedule: DailyAt) -> CrontabSchedule:
    spec = {
        "minute": str(schedule.minute),
        "hour": str(schedule.hour),
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": settings.TIME_ZONE,
    }
    return CrontabSchedule.objects.filter(**spec).first() or CrontabSchedule.objects.create(**spec)


def _schedule_fields(periodic: Periodic) -> dict:
    if isinstance(periodic.schedule, Every):
        return {
            "interval": _interval(periodic.schedule),
            "crontab": None,
            # A run nobody picked up before the next one is due is dropped, not piled up.
            "expire_seconds": periodic.schedule.minutes * 60,
        }
    return {"interval": None, "crontab": _crontab(periodic.schedule), "expire_seconds": None}


def _differs(row: PeriodicTask, fields: dict) -> bool:
    return (
        row.interval_id != (fields["interval"].pk if fields["interval"] else None)
        or row.crontab_id != (fields["crontab"].pk if fields["crontab"] else None)
        or not row.enabled
    )


class Command(BaseCommand):
    help = "Create or update the django-celery-beat rows for screening/schedules.py."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Change nothing.")
        parser.add_argument(
            "--reset", action="store_true", help="Put changed schedules back to the code's."
        )

    def handle(
        self, *args: Any, dry_run: bool = False, reset: bool = False, **options: Any
    ) -> None:
        with transaction.atomic():
            for periodic in periodic_tasks():
                self._one(periodic, reset=reset)
            if dry_run:
                transaction.set_rollback(True)
                self.stdout.write("Dry run: nothing was changed.")

    def _one(self, periodic: Periodic, *, reset: bool) -> None:
        fields = _schedule_fields(periodic)
        row = PeriodicTask.objects.filter(name=periodic.name).first()
        if row is None:
            PeriodicTask.objects.create(
                name=periodic.name,
                task=periodic.task,
                description=periodic.description,
                enabled=True,
                **fields,
            )
            self.stdout.write(f"created: {periodic.name}")
            return
        in_step = row.task == periodic.task and row.description == periodic.description
        row.task = periodic.task
        row.description = periodic.description
        if not _differs(row, fields):
            outcome = "unchanged" if in_step else "updated"
        elif reset:
            for name, value in fields.items():
                setattr(row, name, value)
            row.enabled = True
            in_step, outcome = False, "reset"
        else:
            outcome = (
                "kept (differs from the code: changed in the admin, or a setting "
                "changed; --reset applies the code's)"
            )
        if not in_step:
            row.save()
        self.stdout.write(f"{outcome}: {periodic.name}")
