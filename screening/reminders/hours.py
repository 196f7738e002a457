"""Clinic time and the patient email hours (the clinic settings; PATIENT_EMAIL_HOURS is
their first value).

Patient emails go out only inside the hours: a dispatch outside them moves due patient
rows to the next window (`dispatch`), and a late or retried send waits for it
(`delivery`). Staff emails go out at any hour.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from screening.models.clinic import parse_email_hours
from screening.reminders.clinic_values import clinic_values


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def patient_email_hours() -> tuple[datetime.time, datetime.time | None]:
    """The clinic's patient email hours ("08:00-20:00", the clinic settings) as (start,
    end), clinic time. The end may be "24:00", the end of the day, returned as None:
    "00:00-24:00" is always."""
    return parse_patient_email_hours(clinic_values().patient_email_hours)


def parse_patient_email_hours(hours: str) -> tuple[datetime.time, datetime.time | None]:
    """Hours as the setting writes them; ImproperlyConfigured saying what is wrong (the
    admin's form refuses such hours, so only PATIENT_EMAIL_HOURS can hold them)."""
    try:
        return parse_email_hours(hours)
    except ValueError as error:
        raise ImproperlyConfigured(f"PATIENT_EMAIL_HOURS {error}") from error


def in_patient_email_hours(moment: datetime.datetime) -> bool:
    start, end = patient_email_hours()
    now = timezone.localtime(moment, clinic_zone()).time()
    return start <= now and (end is None or now < end)


def next_patient_email_window(moment: datetime.datetime) -> datetime.datetime:
    """The next start of the patient email hours at or after `moment` (clinic time)."""
    start, _end = patient_email_hours()
    local = timezone.localtime(moment, clinic_zone())
    day = local.date() if local.time() < start else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, start, tzinfo=clinic_zone())
