"""Stored intakes: who the patient is, what they answered, and what the screening said.

Answers live in typed, queryable columns and child rows (not one JSON blob), so the
clinic can ask "all urgent intakes this week" or "everyone on metformin" in SQL.
`screening.selectors.submission_answers` turns the rows back into the contract's
answers dict. Codes come from `screening.contract`; labels from `screening.labels`.

Absent answers: an optional answer the patient did not give is stored as NULL
(booleans, numbers) or "" (choices), and reads back as an absent key.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening import contract, labels

# No 0/O, 1/I/L or U: a reference read out over the phone cannot be misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "B12"


def new_reference() -> str:
    """A random reference like B12-7KQ4-XM9P. Random, so it says nothing about volume."""
    groups = ["".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(4)) for _ in range(2)]
    return "-".join([REFERENCE_PREFIX, *groups])


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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "date_of_birth"], name="patient_unique_email_date_of_birth"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.public_id})"


class Submission(models.Model):
    """One intake. A red-flag intake is stored early (is_complete False) and completed later."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_REVIEW = "in_review", _("In review")
        AWAITING_TEST = "awaiting_test", _("Awaiting test")
        REVIEWED = "reviewed", _("Reviewed")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(_("reference"), max_length=13, unique=True, editable=False)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="submissions")
    questionnaire_version = models.CharField(_("questionnaire version"), max_length=20)
    language = models.CharField(_("language"), max_length=10, default="en")
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    is_complete = models.BooleanField(_("complete"), default=False)
    # The same key for every POST of one intake: a replayed POST finds this row.
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)

    # Answers (contract keys). NULL or "" means not asked / not answered.
    age_years = models.PositiveSmallIntegerField(_("age (years)"))
    sex = models.CharField(
        _("sex"),
        max_length=20,
        blank=True,
        choices=labels.choices(contract.SEXES, labels.SEX_LABELS),
    )
    pregnant = models.CharField(
        _("pregnant"),
        max_length=10,
        blank=True,
        choices=labels.choices(contract.PREGNANT_CHOICES, labels.PREGNANT_LABELS),
    )
    breastfeeding = models.BooleanField(_("breastfeeding"), null=True, blank=True)
    diet = models.CharField(
        _("diet"),
        max_length=20,
        blank=True,
        choices=labels.choices(contract.DIETS, labels.DIET_LABELS),
    )
    alcohol_units_per_week = models.PositiveSmallIntegerField(
        _("alcohol units per week"), null=True, blank=True
    )
    # Lists: no rows could mean "none" or "not answered"; these say which.
    medicines_answered = models.BooleanField(_("medicines answered"), default=False)
    conditions_answered = models.BooleanField(_("conditions answered"), default=False)
    family_history = models.BooleanField(_("family history"), null=True, blank=True)
    b12_treatment = models.CharField(
        _("B12 treatment now"),
        max_length=20,
        blank=True,
        choices=labels.choices(contract.B12_TREATMENTS, labels.B12_TREATMENT_LABELS),
    )

    class Meta:
        indexes = [
            models.Index(fields=["status"], name="submission_status_idx"),
            models.Index(fields=["submitted_at"], name="submission_submitted_at_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class SymptomAnswer(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="symptoms")
    code = models.CharField(
        _("symptom"),
        max_length=40,
        choices=labels.choices(contract.SYMPTOMS, labels.SYMPTOM_LABELS),
    )
    present = models.BooleanField(_("present"))
    severity = models.PositiveSmallIntegerField(_("severity (0-10)"), null=True, blank=True)
    duration_weeks = models.PositiveSmallIntegerField(_("duration (weeks)"), null=True, blank=True)
    # NULL: not given; a list of site codes otherwise.
    sites = models.JSONField(_("sites"), null=True, blank=True)
    both_sides = models.BooleanField(_("both sides"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "code"], name="symptom_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class RedFlagAnswer(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="red_flags")
    code = models.CharField(
        _("red flag"),
        max_length=60,
        choices=labels.choices(contract.RED_FLAGS, labels.RED_FLAG_LABELS),
    )
    answer = models.BooleanField(_("answer"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "code"], name="red_flag_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class MedicineAnswer(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="medicines")
    code = models.CharField(
        _("medicine"),
        max_length=40,
        choices=labels.choices(contract.MEDICINES, labels.MEDICINE_LABELS),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "code"], name="medicine_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class ConditionAnswer(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="conditions")
    code = models.CharField(
        _("condition"),
        max_length=40,
        choices=labels.choices(contract.CONDITIONS, labels.CONDITION_LABELS),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "code"], name="condition_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


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
