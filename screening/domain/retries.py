"""A clinician retries a failed reminder (the staff page of failed reminders).

One transaction: the reminder goes back to pending (`screening.reminders.outbox`) and the
audit event (CHANGE "reminder.retry", with the error it failed with) is stored with it, or
neither is.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from screening.domain.audit import audit_record
from screening.models import AuditEvent, Reminder
from screening.reminders import outbox as reminders


def failed_reminder_retry(*, reminder: Reminder, by: User, address: str | None = None) -> Reminder:
    """Put a failed reminder back to pending, due now (reminders.NotFailed if it is not
    failed any more: someone may have retried it already)."""
    previous_error = reminder.last_error
    with transaction.atomic():
        retried = reminders.reminder_retry(reminder=reminder, by=by)
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
    return retried
