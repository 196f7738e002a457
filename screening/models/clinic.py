"""The clinic's own settings, edited by a clinic admin in the admin without a deploy.

One row (`ClinicSettings`, primary key 1). Until a clinic admin first saves it, the values
come from the environment (`FIRST_VALUES`: CLINIC_NAME, CLINIC_PHONE, ...); after that the
row is what counts and those variables are ignored. Read it through
`screening.domain.queries.clinic.clinic_settings()` (cached), write it through
`screening.domain.clinic.clinic_settings_save()` (docs/configuration.md, "Clinic settings").
"""

from __future__ import annotations

import datetime
import re
from pathlib import PurePosixPath

from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# A run of digits, spaces and hyphens (a leading "+" allowed) from one digit to another:
# what `screening.web.phones.tel_links` turns into a tel: link. Three digits at least.
PHONE_NUMBER = re.compile(r"\+?\d[\d \-]*\d")
MIN_PHONE_DIGITS = 3
MAX_PHONE_DIGITS = 15  # E.164
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".svg")
SINGLETON_ID = 1
MAX_REPLY_WORKING_DAYS = 30

# Field -> the setting whose value the field starts with (until a clinic admin saves).
FIRST_VALUES = {
    "name": "CLINIC_NAME",
    "phone": "CLINIC_PHONE",
    "contact_email": "CLINIC_CONTACT_EMAIL",
    "emergency_number": "CLINIC_EMERGENCY_NUMBER",
    "urgent_advice_number": "CLINIC_URGENT_ADVICE_NUMBER",
    "crisis_line": "CLINIC_CRISIS_LINE",
    "patient_email_hours": "PATIENT_EMAIL_HOURS",
    "reply_working_days": "CLINIC_REPLY_WORKING_DAYS",
}


def _digits(text: str) -> int:
    return sum(character.isdigit() for character in text)


def validate_phone_number(value: str) -> None:
    """One number to call: digits, spaces and hyphens, a leading "+" allowed."""
    if not PHONE_NUMBER.fullmatch(value.strip()) or not (
        MIN_PHONE_DIGITS <= _digits(value) <= MAX_PHONE_DIGITS
    ):
        raise ValidationError(
            _("Enter one phone number: digits, spaces and hyphens, such as 01632 960 000."),
            code="phone",
        )


def validate_text_with_a_number(value: str) -> None:
    """A line such as "Samaritans on 116 123": it must hold a number to call."""
    numbers = [m.group() for m in PHONE_NUMBER.finditer(value)]
    if not any(MIN_PHONE_DIGITS <= _digits(number) <= MAX_PHONE_DIGITS for number in numbers):
        raise ValidationError(
            _("Include the phone number to call, such as: Samaritans on 116 123."),
            code="phone",
        )


def parse_email_hours(hours: str) -> tuple[datetime.time, datetime.time | None]:
    """ "08:00-20:00" as (start, end), clinic time; an end of "24:00" is None, the end of
    the day ("00:00-24:00" is always). Raises ValueError saying what is wrong."""
    if hours.split("-")[0].strip() == "24:00":
        raise ValueError(f"may end at 24:00 but not start there (use 00:00): {hours!r}")
    try:
        start_text, end_text = (part.strip() for part in hours.split("-"))
        start = datetime.time.fromisoformat(start_text)
        end = None if end_text == "24:00" else datetime.time.fromisoformat(end_text)
    except ValueError as error:
        raise ValueError(f"must look like 08:00-20:00 (or 00:00-24:00), not {hours!r}") from error
    if end is not None and not start < end:
        raise ValueError("must start before it ends (same day; 24:00 ends the day).")
    return start, end


def validate_email_hours(value: str) -> None:
    try:
        parse_email_hours(value)
    except ValueError as error:
        raise ValidationError(
            _("Enter the hours as 08:00-20:00 (start before end; 24:00 ends the day): %(why)s"),
            params={"why": str(error)},
            code="hours",
        ) from error


def validate_logo(value: str) -> None:
    """A picture among the site's own static files, named by its path there: nothing a
    person uploads is ever served (docs/configuration.md, "The logo")."""
    path = PurePosixPath(value)
    if (
        value.startswith("/")
        or ":" in value
        or ".." in path.parts
        or path.suffix.lower() not in LOGO_SUFFIXES
        or not finders.find(value)
    ):
        raise ValidationError(
            _(
                "Name a picture (PNG, JPEG, WebP or SVG) in the site's static files, "
                "such as clinic/logo.png."
            ),
            code="logo",
        )


class ClinicSettings(models.Model):
    """The clinic as patients see it, and when patient emails may go out."""

    name = models.CharField(_("clinic name"), max_length=100)
    phone = models.CharField(
        _("clinic phone"),
        max_length=30,
        blank=True,
        validators=[validate_phone_number],
        help_text=_("Shown on every page and in every patient email; empty: none."),
    )
    address = models.TextField(
        _("address"), max_length=300, blank=True, help_text=_("Shown in every page's footer.")
    )
    contact_email = models.EmailField(
        _("contact email"),
        blank=True,
        help_text=_("Where patients write about their data or the site's accessibility."),
    )
    logo = models.CharField(
        _("logo"),
        max_length=200,
        blank=True,
        validators=[validate_logo],
        help_text=_("A picture's path in the site's static files (clinic/logo.png); empty: none."),
    )
    emergency_number = models.CharField(
        _("emergency number"), max_length=30, validators=[validate_phone_number]
    )
    urgent_advice_number = models.CharField(
        _("urgent advice number"), max_length=30, validators=[validate_phone_number]
    )
    crisis_line = models.CharField(
        _("crisis line"),
        max_length=100,
        validators=[validate_text_with_a_number],
        help_text=_("Who to call and the number, such as: Samaritans on 116 123."),
    )
    patient_email_hours = models.CharField(
        _("patient email hours"),
        max_length=13,
        validators=[validate_email_hours],
        help_text=_("Clinic time, such as 08:00-20:00; 00:00-24:00 for any hour."),
    )
    reply_working_days = models.PositiveSmallIntegerField(
        _("reply within (working days)"),
        validators=[MaxValueValidator(MAX_REPLY_WORKING_DAYS)],
    )
    privacy_notice_text = models.TextField(
        _("privacy notice (English)"),
        blank=True,
        help_text=_(
            'Plain text: blank lines between paragraphs, "# " starts a heading, "- " a list '
            "item. Empty: the default notice."
        ),
    )
    privacy_notice_text_es = models.TextField(
        _("privacy notice (Spanish)"), blank=True, help_text=_("Empty: the English text.")
    )
    # Recorded with each patient's agreement; a new text is a new version
    # (`screening.domain.clinic.clinic_settings_save`). "" with no text: the default's own.
    privacy_notice_version = models.CharField(
        _("privacy notice version"), max_length=40, blank=True, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("clinic settings")
        verbose_name_plural = _("clinic settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=SINGLETON_ID), name="clinic_settings_one_row"
            )
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name).capitalize()

    def save(self, *args: object, **kwargs: object) -> None:
        self.pk = SINGLETON_ID  # one row: a second "add" overwrites the first
        super().save(*args, **kwargs)  # type: ignore[arg-type]
