"""Forms for the staff dashboard. They parse and validate; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from screening import contract, labels, selectors
from screening.models import LabResult, Review, Submission

QUEUE_STATUS_CHOICES = [
    (selectors.QUEUE_STATUS_OPEN, "Open (new, in review, awaiting test)"),
    *Submission.Status.choices,
    (selectors.QUEUE_STATUS_ALL, "All"),
]


class StaffForm(forms.Form):
    """Bootstrap classes on every widget, so templates need no per-field markup."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class QueueFilterForm(StaffForm):
    """The queue's GET filters. Bad values are errors shown above the queue, never a 500;
    the valid filters still apply.

    For staff without clinical access (`clinical` False) the level filter is removed: a
    receptionist must not learn a patient's level by filtering on it.
    """

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Name, reference or email",
    )
    level = forms.ChoiceField(
        label="Level",
        required=False,
        choices=[("", "Any level"), *labels.choices(contract.LEVELS, labels.LEVEL_LABELS)],
    )
    status = forms.ChoiceField(label="Status", required=False, choices=QUEUE_STATUS_CHOICES)
    assignee = forms.ChoiceField(label="Assignee", required=False)
    submitted_from = forms.DateField(
        label="Submitted from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="YYYY-MM-DD",
    )
    submitted_to = forms.DateField(
        label="Submitted to",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="YYYY-MM-DD, included",
    )

    def __init__(self, *args, clinical: bool, reviewers=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not clinical:
            del self.fields["level"]
        self.fields["assignee"].choices = [
            ("", "Anyone or no one"),
            (selectors.QUEUE_ASSIGNEE_ME, "Me"),
            (selectors.QUEUE_ASSIGNEE_UNASSIGNED, "Unassigned"),
            *[(str(user.pk), user.get_username()) for user in reviewers],
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", "The end date must be on or after the start date.")
            cleaned.pop("submitted_to", None)
        return cleaned

    def filters(self) -> dict:
        """The valid filters as keyword arguments for `selectors.queue_submissions`;
        a field with an error is left out (so it does not filter)."""
        self.is_valid()
        keys = ("q", "level", "status", "assignee", "submitted_from", "submitted_to")
        return {
            key: self.cleaned_data[key]
            for key in keys
            if key in self.cleaned_data and key in self.fields
        }

    def applied(self) -> dict:
        """The filters in use, as strings, for the audit trail. The search text itself is
        left out (it is usually a name or an email): only that a search was made."""
        applied = {key: str(value) for key, value in self.filters().items() if value}
        if "q" in applied:
            applied["q"] = "(search)"
        return applied


class DecisionForm(StaffForm):
    """A clinician's decision: one or more outcomes and an optional note."""

    outcomes = forms.MultipleChoiceField(
        label="Outcome",
        choices=Review.Outcome.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Choose all that apply. Ordering a B12 test or a full blood count moves the "
            "submission to awaiting test; any other decision to reviewed."
        ),
        error_messages={"required": "Choose at least one outcome."},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=Review._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Seen by clinicians only. At most 5000 characters.",
    )

    def clean_outcomes(self) -> list[str]:
        outcomes = self.cleaned_data["outcomes"]
        if Review.Outcome.NO_ACTION in outcomes and len(outcomes) > 1:
            raise forms.ValidationError("“No action” cannot be chosen with another outcome.")
        return outcomes


class StatusChangeForm(forms.Form):
    """The target of a status button on the record page."""

    to_status = forms.ChoiceField(choices=Submission.Status.choices)


class LabResultForm(StaffForm):
    """A lab result a clinician enters: the unit must be one the contract accepts for the
    test, and the date cannot be in the future."""

    test = forms.ChoiceField(
        label="Test", choices=[("", "Choose a test"), *labels.LAB_TEST_LABELS.items()]
    )
    value = forms.DecimalField(
        label="Result",
        max_digits=LabResult._meta.get_field("value").max_digits,
        decimal_places=LabResult._meta.get_field("value").decimal_places,
        min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="The number as the laboratory printed it, e.g. 179 or 24.9",
    )
    unit = forms.ChoiceField(
        label="Unit",
        choices=[("", "Choose a unit"), *labels.UNIT_LABELS.items()],
        help_text="; ".join(
            f"{labels.LAB_TEST_LABELS[test]}: "
            + ", ".join(labels.UNIT_LABELS[unit] for unit in units)
            for test, units in contract.LAB_UNITS.items()
        ),
    )
    date = forms.DateField(
        label="Date of test",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="YYYY-MM-DD",
    )

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("The date of the test cannot be in the future.")
        return date

    def clean(self) -> dict:
        cleaned = super().clean()
        test, unit = cleaned.get("test"), cleaned.get("unit")
        if test and unit and unit not in contract.LAB_UNITS[test]:
            accepted = ", ".join(labels.UNIT_LABELS[code] for code in contract.LAB_UNITS[test])
            self.add_error(
                "unit",
                f"{labels.UNIT_LABELS[unit]} is not a unit for "
                f"{labels.LAB_TEST_LABELS[test]}: choose {accepted}.",
            )
        return cleaned
