"""The patient's opt-out: an address that wants no more reminders (the unsubscribe page,
`screening.reminders.views`). The send-time re-check (`recheck`) reads it."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from screening.models import EmailOptOut, Reminder
from screening.reminders import emails

logger = logging.getLogger(__name__)


def email_opt_out(*, reminder: Reminder) -> EmailOptOut:
    """Record that the address a reminder went to wants no more reminders."""
    address = emails.recipient(reminder).strip().lower()
    try:
        with transaction.atomic():
            opt_out, _created = EmailOptOut.objects.get_or_create(email=address)
    except IntegrityError:  # two clicks at once
        opt_out = EmailOptOut.objects.get(email=address)
    logger.info("opt-out recorded from reminder %s", reminder.public_id)
    return opt_out
