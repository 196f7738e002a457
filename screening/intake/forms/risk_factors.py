"""The "Diet, medicines and health" page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crispy_forms.layout import Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract
from screening.intake.forms.base import (
    NUMERIC,
    YES_NO_DONT_KNOW,
    IntakeForm,
    radio_field,
)
from screening.intake.forms.free_text import other_medicines_field

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NONE_OF_THESE = "none"
DONT_KNOW = "dont_know"


def _code_list_field(
    codes: tuple[str, ...],
    code_labels: dict[str, Any],  # a dict of screening.labels
    label: StrOrPromise,
    required_message: StrOrPromise,
) -> forms.MultipleChoiceField:
    """Checkboxes for a contract code list, plus "None of these" and "I don't know"."""
    return forms.MultipleChoiceField(
        label=label,
        choices=[
            *labels.choices(codes, code_labels),
            (NONE_OF_THESE, _("None of these")),
            (DONT_KNOW, _("I don't know")),
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": required_message,
            "invalid_choice": required_message,
            "invalid_list": required_message,
        },
    )


class RiskFactorsForm(IntakeForm):
    diet = radio_field(
        labels.choices(contract.DIETS, labels.DIET_LABELS),
        _("Which best describes what you usually eat?"),
        _("Select what you usually eat"),
    )
    alcohol_units_per_week = forms.IntegerField(
        label=_("How many units of alcohol do you drink in a usual week? (optional)"),
        help_text=_(
            "A pint of beer or a medium glass of wine is about 2 units. "
            "Enter 0 if you do not drink."
        ),
        required=False,
        min_value=contract.ALCOHOL_MIN,
        max_value=contract.ALCOHOL_MAX,
        widget=forms.TextInput(attrs=NUMERIC),
        error_messages={
            "invalid": _("Enter units of alcohol as a whole number from 0 to 500"),
            "min_value": _("Enter units of alcohol as a whole number from 0 to 500"),
            "max_value": _("Enter units of alcohol as a whole number from 0 to 500"),
        },
    )
    medicines = _code_list_field(
        contract.MEDICINES,
        labels.MEDICINE_LABELS,
        _("Do you take any of these now, or have you taken them for most of the last 4 months?"),
        _("Select the medicines you take, or “None of these”, or “I don't know”"),
    )
    other_medicines = other_medicines_field()  # free text, not an answer (forms.free_text)
    conditions = _code_list_field(
        contract.CONDITIONS,
        labels.CONDITION_LABELS,
        _("Have you been told you have any of these, or had any of these treatments?"),
        _(
            "Select the conditions or treatments you have had, or “None of these”, "
            "or “I don't know”"
        ),
    )
    family_history = radio_field(
        YES_NO_DONT_KNOW,
        _(
            "Does a parent, brother, sister or child have low vitamin B12, pernicious anaemia "
            "or another autoimmune condition?"
        ),
        _("Select yes, no or “I don't know” for your family"),
    )
    b12_treatment = radio_field(
        labels.choices(contract.B12_TREATMENTS, labels.B12_TREATMENT_LABELS),
        _("Are you taking vitamin B12 now?"),
        _("Select whether you are taking vitamin B12 now"),
    )

    def build_layout(self) -> Layout:
        return Layout(
            "diet",
            Field("alcohol_units_per_week", css_class="input-width-4"),
            "medicines",
            "other_medicines",
            "conditions",
            "family_history",
            "b12_treatment",
        )

    def _clean_exclusive(self, name: str, what: StrOrPromise) -> list[str]:
        chosen = self.cleaned_data[name]
        exclusive = [choice for choice in chosen if choice in (NONE_OF_THESE, DONT_KNOW)]
        if exclusive and len(chosen) > 1:
            raise forms.ValidationError(
                _("Select %(what)s, or “None of these”, or “I don't know”: only one of the three")
                % {"what": what}
            )
        return chosen

    def clean_medicines(self) -> list[str]:
        return self._clean_exclusive("medicines", _("the medicines you take"))

    def clean_conditions(self) -> list[str]:
        return self._clean_exclusive("conditions", _("the conditions or treatments you have had"))
