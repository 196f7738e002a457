"""The "Recent blood test results" page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from screening import labels
from screening.engine import contract
from screening.intake.forms.base import (
    NUMERIC,
    IntakeForm,
    parse_date,
)

LAB_ROWS = 3  # a small fixed number of blood-test rows; no JavaScript to add more
LAB_VALUE_MAX = Decimal(contract.LAB_VALUE_MAX)  # the bound on every path
EARLIEST_YEAR = 1900
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


class BloodTestsForm(IntakeForm):
    """Up to LAB_ROWS recent blood results: every row is optional; a started row must be whole."""

    def page_fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for row in range(1, LAB_ROWS + 1):
            fields.update(self._row_fields(row))
        return fields

    @staticmethod
    def _row_fields(row: int) -> dict[str, forms.Field]:
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
                    css_id=f"blood_test_{row}",  # where "Change" on the check page lands
                )
            )
        return Layout(*rows)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        labs = []
        for row in range(1, LAB_ROWS + 1):
            lab = self._clean_row(cleaned, row)
            if lab is not None:
                labs.append(lab)
        cleaned["labs"] = labs
        return cleaned

    def _clean_row(self, cleaned: dict[str, Any], row: int) -> dict[str, Any] | None:
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
        date, bad_part, message = parse_date(
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
        exponent = value.as_tuple().exponent  # an int: the value is finite
        if isinstance(exponent, int) and exponent < -3:
            return None
        return value
