"""Erase the patient records whose retention period has ended (RETENTION_DAYS after their
last submission), and delete saved intakes long expired.

    manage.py retention_apply --dry-run   # list what is due (opaque public ids), change nothing
    manage.py retention_apply             # erase it all now (beat does this daily in batches)

Erasure cannot be undone: run --dry-run first, and check RETENTION_DAYS (see
docs/production.md). Each record is erased in its own transaction and leaves a tombstone
and its audit trail; an intake that arrives meanwhile keeps its record.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from screening.domain import retention


class Command(BaseCommand):
    help = "Erase patient records past RETENTION_DAYS and long-expired saved intakes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; change nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        run = retention.retention_apply(now=timezone.now(), dry_run=dry_run)
        cutoff = timezone.localdate(run.cutoff).isoformat()
        self.stdout.write(
            f"Retention: {settings.RETENTION_DAYS} days; records last used before {cutoff}."
        )
        if dry_run:
            self.stdout.write(f"Would erase {len(run.due)} patient record(s):")
            for public_id in run.due:
                self.stdout.write(f"  {public_id}")
            self.stdout.write(f"Would delete {run.drafts_deleted} expired saved intake(s).")
            self.stdout.write("Dry run: nothing was changed.")
            return
        self.stdout.write(
            f"Erased {len(run.erased)} patient record(s) (merged records included); "
            f"deleted {run.drafts_deleted} expired saved intake(s)."
        )
