"""System checks: settings that would only fail later, at a 3 a.m. dispatch, fail at start-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from screening.reminders.hours import parse_patient_email_hours


@register()
def patient_email_hours_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The first value; the admin's form checks the hours a clinic admin saves."""
    try:
        parse_patient_email_hours(settings.PATIENT_EMAIL_HOURS)
    except ImproperlyConfigured as error:
        return [Error(str(error), id="screening.E001")]
    return []
