"""The intake's question pages as Django forms: input validation only, no clinical rules.

One form per page. Each form's `session_data()` is what the page keeps in the session
draft; `screening.intake.steps` turns those drafts into the contract's answers dict.

GOV.UK patterns: messages say what to do ("Enter your full name"), each names the
question it is about (they are listed together in the error summary), optional
questions say "(optional)", and "I don't know" is offered where it is an honest
answer. Numbers are text inputs with a numeric keyboard (no sliders, no browser
validation: the page's <form> has `novalidate`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.forms.forms import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract
from screening.engine.questionnaire import age_on

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
YES_NO_DONT_KNOW = [*YES_NO, ("dont_know", _("I don't know"))]
NONE_OF_THESE = "none"
DONT_KNOW = "dont_know"
LAB_ROWS = 3  # a small fixed number of blood-test rows; no JavaScript to add more
LAB_VALUE_MAX = Decimal("1000000")
EARLIEST_YEAR = 1900

NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


def _radio(choices: list, label, required_message, *, required: bool = True, help_text=""):
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        required=required,
        help_text=help_text,
        error_messages={"required": required_message, "invalid_choice": required_message},
    )


def _json_safe(value):
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


def _parse_date(
    day: str, month: str, year: str, *, subject, enter_message
) -> tuple[datetime.date | None, str, str]:
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

    def __init__(self, *args, today: datetime.date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.helper = FormHelper(self)
        self.helper.form_tag = False  # the page template writes <form novalidate>
        self.helper.disable_csrf = True
        self.helper.layout = self.build_layout()

    def build_layout(self) -> Layout:
        return Layout(*self.fields)

    def error_summary(self) -> list[tuple[str, str]]:
        """(href, message) for the error summary, in the order the questions appear."""
        items = [
            ("#" + self._anchor(next(iter(self.fields))), message)
            for message in self.errors.get(NON_FIELD_ERRORS, [])
        ]
        for name in self.fields:
            for message in self.errors.get(name, []):
                items.append(("#" + self._anchor(name), message))
        return items

    def _anchor(self, name: str) -> str:
        """The id of the field's first input: a radio or checkbox group's first option."""
        field = self[name]
        if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return f"{field.auto_id}_0"
        return field.auto_id

    def session_data(self) -> dict:
        return {name: _json_safe(value) for name, value in self.cleaned_data.items()}


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
    dob_day = forms.CharField(
        label=_("Day"), required=False, max_length=2, widget=forms.TextInput(attrs=NUMERIC)
    )
    dob_month = forms.CharField(
        label=_("Month"), required=False, max_length=2, widget=forms.TextInput(attrs=NUMERIC)
    )
    dob_year = forms.CharField(
        label=_("Year"), required=False, max_length=4, widget=forms.TextInput(attrs=NUMERIC)
    )
    sex = _radio(
        labels.choices(contract.SEXES, labels.SEX_LABELS),
        _("What sex were you registered at birth?"),
        _("Select the sex you were registered at birth, or “I prefer not to say”"),
    )
    contact_consent = _radio(
        YES_NO,
        _("Can the clinic contact you by email about your answers?"),
        _("Select yes if the clinic can contact you by email"),
    )

    def build_layout(self) -> Layout:
        return Layout(
            "full_name",
            "email",
            "phone",
            Fieldset(
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
            ),
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

    def clean(self) -> dict:
        cleaned = super().clean()
        if any(f"dob_{part}" in self.errors for part in ("day", "month", "year")):
            return cleaned
        date_of_birth, bad_part, message = _parse_date(
            cleaned.get("dob_day", ""),
            cleaned.get("dob_month", ""),
            cleaned.get("dob_year", ""),
            subject=_("Date of birth"),
            enter_message=_("Enter your date of birth"),
        )
        if date_of_birth is None:
            self.add_error(f"dob_{bad_part}", message)
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

    pregnant = _radio(
        labels.choices(contract.PREGNANT_CHOICES, labels.PREGNANT_LABELS),
        _("Are you pregnant?"),
        _("Select yes, no or “I'm not sure”"),
    )
    breastfeeding = _radio(
        YES_NO,
        _("Are you breastfeeding?"),
        _("Select yes if you are breastfeeding"),
    )

    def build_layout(self) -> Layout:
        return Layout(InlineRadios("pregnant"), InlineRadios("breastfeeding"))


class SymptomsForm(IntakeForm):
    """Each symptom in the contract: noticed yes/no, then how much (0-10) and how long."""

    def __init__(self, *args, **kwargs) -> None:
        # Fields must exist before IntakeForm builds the layout.
        self.base_fields = dict(self.base_fields)
        for code in contract.SYMPTOMS:
            self.base_fields.update(self._symptom_fields(code))
        super().__init__(*args, **kwargs)

    @staticmethod
    def _symptom_fields(code: str) -> dict:
        name = {"symptom": labels.SYMPTOM_LABELS[code]}
        severity_message = _("%(symptom)s: enter a whole number from 0 to 10") % name
        weeks_message = _("%(symptom)s: enter the number of weeks, from 0 to 1040") % name
        fields = {
            f"{code}_present": _radio(
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
        if code in contract.SYMPTOM_SITES:
            site_message = _("%(symptom)s: select places from the list") % name
            fields[f"{code}_sites"] = forms.MultipleChoiceField(
                label=_("If yes: where do you feel it? (optional)"),
                required=False,
                choices=labels.choices(contract.SYMPTOM_SITES[code], labels.SITE_LABELS[code]),
                widget=forms.CheckboxSelectMultiple,
                error_messages={"invalid_choice": site_message, "invalid_list": site_message},
            )
        if code in contract.SYMPTOMS_WITH_BOTH_SIDES:
            fields[f"{code}_both_sides"] = _radio(
                YES_NO_DONT_KNOW,
                _("If yes: do you feel it on both sides of your body? (optional)"),
                _("%(symptom)s: select yes, no or “I don't know”") % name,
                required=False,
            )
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

    def clean(self) -> dict:
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

    def __init__(self, *args, **kwargs) -> None:
        self.base_fields = {
            code: _radio(
                YES_NO,
                labels.RED_FLAG_QUESTIONS[code],
                _("%(question)s: select yes or no") % {"question": labels.RED_FLAG_LABELS[code]},
            )
            for code in contract.RED_FLAGS
        }
        super().__init__(*args, **kwargs)

    def build_layout(self) -> Layout:
        return Layout(*(InlineRadios(code) for code in contract.RED_FLAGS))

    def red_flags(self) -> list[str]:
        """Codes answered yes (only after is_valid())."""
        return [code for code in contract.RED_FLAGS if self.cleaned_data.get(code) == "yes"]


def _code_list_field(codes: tuple[str, ...], code_labels: dict, label, required_message):
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
    diet = _radio(
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
    conditions = _code_list_field(
        contract.CONDITIONS,
        labels.CONDITION_LABELS,
        _("Have you been told you have any of these, or had any of these treatments?"),
        _(
            "Select the conditions or treatments you have had, or “None of these”, "
            "or “I don't know”"
        ),
    )
    family_history = _radio(
        YES_NO_DONT_KNOW,
        _(
            "Does a parent, brother, sister or child have low vitamin B12, pernicious anaemia "
            "or another autoimmune condition?"
        ),
        _("Select yes, no or “I don't know” for your family"),
    )
    b12_treatment = _radio(
        labels.choices(contract.B12_TREATMENTS, labels.B12_TREATMENT_LABELS),
        _("Are you taking vitamin B12 now?"),
        _("Select whether you are taking vitamin B12 now"),
    )

    def build_layout(self) -> Layout:
        return Layout(
            "diet",
            Field("alcohol_units_per_week", css_class="input-width-4"),
            "medicines",
            "conditions",
            "family_history",
            "b12_treatment",
        )

    def _clean_exclusive(self, name: str, what) -> list[str]:
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


class BloodTestsForm(IntakeForm):
    """Up to LAB_ROWS recent blood results: every row is optional; a started row must be whole."""

    def __init__(self, *args, **kwargs) -> None:
        self.base_fields = {}
        for row in range(1, LAB_ROWS + 1):
            self.base_fields.update(self._row_fields(row))
        super().__init__(*args, **kwargs)

    @staticmethod
    def _row_fields(row: int) -> dict:
        name = {"row": row}
        return {
            f"lab{row}_test": forms.ChoiceField(
                label=_("Test"),
                required=False,
                choices=[("", _("Select a test")), *labels.LAB_TEST_LABELS.items()],
                error_messages={
                    "invalid_choice": _("Blood test %(row)s: select a test from the list") % name
                },
            ),
            f"lab{row}_value": forms.CharField(
                label=_("Result"),
                help_text=_("The number only, like 250 or 4.5"),
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs=DECIMAL),
                error_messages={
                    "max_length": _("Blood test %(row)s: enter the result as a number, like 250")
                    % name
                },
            ),
            f"lab{row}_unit": forms.ChoiceField(
                label=_("Unit"),
                required=False,
                choices=[("", _("Select a unit")), *labels.UNIT_LABELS.items()],
                error_messages={
                    "invalid_choice": _("Blood test %(row)s: select a unit from the list") % name
                },
            ),
            f"lab{row}_day": forms.CharField(
                label=_("Day"), required=False, max_length=2, widget=forms.TextInput(attrs=NUMERIC)
            ),
            f"lab{row}_month": forms.CharField(
                label=_("Month"),
                required=False,
                max_length=2,
                widget=forms.TextInput(attrs=NUMERIC),
            ),
            f"lab{row}_year": forms.CharField(
                label=_("Year"),
                required=False,
                max_length=4,
                widget=forms.TextInput(attrs=NUMERIC),
            ),
        }

    def build_layout(self) -> Layout:
        rows = []
        for row in range(1, LAB_ROWS + 1):
            rows.append(
                Fieldset(
                    _("Blood test %(row)s (optional)") % {"row": row},
                    f"lab{row}_test",
                    Field(f"lab{row}_value", css_class="input-width-6"),
                    f"lab{row}_unit",
                    Fieldset(
                        _("Date of the test"),
                        Div(
                            Field(f"lab{row}_day", css_class="input-width-2"),
                            Field(f"lab{row}_month", css_class="input-width-2"),
                            Field(f"lab{row}_year", css_class="input-width-4"),
                            css_class="date-input",
                        ),
                    ),
                    css_class="question",
                )
            )
        return Layout(*rows)

    def clean(self) -> dict:
        cleaned = super().clean()
        labs = []
        for row in range(1, LAB_ROWS + 1):
            lab = self._clean_row(cleaned, row)
            if lab is not None:
                labs.append(lab)
        cleaned["labs"] = labs
        return cleaned

    def _clean_row(self, cleaned: dict, row: int) -> dict | None:
        """One row as a contract lab object, or None (blank or with errors added)."""
        prefix = f"lab{row}_"
        names = [prefix + part for part in ("test", "value", "unit", "day", "month", "year")]
        if any(name in self.errors for name in names):
            return None
        values = {name[len(prefix) :]: (cleaned.get(name) or "").strip() for name in names}
        if not any(values.values()):
            return None
        name = {"row": row}
        ok = True
        test, unit = values["test"], values["unit"]
        if not test:
            self.add_error(prefix + "test", _("Blood test %(row)s: select which test") % name)
            ok = False
        value = self._parse_value(values["value"])
        if value is None:
            self.add_error(
                prefix + "value",
                _("Blood test %(row)s: enter the result as a number, like 250 or 4.5") % name,
            )
            ok = False
        if not unit:
            self.add_error(prefix + "unit", _("Blood test %(row)s: select the unit") % name)
            ok = False
        elif test and unit not in contract.LAB_UNITS[test]:
            self.add_error(
                prefix + "unit",
                _("Blood test %(row)s: the unit for %(test)s must be %(units)s")
                % {
                    "row": row,
                    "test": labels.LAB_TEST_LABELS[test],
                    "units": ", ".join(labels.UNIT_LABELS[u] for u in contract.LAB_UNITS[test]),
                },
            )
            ok = False
        date, bad_part, message = _parse_date(
            values["day"],
            values["month"],
            values["year"],
            subject=_("Date of blood test %(row)s") % name,
            enter_message=_("Blood test %(row)s: enter the date of the test") % name,
        )
        if date is None:
            self.add_error(prefix + bad_part, message)
            ok = False
        elif date > self.today:
            self.add_error(
                prefix + "day",
                _("Date of blood test %(row)s must be today or in the past") % name,
            )
            ok = False
        elif date.year < EARLIEST_YEAR:
            self.add_error(
                prefix + "year",
                _("Date of blood test %(row)s must be a real date") % name,
            )
            ok = False
        if not ok:
            return None
        return {"test": test, "value": value, "unit": unit, "date": date}

    @staticmethod
    def _parse_value(text: str) -> Decimal | None:
        """A plain number, 0 or more, below a million, with at most 3 decimal places.
        A single decimal comma (4,5 as written in Spanish) is read as a decimal point."""
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not text or not all(character.isdigit() or character == "." for character in text):
            return None
        if not text.isascii():
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
        if not value.is_finite() or value < 0 or value >= LAB_VALUE_MAX:
            return None
        if value.as_tuple().exponent < -3:
            return None
        return value
