"""Forms for tasks: the decision form with the tasks it creates, closing and reassigning a
task, and closing a submission with a reason. They parse and validate; the rules live in
`screening.domain.tasks`."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.models import User

from screening.domain import tasks as task_services
from screening.models import Task
from screening.staff.forms import DecisionForm, StaffForm

DATE_WIDGET_ATTRS = {"type": "date"}


def _owner_choices(reviewers: Iterable[User]) -> list[tuple[str, str]]:
    return [(str(user.pk), user.get_username()) for user in reviewers]


def _due_field(*, label: str, initial: datetime.date | None, help_text: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        initial=initial,
        widget=forms.DateInput(
            attrs={**DATE_WIDGET_ATTRS, "class": "form-control form-control-sm"},
            format="%Y-%m-%d",
        ),
        help_text=help_text,
    )


class DecisionTasksForm(DecisionForm):
    """The decision (outcomes, note) and the tasks it leaves: per kind of task a box to
    tick, an owner (the clinician deciding, unless changed) and a due date
    (`tasks.TASK_DUE_DAYS` from today, unless changed)."""

    # The latest decision on the page (0: none): a second submit of the same page is refused
    # (`tasks.decision_record`), so a double click stores nothing twice.
    seen_review = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, user: User, reviewers: Iterable[User], today: datetime.date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.reviewers = {str(reviewer.pk): reviewer for reviewer in reviewers}
        owners = _owner_choices(self.reviewers.values())
        for kind, label in Task.Kind.choices:
            days = task_services.TASK_DUE_DAYS[kind]
            self.fields[f"task_{kind}"] = forms.BooleanField(
                label=f"Create a task: {label}",
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.fields[f"task_{kind}_owner"] = forms.ChoiceField(
                label=f"{label}: owner",
                choices=owners,
                initial=str(user.pk),
                required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"task_{kind}_due"] = _due_field(
                label=f"{label}: due",
                initial=task_services.task_due_default(kind, today=today),
                help_text=f"YYYY-MM-DD; {days} days from today unless changed",
            )

    def task_kinds(self) -> list[dict[str, Any]]:
        """The task fields per kind, for the template."""
        return [
            {
                "label": label,
                "create": self[f"task_{kind}"],
                "owner": self[f"task_{kind}_owner"],
                "due": self[f"task_{kind}_due"],
            }
            for kind, label in Task.Kind.choices
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for kind in Task.Kind.values:
            if not cleaned.get(f"task_{kind}"):
                continue
            if cleaned.get(f"task_{kind}_owner") not in self.reviewers:
                self.add_error(f"task_{kind}_owner", "Choose who owns this task.")
            due = cleaned.get(f"task_{kind}_due")
            if due is None and f"task_{kind}_due" not in self.errors:
                self.add_error(f"task_{kind}_due", "Enter a due date, like 2026-03-31.")
            elif due is not None and due < self.today:
                self.add_error(f"task_{kind}_due", "The due date cannot be in the past.")
        return cleaned

    def task_specs(self) -> list[task_services.TaskSpec]:
        """The tasks ticked, once the form is valid."""
        return [
            task_services.TaskSpec(
                kind=kind,
                owner=self.reviewers[self.cleaned_data[f"task_{kind}_owner"]],
                due_on=self.cleaned_data[f"task_{kind}_due"],
            )
            for kind in Task.Kind.values
            if self.cleaned_data.get(f"task_{kind}")
        ]


class TaskCloseForm(StaffForm):
    """How a task ended, and an optional note."""

    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[(o.value, o.label) for o in task_services.CLOSING_OUTCOMES],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the task ended."},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=Task._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen by clinicians only. At most 2000 characters.",
    )


class TaskReassignForm(StaffForm):
    """Another owner and/or another due date for an open task."""

    owner = forms.ChoiceField(label="Owner", error_messages={"required": "Choose an owner."})
    due_on = forms.DateField(
        label="Due",
        widget=forms.DateInput(attrs=DATE_WIDGET_ATTRS, format="%Y-%m-%d"),
        help_text="YYYY-MM-DD",
        error_messages={"required": "Enter a due date, like 2026-03-31."},
    )

    def __init__(
        self, *args: Any, reviewers: Iterable[User], today: datetime.date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.reviewers = {str(reviewer.pk): reviewer for reviewer in reviewers}
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = [("", "Choose an owner"), *_owner_choices(self.reviewers.values())]

    def clean_owner(self) -> User:
        return self.reviewers[self.cleaned_data["owner"]]

    def clean_due_on(self) -> datetime.date:
        due = self.cleaned_data["due_on"]
        if due < self.today:
            raise forms.ValidationError("The due date cannot be in the past.")
        return due


class SubmissionCloseForm(StaffForm):
    """Why the submission is closed (kept on its status history)."""

    reason = forms.CharField(
        label="Reason",
        max_length=task_services.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Seen by clinicians only, in the status history. At most 500 characters. "
            "Any open task is closed as cancelled."
        ),
        error_messages={"required": "Give the reason for closing the submission."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for closing the submission.")
        return reason
