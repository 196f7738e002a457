"""The reminder outbox (one row per email that should go out) and the unsubscribed addresses."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening.models.patients import Patient
from screening.models.submissions import Submission


class Reminder(models.Model):
    """One email that should go out: the outbox row, written in the same transaction as
    the event that causes it.

    `key` is unique per cause (e.g. "follow_up:<submission public id>"), so scheduling the
    same reminder twice stores it once. The status moves pending -> queued (claimed by
    the periodic dispatch) -> sending (one worker won the compare-and-set) -> sent; or to
    cancelled (the reason no longer holds at send time) or failed (after retries, or
    interrupted mid-send, shown on the dashboard with a retry button).
    """

    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", _("Follow-up check-in")
        BLOOD_TEST = "blood_test", _("Blood test reminder")
        UNFINISHED_INTAKE = "unfinished_intake", _("Unfinished intake")
        # The resume link, sent at once when the patient saves (the reminder above
        # comes later, if they have not sent the form by then).
        INTAKE_SAVED = "intake_saved", _("Saved intake link")
        ESCALATION = "escalation", _("Urgent escalation")
        # At once, when an urgent submission arrives (the escalation above follows if
        # nobody has picked it up after ESCALATION_AFTER_MINUTES).
        URGENT_NEW = "urgent_new", _("New urgent submission")
        DIGEST = "digest", _("Daily queue digest")
        CONFIRMATION = "confirmation", _("Form received")
        # A clinician's message: the email only says there is one and links to it.
        CLINIC_MESSAGE = "clinic_message", _("Message from the clinic")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class Failure(models.TextChoices):
        """Why a failed row failed, for the staff page: only RETRIES_RAN_OUT is safe to
        retry in bulk."""

        RETRIES_RAN_OUT = "retries_ran_out", _("Temporary errors; retries ran out")
        REFUSED = "refused", _("Refused by the mail server")
        MAY_HAVE_REACHED = "may_have_reached", _("May have reached the patient")
        NOT_BUILT = "not_built", _("The email could not be built")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    # Who it is for: a patient (with the submission or draft it is about) or a staff user.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    draft = models.ForeignKey(
        "IntakeDraft", on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    language = models.CharField(max_length=10, default="en")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    failure = models.CharField(max_length=20, choices=Failure.choices, blank=True)
    cancelled_reason = models.CharField(max_length=100, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    # When this attempt's message data began to go to the SMTP server (the DATA command):
    # a send cut short before it never reached the server and is safe to send again; one
    # cut short after it may have reached the patient (docs/reminders.md, "Exactly once").
    data_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The link in the email (follow-up form, resume) works once.
    link_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.due_at:%Y-%m-%d %H:%M}"


class EmailOptOut(models.Model):
    """An address that clicked "unsubscribe": no reminder goes to it again."""

    email = models.EmailField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"opt-out {self.created_at:%Y-%m-%d}"
