"""A clinician retries a failed reminder (the staff page of failed reminders).

One transaction: the reminder goes back to pending, due now, with a fresh count of
attempts, and the audit event (CHANGE "reminder.retry", with the error it failed with) is
stored with it, or neither is. Dispatch picks it up within a minute.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from screening.domain.audit import audit_record
from screening.models import AuditEvent, Reminder

logger = logging.getLogger(__name__)


class NotFailed(ValueError):
    """Only a failed reminder can be retried (someone may have retried it already)."""


def failed_reminder_retry(*, reminder: Reminder, by: User, address: str | None = None) -> Reminder:
    """Put a failed reminder back to pending, due now (NotFailed if it is not failed any
    more: the compare-and-set update finds no failed row)."""
    previous_error = reminder.last_error
    with transaction.atomic():
        won = Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.FAILED).update(
            status=Reminder.Status.PENDING,
            due_at=timezone.now(),
            attempts=0,
            last_error="",
            failure="",
            queued_at=None,
            sending_at=None,
            data_started_at=None,
        )
        if not won:
            raise NotFailed("This reminder is not failed any more; nothing changed.")
        audit_record(
            by=by,
            address=address,
            action=AuditEvent.Action.CHANGE,
            what="reminder.retry",
            object_type="reminder",
            object_id=str(reminder.public_id),
            patient=reminder.patient,
            detail={"kind": reminder.kind, "previous_error": previous_error},
        )
    logger.info("reminder %s retried by staff user %s", reminder.public_id, by.pk)
    reminder.refresh_from_db()
    return reminder
