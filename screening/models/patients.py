"""Patients: the person behind the intakes, and what is left of one whose record was erased."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Patient(models.Model):
    """A person who filled in the intake. Repeat intakes (same email and date of birth)
    attach to the same patient."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    contact_consent = models.BooleanField(_("agreed to be contacted by email"), default=False)
    language = models.CharField(_("language"), max_length=10, default="en")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # Set when a clinician merges this record into another: it keeps its id for the audit
    # trail but owns no submissions any more.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "date_of_birth"], name="patient_unique_email_date_of_birth"
            )
        ]
        # The queue's search by any part of a name or email has trigram indexes on
        # UPPER(full_name) and UPPER(email): PostgreSQL only, so they are made by the
        # initial migration and not declared here (SQLite could not build them).

    def __str__(self) -> str:
        return f"{self.full_name} ({self.public_id})"


class PatientTombstone(models.Model):
    """What is left of an erased patient record: its opaque public id, when and why.

    Erasure (`screening.domain.retention.patient_erase`: a patient's request, or the end of the
    retention period) deletes the patient, their submissions, answers, results, labs,
    reviews and reminders. The audit trail names records by this id, so it still says
    who saw and changed the record, and this row says that it was erased.
    """

    class Reason(models.TextChoices):
        PATIENT_REQUEST = "patient_request", _("The patient asked for their record to be erased")
        ENTERED_IN_ERROR = "entered_in_error", _("Entered in error or a test record")
        RETENTION = "retention", _("The retention period ended")

    public_id = models.UUIDField(unique=True, editable=False)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    erased_at = models.DateTimeField(_("erased"), default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"erased {self.public_id} ({self.reason})"
