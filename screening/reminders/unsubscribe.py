"""One-click unsubscribe links in patient emails.

The token is the reminder's opaque public id signed with the secret key (its own salt, so
a follow-up link cannot be used as an unsubscribe token or the other way round). It does
not expire and can be used any number of times: unsubscribing twice is harmless, and an
old email must still let the patient stop the next one. The URL carries no address.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

from screening.models import Reminder

SALT = "screening.unsubscribe"


class UnsubscribeInvalid(Exception):
    """Altered or unknown."""


def unsubscribe_token(reminder: Reminder) -> str:
    return signing.Signer(salt=SALT).sign(str(reminder.public_id))


def reminder_from_unsubscribe_token(token: str) -> Reminder:
    try:
        public_id = uuid.UUID(signing.Signer(salt=SALT).unsign(token))
        return Reminder.objects.select_related("submission__patient", "draft", "staff_user").get(
            public_id=public_id
        )
    except (signing.BadSignature, ValueError, Reminder.DoesNotExist) as error:
        raise UnsubscribeInvalid from error


def unsubscribe_url(reminder: Reminder) -> str:
    """Absolute, for the email body and the List-Unsubscribe header."""
    path = reverse("reminders:unsubscribe", args=[unsubscribe_token(reminder)])
    return settings.SITE_URL.rstrip("/") + path
