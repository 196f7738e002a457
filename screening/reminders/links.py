"""Signed, expiring, single-use links in reminder emails.

A link carries only the reminder's opaque public id, signed with the secret key
(django.core.signing compares signatures in constant time). It expires after
REMINDER_LINK_MAX_AGE_DAYS and works once: `reminder_link_use` marks it used with a
compare-and-set update, so two clicks at the same moment cannot both win.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from screening.models import Reminder

SALT = "screening.reminder-link"


# The links back to a saved intake: the one sent when the patient saves, and the later
# reminder's. Both open the same draft, and using either uses both
# (`screening.domain.drafts.intake_draft_resume`).
RESUME_KINDS = (Reminder.Kind.INTAKE_SAVED, Reminder.Kind.UNFINISHED_INTAKE)


class LinkInvalid(Exception):
    """Altered, unknown, or for another kind of reminder."""


class LinkExpired(Exception):
    pass


class LinkUsed(Exception):
    pass


def reminder_link_token(reminder: Reminder) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(reminder.public_id))


def reminder_from_token(token: str, *, kind: str | tuple[str, ...]) -> Reminder:
    """The reminder a link names (of `kind`, or one of several kinds), or LinkInvalid /
    LinkExpired / LinkUsed."""
    kinds = (kind,) if isinstance(kind, str) else kind
    max_age = timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS)
    try:
        public_id = signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkExpired from error
    except signing.BadSignature as error:
        raise LinkInvalid from error
    try:
        reminder = Reminder.objects.get(public_id=uuid.UUID(public_id), kind__in=kinds)
    except (ValueError, Reminder.DoesNotExist) as error:
        raise LinkInvalid from error
    if reminder.link_used_at is not None:
        raise LinkUsed
    return reminder


def reminder_link_use(reminder: Reminder) -> None:
    """Mark the link used; LinkUsed if another request used it first."""
    won = Reminder.objects.filter(pk=reminder.pk, link_used_at__isnull=True).update(
        link_used_at=timezone.now()
    )
    if not won:
        raise LinkUsed
    reminder.link_used_at = timezone.now()


def reminder_link_url(reminder: Reminder, route: str) -> str:
    """The absolute URL for an email: SITE_URL + the named route with the token."""
    return settings.SITE_URL.rstrip("/") + reverse(route, args=[reminder_link_token(reminder)])
