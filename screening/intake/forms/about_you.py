"""The "About you" and "Pregnancy and breastfeeding" pages."""

from __future__ import annotations

from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract
from screening.engine.questionnaire import age_on
from screening.intake.forms.base import (
    YES_NO,
    IntakeForm,
    cleaned_date_of_birth,
    date_of_birth_fields,
    date_of_birth_fieldset,
    radio_field,
)


class AboutYouForm(IntakeForm):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={
            "required": _("Enter your full name"),
            "max_length": _("Full name must be 200 characters or fewer"),
        },
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We use this only to contact you about this form."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
            "max_length": _("Email address must be 254 characters or fewer"),
        },
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"max_length": _("Phone number must be 30 characters or fewer")},
    )
    dob_day, dob_month, dob_year = date_of_birth_fields()
    sex = radio_field(
        labels.choices(contract.SEXES, labels.SEX_LABELS),
        _("What sex were you registered at birth?"),
        _("Select the sex you were registered at birth, or “I prefer not to say”"),
    )
    contact_consent = radio_field(
        YES_NO,
        _("Can the clinic contact you by email about your answers?"),
        _("Select yes if the clinic can contact you by email"),
    )

    def build_layout(self) -> Layout:
        return Layout(
            "full_name",
            "email",
            "phone",
            # css_id: where "Change" on the check page lands
            date_of_birth_fieldset(css_id="date_of_birth"),
            "sex",
            InlineRadios("contact_consent"),
        )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        allowed = set("0123456789+()- ")
        digits = sum(character.isdigit() for character in phone)
        if phone and (not set(phone) <= allowed or digits < 6):
            raise forms.ValidationError(
                _("Enter a phone number, like 01632 960 001 or +44 7700 900 982")
            )
        return phone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_of_birth = cleaned_date_of_birth(self, cleaned)
        if date_of_birth is None:
            return cleaned
        if date_of_birth > self.today:
            self.add_error("dob_day", _("Date of birth must be in the past"))
            return cleaned
        age = age_on(date_of_birth, self.today)
        if age < contract.AGE_MIN:
            self.add_error(
                "dob_day",
                _("You must be %(age)s or over to use this form; please contact the clinic")
                % {"age": contract.AGE_MIN},
            )
        elif age > contract.AGE_MAX:
            self.add_error("dob_year", _("Check the year of your date of birth"))
        else:
            cleaned["date_of_birth"] = date_of_birth
            cleaned["age_years"] = age
        return cleaned


class PregnancyForm(IntakeForm):
    """Asked only where it can apply; see `screening.intake.steps.pregnancy_applies`."""

    pregnant = radio_field(
        labels.choices(contract.PREGNANT_CHOICES, labels.PREGNANT_LABELS),
        _("Are you pregnant?"),
        _("Select yes, no or “I'm not sure”"),
    )
    breastfeeding = radio_field(
        YES_NO,
        _("Are you breastfeeding?"),
        _("Select yes if you are breastfeeding"),
    )

    def build_layout(self) -> Layout:
        return Layout(InlineRadios("pregnant"), InlineRadios("breastfeeding"))
