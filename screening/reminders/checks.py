"""System checks: settings that would only fail later, at a 3 a.m. dispatch, fail at start-up."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from screening.reminders.hours import patient_email_hours


@register()
def patient_email_hours_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    try:
        patient_email_hours()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="screening.E001")]
    return []
