"""Submissions: one intake each, its reference, and the patient's answers.

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

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract
from screening.models.patients import Patient

# No 0/O, 1/I/L or U: a reference read out over the phone cannot be misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "B12"

# The patient's own words (docs/answers-extensions.md, "Free text is not an answer"):
# shown to clinicians and exported, never read by the screening rules. Bounded, so a
# page of text cannot be pasted into a staff page or an export.
OTHER_MEDICINES_MAX_LENGTH = 500
ANYTHING_ELSE_MAX_LENGTH = 1200
FREE_TEXT_MAX_LENGTHS = {
    "other_medicines": OTHER_MEDICINES_MAX_LENGTH,
    "anything_else": ANYTHING_ELSE_MAX_LENGTH,
}


def new_reference() -> str:
    """A random reference like B12-7KQ4-XM9P. Random, so it says nothing about volume."""
    groups = ["".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(4)) for _ in range(2)]
    return "-".join([REFERENCE_PREFIX, *groups])


class Submission(models.Model):
    """One intake. A red-flag intake is stored early (is_complete False) and completed later."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_REVIEW = "in_review", _("In review")
        AWAITING_TEST = "awaiting_test", _("Awaiting test")
        # Decided, with tasks still open (screening.models.tasks): stays in the open queue.
        TASKS_OPEN = "tasks_open", _("Tasks open")
        REVIEWED = "reviewed", _("Reviewed")
        CLOSED = "closed", _("Closed")

    class IdentityStatus(models.TextChoices):
        """Whether the submission is known to belong to the patient record it is on."""

        # A new record made from it, a clinician's confirmation or split, the patient's
        # own follow-up link, or stored before possible matches were held.
        CONFIRMED = "confirmed", _("Confirmed")
        POSSIBLE_MATCH = "possible_match", _("Possible match")

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
    # The patient agreed, before the first question, to the use of their answers for their
    # care: under this version of the privacy notice, at this time (screening/intake/privacy.py).
    # Empty for a follow-up check-in and an EHR's intake, which are not asked.
    care_consent_version = models.CharField(
        _("privacy notice version agreed to"), max_length=64, blank=True, editable=False
    )
    care_consent_at = models.DateTimeField(
        _("agreed to the use of answers for care"), null=True, blank=True, editable=False
    )

    # Who the intake says the patient is, as given with it (the form, or an EHR's
    # contained Patient): kept here, because an intake never changes an existing
    # patient's stored details. "" / NULL: not given (an EHR says nothing of consent; a
    # follow-up check-in and rows stored before these columns give nothing).
    given_full_name = models.CharField(_("name given"), max_length=200, blank=True)
    given_email = models.EmailField(_("email given"), max_length=254, blank=True)
    given_phone = models.CharField(_("phone given"), max_length=30, blank=True)
    given_contact_consent = models.BooleanField(
        _("email contact agreed on this intake"), null=True, blank=True
    )
    # POSSIBLE_MATCH: the intake gave the email and date of birth of a patient who
    # already had a record, so it was filed on that record without changing it, until a
    # clinician confirms the match (applying the details they choose) or splits it off
    # (`screening.domain.patients`, docs/security.md "Patient identity").
    identity_status = models.CharField(
        _("patient identity"),
        max_length=20,
        choices=IdentityStatus.choices,
        default=IdentityStatus.CONFIRMED,
    )

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
    # Free text (FREE_TEXT_MAX_LENGTHS), "" when not given; not answers: never screened.
    other_medicines = models.CharField(
        _("other medicines (as written)"), max_length=OTHER_MEDICINES_MAX_LENGTH, blank=True
    )
    anything_else = models.CharField(
        _("anything else (as written)"), max_length=ANYTHING_ELSE_MAX_LENGTH, blank=True
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
    # Which client sent a public intake, within one clock hour: a keyed hash of its address
    # and the hour (`screening.web.ratelimit.client_tag`), never the address; "" for an
    # EHR's or a follow-up. Urgent escalations from one tag go out as one email
    # (`screening.reminders.scheduling`), which clears tags a day old.
    client_tag = models.CharField(max_length=32, blank=True, default="", editable=False)

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
                condition=models.Q(status__in=["new", "in_review", "awaiting_test", "tasks_open"]),
                name="submission_open_queue_idx",
            ),
            # The whole queue ("all statuses") in its order, and any one level of it
            # (level_rank first): a page and the queue's bounded count walk the index.
            models.Index(
                fields=["level_rank", "submitted_at", "id"], name="submission_queue_order_idx"
            ),
            # The urgent submissions nobody has picked up (every staff page shows how many,
            # `queries.alerts`): counted off this small index alone, not the open queue's
            # rows (a million submissions: bench/README.md).
            models.Index(
                fields=["level"],
                condition=models.Q(status="new"),
                name="submission_new_level_idx",
            ),
            # "Assigned to me", a colleague or no one, in the open queue: off this small
            # index in queue order, not the open queue's rows one by one from the table.
            models.Index(
                fields=["assignee", "level_rank", "submitted_at", "id"],
                condition=models.Q(status__in=["new", "in_review", "awaiting_test", "tasks_open"]),
                name="submission_open_assignee_idx",
            ),
            # A search by name or email finds its patients by the trigram indexes, then their
            # submissions here: status to filter on and the queue's order to sort by, off
            # the index alone (not one table row per submission of a common surname).
            models.Index(
                fields=["patient", "status", "level_rank", "submitted_at", "id"],
                name="submission_patient_queue_idx",
            ),
            # The few submissions that still carry a client tag (a day's worth at most).
            models.Index(
                fields=["client_tag", "submitted_at"],
                condition=~models.Q(client_tag=""),
                name="submission_client_tag_idx",
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
    Submission.Status.TASKS_OPEN,
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
    # What the patient said (screening.intake.durations): a number and its unit, or the
    # unit "dont_know" alone; blank where they were asked in weeks (follow-up, EHR, older).
    duration_number = models.PositiveSmallIntegerField(
        _("duration (as said)"), null=True, blank=True
    )
    duration_unit = models.CharField(
        _("duration unit (as said)"),
        max_length=10,
        blank=True,
        choices=list(labels.DURATION_UNIT_LABELS.items()),
    )
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
