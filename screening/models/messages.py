"""Messages from the clinic to a patient: the templates the clinic edits, and each message
sent with the patient's one reply."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening.models.reminders import Reminder
from screening.models.submissions import Submission

# Bounds: a template's body, what a clinician adds to it, and the patient's reply.
MESSAGE_BODY_MAX_LENGTH = 2000
MESSAGE_FREE_TEXT_MAX_LENGTH = 1000
MESSAGE_REPLY_MAX_LENGTH = 1000


class MessageTemplate(models.Model):
    """A message the clinic sends often, in English and Spanish, edited by a clinic admin
    in the admin. Neutral words: no results, no brands; they ask the patient to act."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    body_en = models.TextField(_("text in English"), max_length=MESSAGE_BODY_MAX_LENGTH)
    body_es = models.TextField(_("text in Spanish"), max_length=MESSAGE_BODY_MAX_LENGTH)
    active = models.BooleanField(_("offered to clinicians"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def body_in(self, language: str) -> str:
        """The text in the patient's language (English when there is none in it)."""
        return self.body_es if language.startswith("es") and self.body_es else self.body_en


class PatientMessage(models.Model):
    """One message a clinician sent to the patient of a submission, and the patient's reply.

    The email (its outbox row, `reminder`) only says there is a message and links to it;
    the patient reads it after confirming their date of birth. After
    `screening.domain.messages.DOB_MAX_ATTEMPTS` wrong dates the link locks (`locked_at`).
    The patient replies once (`replied_at`, set by a compare-and-set update).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="patient_messages"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The template's name when sent (a template can be renamed or deleted later).
    template_name = models.CharField(max_length=100, blank=True)
    body = models.TextField(max_length=MESSAGE_BODY_MAX_LENGTH + MESSAGE_FREE_TEXT_MAX_LENGTH + 2)
    language = models.CharField(max_length=10, default="en")
    reminder = models.OneToOneField(
        Reminder, on_delete=models.SET_NULL, null=True, blank=True, related_name="patient_message"
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)  # the link first opened
    read_at = models.DateTimeField(null=True, blank=True)  # the date of birth first matched
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True, max_length=MESSAGE_REPLY_MAX_LENGTH)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"message {self.public_id} {self.created_at:%Y-%m-%d %H:%M}"
