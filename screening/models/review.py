"""The clinic's review of a submission: its status changes and the clinicians' decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening.models.submissions import Submission


class StatusChange(models.Model):
    """Who moved a submission from one review state to another, and when."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=Submission.Status.choices)
    to_status = models.CharField(max_length=20, choices=Submission.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    # Why a clinician closed an open submission (screening.domain.tasks.submission_close).
    reason = models.TextField(_("reason"), blank=True, max_length=500)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission} {self.from_status} -> {self.to_status}"


class Review(models.Model):
    """A clinician's decision on a submission: one or more outcome codes and a note."""

    class Outcome(models.TextChoices):
        ORDER_B12_TEST = "order_b12_test", _("Order B12 test")
        ORDER_BLOOD_COUNT = "order_blood_count", _("Order full blood count")
        START_TREATMENT = "start_treatment", _("Start treatment per local protocol")
        REFER = "refer", _("Refer")
        NO_ACTION = "no_action", _("No action")
        CONTACT_PATIENT = "contact_patient", _("Contact patient")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reviews")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    outcomes = models.JSONField(_("outcomes"), default=list)  # Outcome codes
    note = models.TextField(_("note"), blank=True, max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission} {', '.join(self.outcomes)}"
