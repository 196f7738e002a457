"""Stored intakes: who the patient is, what they answered, and what the screening said.

Answers live in typed, queryable columns and child rows (not one JSON blob), so the
clinic can ask "all urgent intakes this week" or "everyone on metformin" in SQL.
`screening.domain.queries.answers.submission_answers` turns the rows back into the contract's
answers dict. Codes come from `screening.engine.contract`; labels from `screening.labels`.

Absent answers: an optional answer the patient did not give is stored as NULL
(booleans, numbers) or "" (choices), and reads back as an absent key.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract

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
    # A follow-up check-in (symptoms and red flags only) points at the submission it follows.
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=[("intake", _("Intake")), ("follow_up", _("Follow-up"))],
        default="intake",
    )
    follow_up_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
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

    # The current screening result's level, copied here by `results.screening_result_add`
    # (the only writer of results) so the review queue can sort 100,000 rows on an index
    # instead of a subquery. level_rank: 0 urgent, 1 review soon, 2 routine, 3 no flag.
    level = models.CharField(
        _("level"),
        max_length=20,
        choices=labels.choices(contract.LEVELS, labels.LEVEL_LABELS),
        default="no_flag",
    )
    level_rank = models.PositiveSmallIntegerField(default=len(contract.LEVELS) - 1)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_submissions",
        verbose_name=_("assignee"),
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status"], name="submission_status_idx"),
            models.Index(fields=["submitted_at"], name="submission_submitted_at_idx"),
            # The queue: open submissions, most urgent first, then longest waiting.
            models.Index(
                fields=["status", "level_rank", "submitted_at"], name="submission_queue_idx"
            ),
            # The default queue (every open status at once) in its order, so a page is read
            # off the index instead of sorting every open submission; with the level last,
            # its count and the count per level can be read off the index too (100,000
            # submissions: bench/README.md).
            models.Index(
                fields=["level_rank", "submitted_at", "id", "level"],
                condition=models.Q(status__in=["new", "in_review", "awaiting_test"]),
                name="submission_open_queue_idx",
            ),
            # The whole queue ("all statuses") in its order, and any one level of it
            # (level_rank first): a page and the queue's bounded count walk the index.
            models.Index(
                fields=["level_rank", "submitted_at", "id"], name="submission_queue_order_idx"
            ),
        ]
        permissions = [
            ("view_queue", "Can see the review queue (names, contact details, status)"),
            ("review_submission", "Can see answers and results and record reviews"),
            ("export_queue", "Can export the review queue as CSV"),
            ("merge_patients", "Can merge and split patient records"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.REVIEWED, self.Status.CLOSED)


# While the clinic's review is open: the queue's default, and an active FHIR Flag.
OPEN_STATUSES = (
    Submission.Status.NEW,
    Submission.Status.IN_REVIEW,
    Submission.Status.AWAITING_TEST,
)


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


class AuditEventQuerySet(models.QuerySet):
    """Append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One staff action on patient data: who, what, which record, when, from where.

    Append-only through the app: saving an existing row or deleting one raises. The
    record is named by opaque ids (public ids, references), never by personal data.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("View")
        CHANGE = "change", _("Change")
        EXPORT = "export", _("Export")
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    what = models.CharField(max_length=100)  # e.g. "submission.detail", "queue.export"
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)  # public id or reference
    patient_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events cannot be deleted.")


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
        ESCALATION = "escalation", _("Urgent escalation")
        DIGEST = "digest", _("Daily queue digest")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

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
    cancelled_reason = models.CharField(max_length=100, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
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


class IntakeDraft(models.Model):
    """An intake the patient saved to finish later (save and resume). The draft is the
    session draft as JSON; the resume link in the email is signed and expires."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField()
    data = models.JSONField(default=dict)
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"draft {self.public_id}"


class ApiClient(models.Model):
    """A system (an EHR) that calls the FHIR API with a bearer token.

    The token is `<key_id>.<secret>`, shown once when the client is created
    (`manage.py create_api_client`). Only the SHA-256 of the secret is stored; `key_id`
    finds the row and the hashes are compared in constant time (`screening.fhir.api_auth`).
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read: pull reviewed submissions as FHIR bundles")
        WRITE = "write", _("Write: post questionnaire responses as new submissions")

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)  # SHA-256 hex of the secret
    scopes = models.JSONField(_("scopes"), default=list)  # Scope values
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Heartbeat(models.Model):
    """When a periodic job last ran: `screening.health.beat_heartbeat` (every minute, sent by
    beat and run by a worker) writes the "beat" row, and /health/ reports its age."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


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
