"""Results: blood test results, and what the screening engine said about a submission.

Both are added next to earlier rows, never written over: the current screening result is
the latest (`screening.domain.results.screening_result_add` is the only writer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract
from screening.models.patients import Patient
from screening.models.submissions import Submission


class LabResult(models.Model):
    """A blood test result, from the patient's intake or entered later by a clinician."""

    class Source(models.TextChoices):
        PATIENT = "patient", _("Patient")
        CLINICIAN = "clinician", _("Clinician")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lab_results")
    submission = models.ForeignKey(
        Submission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lab_results",
    )
    test = models.CharField(
        _("test"),
        max_length=20,
        choices=labels.choices(contract.LAB_TESTS, labels.LAB_TEST_LABELS),
    )
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    unit = models.CharField(
        _("unit"),
        max_length=10,
        choices=[(unit, labels.UNIT_LABELS[unit]) for unit in labels.ALL_UNITS],
    )
    date = models.DateField(_("date of test"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.test} {self.value} {self.unit} ({self.date})"


class ScreeningResult(models.Model):
    """What `rules.screen` said about a submission's answers at one moment.

    Never overwritten: a later change (the rest of a red-flag intake, a lab result)
    adds a new row next to the old one; the current result is the latest.
    """

    class Trigger(models.TextChoices):
        INTAKE = "intake", _("Intake")
        LAB = "lab", _("Lab result")
        RESCREEN = "rescreen", _("Rescreen")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    rules_version = models.CharField(_("rules version"), max_length=60)
    level = models.CharField(
        _("level"),
        max_length=20,
        choices=labels.choices(contract.LEVELS, labels.LEVEL_LABELS),
        db_index=True,
    )
    possible_b12_deficiency = models.BooleanField(_("possible B12 deficiency"))
    red_flags = models.JSONField(_("red flags"), default=list)
    reasons = models.JSONField(_("reasons"), default=list)
    suggested_actions = models.JSONField(_("suggested actions"), default=list)
    b12_status = models.CharField(
        _("B12 status"),
        max_length=30,
        choices=labels.choices(contract.B12_STATUSES, labels.B12_STATUS_LABELS),
    )
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.INTAKE
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        get_latest_by = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission} {self.level} ({self.rules_version})"
