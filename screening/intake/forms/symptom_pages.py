"""The intake's symptoms, one thing per page: "Which of these have you noticed?" (one
checklist), then how much and how long, only for the symptoms chosen, several to a page
(`screening.intake.symptom_steps` decides which symptoms each details page asks about).

How long is a number and a unit (days, weeks, months, years) or "I don't know how long";
the form turns it into the contract's weeks (`screening.intake.durations`) and keeps
what the patient said as well.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract
from screening.intake import durations
from screening.intake.forms.base import NUMERIC, IntakeForm
from screening.intake.forms.symptoms import symptom_site_fields

NONE_OF_THESE = "none"

# A symptom's fields on a details page, after its code: f"{code}_{suffix}". The form adds
# `duration_weeks` (the contract's weeks, None for "I don't know") to what it keeps.
DETAIL_SUFFIXES = (
    "severity",
    "duration_number",
    "duration_unit",
    "duration_unknown",
    "duration_weeks",
    "sites",
    "both_sides",
)


class SymptomChecklistForm(IntakeForm):
    """Which symptoms the patient has noticed: checkboxes, or "None of these"."""

    symptoms = forms.MultipleChoiceField(
        label=_("Which of these have you noticed in the last few months?"),
        help_text=_("Select all that apply."),
        choices=[
            *labels.choices(contract.SYMPTOMS, labels.SYMPTOM_LABELS),
            (NONE_OF_THESE, _("None of these")),
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Select the things you have noticed, or “None of these”"),
            "invalid_choice": _("Select the things you have noticed, or “None of these”"),
            "invalid_list": _("Select the things you have noticed, or “None of these”"),
        },
    )

    def clean_symptoms(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["symptoms"]
        if NONE_OF_THESE in chosen and len(chosen) > 1:
            raise forms.ValidationError(
                _("Select the things you have noticed, or “None of these”, not both")
            )
        return chosen


def chosen_symptoms(checklist: dict[str, Any]) -> list[str]:
    """The symptom codes ticked on the checklist page's data, in the contract's order."""
    ticked = set(checklist.get("symptoms", []))
    return [code for code in contract.SYMPTOMS if code in ticked]


class SymptomDetailsForm(IntakeForm):
    """How much and how long, for each symptom in `codes`, each in a fieldset of its own
    whose legend is the symptom; the sites questions where the symptom has them.

    Compact, so that all 13 fit one page in fewer phone screens than the old one-page form
    (static/css/site.css, "symptom-details"): how much beside its box from 360px, the
    number and its unit on one row, the unit's legend read by screen readers only.
    """

    def __init__(self, *args: Any, codes: list[str] | tuple[str, ...] = (), **kwargs: Any) -> None:
        self.codes = [code for code in contract.SYMPTOMS if code in codes]
        super().__init__(*args, **kwargs)

    def page_fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for code in self.codes:
            fields.update(_detail_fields(code))
            fields.update(symptom_site_fields(code, if_yes=False))
        return fields

    def build_layout(self) -> Layout:
        blocks = []
        for code in self.codes:
            parts = [
                Field(f"{code}_severity", css_class="input-width-2", wrapper_class="severity"),
                Div(
                    Field(f"{code}_duration_number", css_class="input-width-2"),
                    InlineRadios(f"{code}_duration_unit"),
                    css_class="duration",
                ),
                f"{code}_duration_unknown",
            ]
            if code in contract.SYMPTOM_SITES:
                parts.append(f"{code}_sites")
            if code in contract.SYMPTOMS_WITH_BOTH_SIDES:
                parts.append(InlineRadios(f"{code}_both_sides"))
            blocks.append(
                Fieldset(labels.SYMPTOM_LABELS[code], *parts, css_class="question symptom-details")
            )
        return Layout(*blocks)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for code in self.codes:
            cleaned[f"{code}_duration_weeks"] = self._duration_clean(code, cleaned)
        return cleaned

    def _duration_clean(self, code: str, cleaned: dict[str, Any]) -> int | None:
        """The contract's weeks from what was said, or None ("I don't know", or an error
        added by the field it is about)."""
        name = {"symptom": labels.SYMPTOM_LABELS[code]}
        number_field, unit_field = f"{code}_duration_number", f"{code}_duration_unit"
        if number_field in self.errors or unit_field in self.errors:
            return None
        number, unit = cleaned.get(number_field), cleaned.get(unit_field)
        if cleaned.get(f"{code}_duration_unknown"):
            if number is not None or unit:
                self.add_error(
                    number_field,
                    _("%(symptom)s: enter how long or select “I don't know how long”, not both")
                    % name,
                )
            return None
        if number is None:
            self.add_error(
                number_field,
                _("%(symptom)s: enter how long you have had it, or select “I don't know how long”")
                % name,
            )
            return None
        if not unit:
            self.add_error(unit_field, _("%(symptom)s: select days, weeks, months or years") % name)
            return None
        weeks = durations.duration_weeks(number, unit)
        if not durations.duration_within_limit(weeks):
            self.add_error(
                number_field,
                _("%(symptom)s: enter a time of 20 years or less") % name,
            )
            return None
        return weeks


def _detail_fields(code: str) -> dict[str, forms.Field]:
    name = {"symptom": labels.SYMPTOM_LABELS[code]}
    severity_message = _("%(symptom)s: enter a whole number from 0 to 10") % name
    number_message = _("%(symptom)s: enter how long as a whole number, like 3") % name
    unit_message = _("%(symptom)s: select days, weeks, months or years") % name
    return {
        f"{code}_severity": forms.IntegerField(
            label=_("How much does it bother you, from 0 (not at all) to 10 (the most)?"),
            min_value=contract.SEVERITY_MIN,
            max_value=contract.SEVERITY_MAX,
            widget=forms.TextInput(attrs=NUMERIC),
            error_messages={
                "required": _("%(symptom)s: enter how much it bothers you, from 0 to 10") % name,
                "invalid": severity_message,
                "min_value": severity_message,
                "max_value": severity_message,
            },
        ),
        f"{code}_duration_number": forms.IntegerField(
            label=_("How long have you had it?"),
            help_text=_("For example, 3 months."),
            required=False,
            min_value=0,
            max_value=99999,
            widget=forms.TextInput(attrs=NUMERIC),
            error_messages={
                "invalid": number_message,
                "min_value": number_message,
                "max_value": _("%(symptom)s: enter a time of 20 years or less") % name,
            },
        ),
        f"{code}_duration_unit": forms.ChoiceField(
            label=_("Days, weeks, months or years"),
            choices=[(unit, labels.DURATION_UNIT_LABELS[unit]) for unit in durations.UNITS],
            widget=forms.RadioSelect,
            required=False,
            error_messages={"invalid_choice": unit_message},
        ),
        f"{code}_duration_unknown": forms.BooleanField(
            label=_("I don't know how long"), required=False
        ),
    }
