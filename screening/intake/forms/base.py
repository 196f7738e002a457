"""What every intake question page's form shares: `IntakeForm`, radio buttons, dates.

The intake's question pages are Django forms: input validation only, no clinical rules.
One form per page, in the modules of this package by group of pages (about_you,
symptoms, risk_factors, blood_tests). Each form's `session_data()` is what the page keeps
in the session draft; `screening.intake.steps` turns those drafts into the contract's
answers dict.

GOV.UK patterns: messages say what to do ("Enter your full name"), each names the
question it is about (they are listed together in the error summary), optional
questions say "(optional)", and "I don't know" is offered where it is an honest
answer. Numbers are text inputs with a numeric keyboard (no sliders, no browser
validation: the page's <form> has `novalidate`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
YES_NO_DONT_KNOW = [*YES_NO, ("dont_know", _("I don't know"))]

NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}


def radio_field(
    choices: Sequence[tuple[str, StrOrPromise]],
    label: StrOrPromise,
    required_message: StrOrPromise,
    *,
    required: bool = True,
    help_text: StrOrPromise = "",
) -> forms.ChoiceField:
    """Radio buttons whose one message, for no answer or a tampered one, says what to select."""
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        required=required,
        help_text=help_text,
        error_messages={"required": required_message, "invalid_choice": required_message},
    )


def date_of_birth_fields() -> tuple[forms.CharField, forms.CharField, forms.CharField]:
    """Day, month and year boxes, for a form's `dob_day, dob_month, dob_year = ...` (the
    "About you" page and a message link's check of the date of birth), so both ask alike."""
    return (
        forms.CharField(
            label=_("Day"), required=False, max_length=2, widget=forms.TextInput(attrs=NUMERIC)
        ),
        forms.CharField(
            label=_("Month"), required=False, max_length=2, widget=forms.TextInput(attrs=NUMERIC)
        ),
        forms.CharField(
            label=_("Year"), required=False, max_length=4, widget=forms.TextInput(attrs=NUMERIC)
        ),
    )


def cleaned_date_of_birth(form: forms.Form, cleaned: dict[str, Any]) -> datetime.date | None:
    """The date the three boxes make, or None with its message on the box at fault (or
    already on one of them)."""
    if any(f"dob_{part}" in form.errors for part in ("day", "month", "year")):
        return None
    date_of_birth, bad_part, message = parse_date(
        cleaned.get("dob_day", ""),
        cleaned.get("dob_month", ""),
        cleaned.get("dob_year", ""),
        subject=_("Date of birth"),
        enter_message=_("Enter your date of birth"),
    )
    if date_of_birth is None:
        form.add_error(f"dob_{bad_part}", message)
    return date_of_birth


def date_of_birth_fieldset(**attrs: Any) -> Fieldset:
    """Day, month and year on one row under one legend, with its example (the "About you"
    page and a message link's check of the date of birth)."""
    return Fieldset(
        _("Date of birth"),
        HTML(
            format_html(
                '<div id="dob_hint" class="form-text mb-2">{}</div>',
                _("For example, 27 3 1980"),
            )
        ),
        Div(
            Field("dob_day", css_class="input-width-2"),
            Field("dob_month", css_class="input-width-2"),
            Field("dob_year", css_class="input-width-4"),
            css_class="date-input",
        ),
        css_class="mb-3",
        aria_describedby="dob_hint",
        **attrs,
    )


def _json_safe(value: Any) -> Any:
    """Dates and decimals as strings, so a cleaned form can live in the session."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    return value


def parse_date(
    day: str, month: str, year: str, *, subject: StrOrPromise, enter_message: StrOrPromise
) -> tuple[datetime.date | None, str, StrOrPromise]:
    """Parse a day/month/year trio; return (date, "", "") or (None, bad part, message).

    `subject` starts the messages ("Date of birth must be a real date").
    """
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if not any(parts.values()):
        return None, "day", str(enter_message)
    missing_messages = {
        "day": _("%(subject)s must include a day"),
        "month": _("%(subject)s must include a month"),
        "year": _("%(subject)s must include a year"),
    }
    for part, value in parts.items():
        if not value:
            return None, part, missing_messages[part] % {"subject": subject}
    real_date = _("%(subject)s must be a real date") % {"subject": subject}
    for part, value in parts.items():
        if not (value.isascii() and value.isdigit()):
            return None, part, real_date
    if len(parts["year"]) != 4:
        return None, "year", _("Year must include 4 numbers")
    try:
        date = datetime.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None, "day", real_date
    return date, "", ""


class IntakeForm(forms.Form):
    """Shared by every question page: crispy rendering, the error summary, session data.

    `today` is the intake day (kept in the session draft), so ages and "not in the
    future" checks agree across the pages of one intake.
    """

    # Validation is the server's job: no `required` attributes for browsers to act on.
    use_required_attribute = False

    def __init__(self, *args: Any, today: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built for each form, not once for the class: their messages name a symptom or
        # a row in the request's language. The layout below needs them in place.
        self.fields.update(self.page_fields())
        self.today = today or timezone.localdate()
        self.helper = FormHelper(self)
        self.helper.form_tag = False  # the page template writes <form novalidate>
        self.helper.disable_csrf = True
        self.helper.layout = self.build_layout()

    def page_fields(self) -> dict[str, forms.Field]:
        """The page's fields that are made per form (most pages declare theirs instead)."""
        return {}

    def build_layout(self) -> Layout:
        return Layout(*self.fields)

    def clean(self) -> dict[str, Any]:
        """Django's `clean` returns `cleaned_data`; each page's `clean` works on it."""
        super().clean()
        return self.cleaned_data

    def error_summary(self) -> list[tuple[str, str]]:
        """(href, message) for the error summary, in the order the questions appear."""
        # str(): an error list yields its messages as strings already; said for mypy.
        items = [
            ("#" + self._anchor(next(iter(self.fields))), str(message))
            for message in self.errors.get(NON_FIELD_ERRORS, [])
        ]
        for name in self.fields:
            for message in self.errors.get(name, []):
                items.append(("#" + self._anchor(name), str(message)))
        return items

    def _anchor(self, name: str) -> str:
        """The id of the field's first input: a radio or checkbox group's first option."""
        field = self[name]
        if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return f"{field.auto_id}_0"
        return field.auto_id

    def session_data(self) -> dict[str, Any]:
        return {name: _json_safe(value) for name, value in self.cleaned_data.items()}
