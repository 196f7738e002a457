"""Messages from the clinic to a patient, and the patient's reply: the writes.

Each public function is one transaction with its audit event:
- `message_send` (a clinician; CHANGE "message.send") stores the message and its outbox
  row (`scheduling.reminder_schedule_clinic_message`): the email only says there is a
  message and links to it. A double submit of the same form (the same `public_id`)
  stores and sends once.
- `message_link_open` (VIEW "message.link_opened", the first time only),
  `message_unlock` (VIEW "message.unlocked"; LOGIN_FAILED "message.unlock_failed";
  CHANGE "message.locked" at the DOB_MAX_ATTEMPTS-th wrong date of birth) and
  `message_reply` (CHANGE "message.reply", once: a compare-and-set update) are the
  patient's; their events have no actor and no address.

Events name the message and submission by public id, never the text.
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from screening.domain.audit import audit_record
from screening.domain.text import plain_text
from screening.models import (
    MESSAGE_FREE_TEXT_MAX_LENGTH,
    MESSAGE_REPLY_MAX_LENGTH,
    AuditEvent,
    MessageTemplate,
    PatientMessage,
    Submission,
)
from screening.reminders import scheduling

# Wrong dates of birth before the link locks (the page then says to call the clinic).
DOB_MAX_ATTEMPTS = 5

NO_EMAIL = "The patient gave no email address, so no message can be sent."
NO_CONSENT = "The patient did not agree to be contacted by email, so no message can be sent."
POSSIBLE_MATCH = (
    "This submission is not yet confirmed as this patient's: confirm or split the match "
    "before sending a message."
)
NOTHING_TO_SEND = "Choose a template or write a message."
TOO_LONG = f"Your words must be {MESSAGE_FREE_TEXT_MAX_LENGTH} characters or fewer."
OTHER_SUBMISSION = "That form was for another submission; nothing was sent."


class MessageNotAllowed(ValueError):
    """The message cannot be sent; the text says why in words staff can act on."""


class ReplyRefused(Exception):
    """The patient has replied already (or the link is locked): nothing was stored."""


def message_refusal(*, submission: Submission) -> str:
    """Why no message may go to this submission's patient ("" when one may)."""
    if submission.identity_status == Submission.IdentityStatus.POSSIBLE_MATCH:
        return POSSIBLE_MATCH
    if not submission.patient.email:
        return NO_EMAIL
    if not submission.patient.contact_consent:
        return NO_CONSENT
    return ""


def _clean(text: str) -> str:
    text = plain_text(text).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip()


def message_body(*, template: MessageTemplate | None, text: str, language: str) -> str:
    """What the patient reads: the template in their language, then the clinician's words."""
    parts = [template.body_in(language).strip()] if template is not None else []
    if _clean(text):
        parts.append(_clean(text))
    return "\n\n".join(parts)


def message_send(
    *,
    submission: Submission,
    by: User,
    address: str | None,
    public_id: uuid.UUID,
    template: MessageTemplate | None,
    text: str,
) -> tuple[PatientMessage, bool]:
    """Store the message and its email (sent at once, after commit); with whether it was
    new. `public_id` comes with the form, so a second POST of it finds the first message
    and sends nothing. MessageNotAllowed when it may not be sent."""
    if len(_clean(text)) > MESSAGE_FREE_TEXT_MAX_LENGTH:
        raise MessageNotAllowed(
            f"The message is at most {MESSAGE_FREE_TEXT_MAX_LENGTH} characters."
        )
    existing = PatientMessage.objects.filter(public_id=public_id).first()
    if existing is not None:
        if existing.submission_id != submission.pk:
            raise MessageNotAllowed(OTHER_SUBMISSION)
        return existing, False
    refusal = message_refusal(submission=submission)
    if refusal:
        raise MessageNotAllowed(refusal)
    language = submission.patient.language
    body = message_body(template=template, text=text, language=language)
    if not body:
        raise MessageNotAllowed(NOTHING_TO_SEND)
    try:
        with transaction.atomic():
            message = PatientMessage.objects.create(
                public_id=public_id,
                submission=submission,
                sent_by=by,
                template=template,
                template_name=template.name if template is not None else "",
                body=body,
                language=language,
            )
            message.reminder = scheduling.reminder_schedule_clinic_message(message=message)
            message.save(update_fields=["reminder"])
            audit_record(
                by=by,
                address=address,
                action=AuditEvent.Action.CHANGE,
                what="message.send",
                object_type="submission",
                object_id=str(submission.public_id),
                patient=submission.patient,
                detail={"message": str(message.public_id), "template": message.template_name},
            )
    except IntegrityError:  # the same form posted twice at once: the other request won
        return PatientMessage.objects.get(public_id=public_id, submission=submission), False
    return message, True


def _patient_event(message: PatientMessage, *, action: str, what: str, **detail: object) -> None:
    """An event of the patient's (no staff actor, no address)."""
    audit_record(
        by=None,
        action=action,
        what=what,
        object_type="submission",
        object_id=str(message.submission.public_id),
        patient=message.submission.patient,
        detail={"message": str(message.public_id), **detail},
    )


def message_link_open(*, message: PatientMessage) -> None:
    """The patient opened the link: noted (and audited) the first time only."""
    with transaction.atomic():
        first = PatientMessage.objects.filter(pk=message.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
        if first:
            _patient_event(message, action=AuditEvent.Action.VIEW, what="message.link_opened")


def message_unlock(*, message: PatientMessage, date_of_birth: datetime.date) -> str:
    """Check the date of birth the patient typed: "unlocked", "wrong" (attempts left) or
    "locked" (this attempt was the last, or the link was locked already)."""
    with transaction.atomic():
        row = PatientMessage.objects.select_for_update().get(pk=message.pk)
        if row.locked_at is not None:
            return "locked"
        now = timezone.now()
        if date_of_birth == message.submission.patient.date_of_birth:
            PatientMessage.objects.filter(pk=row.pk).update(failed_attempts=0)
            PatientMessage.objects.filter(pk=row.pk, read_at__isnull=True).update(read_at=now)
            _patient_event(message, action=AuditEvent.Action.VIEW, what="message.unlocked")
            return "unlocked"
        attempts = row.failed_attempts + 1
        locked = attempts >= DOB_MAX_ATTEMPTS
        PatientMessage.objects.filter(pk=row.pk).update(
            failed_attempts=F("failed_attempts") + 1, locked_at=now if locked else None
        )
        _patient_event(
            message,
            action=AuditEvent.Action.LOGIN_FAILED,
            what="message.unlock_failed",
            attempts=attempts,
        )
        if locked:
            _patient_event(message, action=AuditEvent.Action.CHANGE, what="message.locked")
            return "locked"
    return "wrong"


def attempts_left(message: PatientMessage) -> int:
    return max(DOB_MAX_ATTEMPTS - message.failed_attempts, 0)


def message_reply(*, message: PatientMessage, text: str) -> None:
    """Store the patient's one reply on the message (so on its submission). ReplyRefused
    when a reply is stored already (a second reply, or a double submit) or the link is
    locked; ValueError for an empty or too long reply (the form says so first)."""
    reply = _clean(text)
    if not reply or len(reply) > MESSAGE_REPLY_MAX_LENGTH:
        raise ValueError(f"A reply is 1 to {MESSAGE_REPLY_MAX_LENGTH} characters.")
    with transaction.atomic():
        won = PatientMessage.objects.filter(
            pk=message.pk, replied_at__isnull=True, locked_at__isnull=True
        ).update(reply=reply, replied_at=timezone.now())
        if not won:
            raise ReplyRefused
        _patient_event(message, action=AuditEvent.Action.CHANGE, what="message.reply")
    message.refresh_from_db()
