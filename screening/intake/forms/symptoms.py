"""The follow-up check-in's "How you feel now" page (every symptom on one page, duration in
weeks) and the "Urgent symptoms" page, which the intake and the follow-up share. The
intake asks its symptoms on pages of their own (`symptom_pages`)."""

from __future__ import annotations

from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.layout import Field, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract
from screening.intake.forms.base import (
    NUMERIC,
    YES_NO,
    YES_NO_DONT_KNOW,
    IntakeForm,
    radio_field,
)


def symptom_site_fields(code: str, *, if_yes: bool = True) -> dict[str, forms.Field]:
    """Where the symptom is felt and whether on both sides, for the symptoms that have them
    (numbness or tingling, joint pain): optional, asked only of a symptom the patient has.
    `if_yes`: the questions sit under "Have you noticed this?" on the same page."""
    name = {"symptom": labels.SYMPTOM_LABELS[code]}
    fields: dict[str, forms.Field] = {}
    if code in contract.SYMPTOM_SITES:
        site_message = _("%(symptom)s: select places from the list") % name
        fields[f"{code}_sites"] = forms.MultipleChoiceField(
            label=(
                _("If yes: where do you feel it? (optional)")
                if if_yes
                else _("Where do you feel it? (optional)")
            ),
            required=False,
            choices=labels.choices(contract.SYMPTOM_SITES[code], labels.SITE_LABELS[code]),
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": site_message, "invalid_list": site_message},
        )
    if code in contract.SYMPTOMS_WITH_BOTH_SIDES:
        fields[f"{code}_both_sides"] = radio_field(
            YES_NO_DONT_KNOW,
            (
                _("If yes: do you feel it on both sides of your body? (optional)")
                if if_yes
                else _("Do you feel it on both sides of your body? (optional)")
            ),
            _("%(symptom)s: select yes, no or “I don't know”") % name,
            required=False,
        )
    return fields


class SymptomsForm(IntakeForm):
    """Each symptom in the contract: noticed yes/no, then how much (0-10) and how long."""

    def page_fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for code in contract.SYMPTOMS:
            fields.update(self._symptom_fields(code))
        return fields

    @staticmethod
    def _symptom_fields(code: str) -> dict[str, forms.Field]:
        name = {"symptom": labels.SYMPTOM_LABELS[code]}
        severity_message = _("%(symptom)s: enter a whole number from 0 to 10") % name
        weeks_message = _("%(symptom)s: enter the number of weeks, from 0 to 1040") % name
        fields: dict[str, forms.Field] = {
            f"{code}_present": radio_field(
                YES_NO,
                _("Have you noticed this?"),
                _("%(symptom)s: select yes or no") % name,
            ),
            f"{code}_severity": forms.IntegerField(
                label=_(
                    "If yes: how much does it bother you, from 0 (not at all) to 10 (the most)?"
                ),
                required=False,
                min_value=contract.SEVERITY_MIN,
                max_value=contract.SEVERITY_MAX,
                widget=forms.TextInput(attrs=NUMERIC),
                error_messages={
                    "invalid": severity_message,
                    "min_value": severity_message,
                    "max_value": severity_message,
                },
            ),
            f"{code}_duration": forms.IntegerField(
                label=_("If yes: for how many weeks have you had it?"),
                help_text=_("For example, 6. A year is 52 weeks."),
                required=False,
                min_value=contract.DURATION_WEEKS_MIN,
                max_value=contract.DURATION_WEEKS_MAX,
                widget=forms.TextInput(attrs=NUMERIC),
                error_messages={
                    "invalid": weeks_message,
                    "min_value": weeks_message,
                    "max_value": weeks_message,
                },
            ),
            f"{code}_duration_unknown": forms.BooleanField(
                label=_("I don't know how long"), required=False
            ),
        }
        fields.update(symptom_site_fields(code))
        return fields

    def build_layout(self) -> Layout:
        blocks = []
        for code in contract.SYMPTOMS:
            parts = [
                InlineRadios(f"{code}_present"),
                Field(f"{code}_severity", css_class="input-width-2"),
                Field(f"{code}_duration", css_class="input-width-4"),
                f"{code}_duration_unknown",
            ]
            if code in contract.SYMPTOM_SITES:
                parts.append(f"{code}_sites")
            if code in contract.SYMPTOMS_WITH_BOTH_SIDES:
                parts.append(InlineRadios(f"{code}_both_sides"))
            blocks.append(Fieldset(labels.SYMPTOM_LABELS[code], *parts, css_class="question"))
        return Layout(*blocks)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for code in contract.SYMPTOMS:
            present = cleaned.get(f"{code}_present")
            if present == "no":
                # Details only describe a symptom the patient has; drop what was typed.
                cleaned[f"{code}_severity"] = None
                cleaned[f"{code}_duration"] = None
                cleaned[f"{code}_duration_unknown"] = False
                cleaned.pop(f"{code}_sites", None)
                cleaned.pop(f"{code}_both_sides", None)
                if code in contract.SYMPTOM_SITES:
                    cleaned[f"{code}_sites"] = []
                if code in contract.SYMPTOMS_WITH_BOTH_SIDES:
                    cleaned[f"{code}_both_sides"] = ""
                continue
            if present != "yes":
                continue
            name = {"symptom": labels.SYMPTOM_LABELS[code]}
            severity_field = f"{code}_severity"
            if cleaned.get(severity_field) is None and severity_field not in self.errors:
                self.add_error(
                    severity_field,
                    _("%(symptom)s: enter how much it bothers you, from 0 to 10") % name,
                )
            duration_field = f"{code}_duration"
            weeks = cleaned.get(duration_field)
            unknown = cleaned.get(f"{code}_duration_unknown")
            if duration_field in self.errors:
                continue
            if weeks is None and not unknown:
                self.add_error(
                    duration_field,
                    _("%(symptom)s: enter the number of weeks, or select “I don't know how long”")
                    % name,
                )
            elif weeks is not None and unknown:
                self.add_error(
                    duration_field,
                    _(
                        "%(symptom)s: enter the number of weeks or select “I don't know how "
                        "long”, not both"
                    )
                    % name,
                )
        return cleaned


class UrgentForm(IntakeForm):
    """The nine red flags, yes or no each, in plain words."""

    def page_fields(self) -> dict[str, forms.Field]:
        return {
            code: radio_field(
                YES_NO,
                labels.RED_FLAG_QUESTIONS[code],
                _("%(question)s: select yes or no") % {"question": labels.RED_FLAG_LABELS[code]},
            )
            for code in contract.RED_FLAGS
        }

    def build_layout(self) -> Layout:
        return Layout(*(InlineRadios(code) for code in contract.RED_FLAGS))

    def red_flags(self) -> list[str]:
        """Codes answered yes (only after is_valid())."""
        return [code for code in contract.RED_FLAGS if self.cleaned_data.get(code) == "yes"]
