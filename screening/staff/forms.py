"""Forms for the staff dashboard. They parse and validate; the rules live in `screening.domain`."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from screening import labels
from screening.domain.queries import queue
from screening.domain.queries.records import submission_by_reference
from screening.engine import contract
from screening.models import LabResult, Patient, PatientTombstone, Review, Submission

QUEUE_STATUS_CHOICES = [
    (queue.QUEUE_STATUS_OPEN, "Open; any status for a search"),
    (queue.QUEUE_STATUS_OPEN_ONLY, "Open only (new, in review, awaiting test, tasks open)"),
    *Submission.Status.choices,
    (queue.QUEUE_STATUS_ALL, "All"),
]


ISO_DATE_FORMAT = "%Y-%m-%d"
ISO_DATE_HINT = "Year-month-day, for example 2026-03-31"


def iso_date_field(label: str, *, required: bool = True, hint_after: str = "") -> forms.DateField:
    """A date typed as year-month-day, the one format its hint names and the only one it
    takes. Not `type="date"`: the browser shows that in its own locale's order (31/03/2026
    or 03/31/2026), which no single hint can match, and on a phone its picker is wider
    than the screen. "03/04/2026" would otherwise be read as Django's US default."""
    return forms.DateField(
        label=label,
        required=required,
        input_formats=[ISO_DATE_FORMAT],
        widget=forms.DateInput(
            attrs={"placeholder": "YYYY-MM-DD", "maxlength": 10, "autocomplete": "off"},
            format=ISO_DATE_FORMAT,
        ),
        help_text=f"{ISO_DATE_HINT}, {hint_after}" if hint_after else ISO_DATE_HINT,
        error_messages={"invalid": "Enter the date as year-month-day, for example 2026-03-31."},
    )


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data to bind a form to (even when empty), or None on GET."""
    return request.POST if request.method == "POST" else None


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
        help_text="Name, reference or email, in every status unless Status narrows it",
    )
    level = forms.ChoiceField(
        label="Level",
        required=False,
        choices=[("", "Any level"), *labels.choices(contract.LEVELS, labels.LEVEL_LABELS)],
    )
    status = forms.ChoiceField(label="Status", required=False, choices=QUEUE_STATUS_CHOICES)
    assignee = forms.ChoiceField(label="Assignee", required=False)
    submitted_from = iso_date_field("Submitted from", required=False)
    submitted_to = iso_date_field("Submitted to", required=False, hint_after="included")

    def __init__(self, *args, clinical: bool, reviewers=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not clinical:
            del self.fields["level"]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", "Anyone or no one"),
            (queue.QUEUE_ASSIGNEE_ME, "Me"),
            (queue.QUEUE_ASSIGNEE_UNASSIGNED, "Unassigned"),
            *[(str(user.pk), user.get_username()) for user in reviewers],
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", "The end date must be on or after the start date.")
            cleaned.pop("submitted_to", None)
        return cleaned

    def filters(self) -> dict:
        """The valid filters as keyword arguments for `queue.queue_submissions`;
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
    date = iso_date_field("Date of test")

    def clean_value(self):
        value = self.cleaned_data["value"]
        if value >= contract.LAB_VALUE_MAX:  # the bound on every path (docs/answers-extensions.md)
            raise forms.ValidationError(
                f"The result must be less than {contract.LAB_VALUE_MAX:,}: check the number."
            )
        return value

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("The date of the test cannot be in the future.")
        return date

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        test, unit = cleaned.get("test"), cleaned.get("unit")
        if test and unit and unit not in contract.LAB_UNITS[test]:
            accepted = ", ".join(labels.UNIT_LABELS[code] for code in contract.LAB_UNITS[test])
            self.add_error(
                "unit",
                f"{labels.UNIT_LABELS[unit]} is not a unit for "
                f"{labels.LAB_TEST_LABELS[test]}: choose {accepted}.",
            )
        return cleaned


class MergeTargetForm(StaffForm):
    """Which record to merge into: a suggested record, or any record by one of its
    submissions' references. Sets cleaned_data["target"] to the Patient."""

    candidate = forms.ChoiceField(
        label="Records that may be the same person",
        required=False,
        widget=forms.RadioSelect,
    )
    reference = forms.CharField(
        label="Or the reference of a submission on the other record",
        required=False,
        max_length=20,
        help_text="For example B12-7KQ4-XM9P",
    )

    def __init__(self, *args, source: Patient, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        cast(forms.ChoiceField, self.fields["candidate"]).choices = [
            (
                str(candidate.public_id),
                f"{candidate.full_name}, born {candidate.date_of_birth:%d %b %Y}, "
                f"{candidate.email} ({candidate.submission_count} submission"
                f"{'' if candidate.submission_count == 1 else 's'})",
            )
            for candidate in candidates
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        candidate, reference = cleaned.get("candidate"), cleaned.get("reference", "").strip()
        if bool(candidate) == bool(reference):
            raise forms.ValidationError("Choose one record, or give one reference (not both).")
        if candidate:
            target = Patient.objects.filter(public_id=candidate).first()
        else:
            submission = submission_by_reference(reference=reference)
            target = submission.patient if submission else None
            if target is None:
                self.add_error("reference", "No submission has this reference.")
                return cleaned
        if target is None or target.merged_into_id is not None:
            raise forms.ValidationError("That record cannot be merged into: it was merged.")
        if target.pk == self.source.pk:
            raise forms.ValidationError("That is this record: choose the other one.")
        cleaned["target"] = target
        return cleaned


class MatchConfirmForm(StaffForm):
    """Confirming a possible match: which details given with the intake the record takes
    (`choices`: the differing ones a clinician may choose; a withdrawal of consent is
    applied without asking)."""

    apply = forms.MultipleChoiceField(
        label="Details to take from this intake onto the record",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave a detail unticked to keep what the record has.",
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["apply"]).choices = choices


class MergeConfirmForm(forms.Form):
    target = forms.UUIDField(widget=forms.HiddenInput)


class SplitForm(StaffForm):
    """Which submissions move to a new record, and that record's details. The email and
    date of birth must belong to no other record (records are unique by the two)."""

    submissions = forms.MultipleChoiceField(
        label="Submissions that belong to another person",
        widget=forms.CheckboxSelectMultiple,
        help_text="At least one submission must stay on this record.",
        error_messages={"required": "Choose the submissions to move."},
    )
    full_name = forms.CharField(label="Their full name", max_length=200)
    email = forms.EmailField(label="Their email address", max_length=254)
    phone = forms.CharField(label="Their phone number (optional)", max_length=30, required=False)
    date_of_birth = forms.DateField(
        label="Their date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="YYYY-MM-DD",
    )

    def __init__(self, *args, patient: Patient, submissions, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "full_name": patient.full_name,
                "email": patient.email,
                "phone": patient.phone,
                "date_of_birth": patient.date_of_birth,
            },
        )
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.by_public_id = {str(submission.public_id): submission for submission in submissions}
        cast(forms.MultipleChoiceField, self.fields["submissions"]).choices = [
            (
                public_id,
                f"{submission.reference}, submitted "
                f"{timezone.localtime(submission.submitted_at):%d %b %Y}",
            )
            for public_id, submission in self.by_public_id.items()
        ]

    def clean_submissions(self) -> list[Submission]:
        chosen = self.cleaned_data["submissions"]
        if len(chosen) == len(self.by_public_id):
            raise forms.ValidationError("At least one submission must stay on this record.")
        return [self.by_public_id[public_id] for public_id in chosen]

    def clean_date_of_birth(self):
        date_of_birth = self.cleaned_data["date_of_birth"]
        if date_of_birth > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        return date_of_birth

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        email, date_of_birth = cleaned.get("email"), cleaned.get("date_of_birth")
        if email and date_of_birth:
            email = email.strip().lower()
            cleaned["email"] = email
            if Patient.objects.filter(email=email, date_of_birth=date_of_birth).exists():
                raise forms.ValidationError(
                    "A record with this email and date of birth exists already (perhaps this "
                    "one): change the email or the date of birth, or merge into that record."
                )
        return cleaned

    def details(self) -> dict:
        return {
            key: self.cleaned_data[key] for key in ("full_name", "email", "phone", "date_of_birth")
        }


ERASE_CONFIRMATION_WORD = "ERASE"


class PatientEraseForm(StaffForm):
    """Erasing a record on request: why (a code, never free text: the audit trail keeps
    it) and the word ERASE typed out."""

    reason = forms.ChoiceField(
        label="Why is this record being erased?",
        choices=[
            ("", "Choose a reason"),
            (
                PatientTombstone.Reason.PATIENT_REQUEST,
                "The patient asked for their data to be erased",
            ),
            (PatientTombstone.Reason.ENTERED_IN_ERROR, "Entered in error, or a test record"),
        ],
        error_messages={"required": "Choose why the record is being erased."},
    )
    confirmation = forms.CharField(
        label=f"Type {ERASE_CONFIRMATION_WORD} to confirm",
        max_length=20,
        help_text="This cannot be undone.",
        error_messages={"required": f"Type {ERASE_CONFIRMATION_WORD} to confirm."},
    )

    def clean_confirmation(self) -> str:
        typed = self.cleaned_data["confirmation"].strip()
        if typed != ERASE_CONFIRMATION_WORD:
            raise forms.ValidationError(f"Type {ERASE_CONFIRMATION_WORD} in capitals to confirm.")
        return typed
