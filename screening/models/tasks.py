"""Tasks: what a clinician's decision leaves to do for a submission (contact the patient,
order a B12 test, chase a result), with an owner, a due date and, once closed, an outcome.

A submission whose decision left tasks stays in the open queue (status "tasks open") until
its last task is closed or a clinician closes it with a reason (`screening.domain.tasks`).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from screening.models.review import Review
from screening.models.submissions import Submission


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> TaskQuerySet:
        return self.filter(closed_at__isnull=True)

    def overdue(self, today: datetime.date) -> TaskQuerySet:
        """Open and due before `today` (the clinic's day): a task due today is not late."""
        return self.open().filter(due_on__lt=today)


class Task(models.Model):
    """One thing to do for a submission, owned by a clinician."""

    class Kind(models.TextChoices):
        CONTACT_PATIENT = "contact_patient", _("Contact patient")
        ORDER_B12_TEST = "order_b12_test", _("Order B12 test")
        CHASE_RESULT = "chase_result", _("Chase result")

    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        NO_ANSWER = "no_answer", _("No answer")
        DECLINED = "declined", _("Declined")
        # Only when a clinician closes the submission with a reason while the task is open.
        CANCELLED = "cancelled", _("Cancelled (submission closed)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="tasks")
    # The decision that created it.
    review = models.ForeignKey(
        Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    kind = models.CharField(_("task"), max_length=20, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            # "My tasks" and the digest: an owner's open tasks by due date.
            models.Index(
                fields=["owner", "due_on"],
                condition=models.Q(closed_at__isnull=True),
                name="task_open_owner_idx",
            ),
            # "All open tasks" and the overdue count.
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(closed_at__isnull=True),
                name="task_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.kind}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
