"""Clinic time and the patient email hours (PATIENT_EMAIL_HOURS).

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


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def patient_email_hours() -> tuple[datetime.time, datetime.time | None]:
    """PATIENT_EMAIL_HOURS ("08:00-20:00") as (start, end), clinic time.

    The end may be "24:00", the end of the day, returned as None: "00:00-24:00" is always.
    """
    hours = settings.PATIENT_EMAIL_HOURS
    if hours.split("-")[0].strip() == "24:00":
        raise ImproperlyConfigured(
            f"PATIENT_EMAIL_HOURS may end at 24:00 but not start there (use 00:00): {hours!r}"
        )
    try:
        start_text, end_text = (part.strip() for part in hours.split("-"))
        start = datetime.time.fromisoformat(start_text)
        end = None if end_text == "24:00" else datetime.time.fromisoformat(end_text)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"PATIENT_EMAIL_HOURS must look like 08:00-20:00 (or 00:00-24:00), not {hours!r}"
        ) from error
    if end is not None and not start < end:
        raise ImproperlyConfigured(
            "PATIENT_EMAIL_HOURS must start before it ends (same day; 24:00 ends the day)."
        )
    return start, end


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
