"""The clinic's settings as every page, email and the sending hours read them.

`clinic_settings()` is the one read: the admin's row (`ClinicSettings`) or, until a clinic
admin first saves it, the environment's first values. It is cached in Django's cache
(Redis in production, shared by the web processes and the workers), so a request or an
email costs no query. A save writes the new values into the cache after its transaction
commits (`clinic_settings_cache_refresh`, called by `screening.domain.clinic`), so every
process reads them at once; a reader fills an empty cache with `cache.add`, which never
overwrites, so a read that raced a save cannot put the old values back. With a
per-process cache (development) other processes catch up within CLINIC_SETTINGS_CACHE_SECONDS.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver

from screening.models import ClinicSettings
from screening.models.clinic import FIRST_VALUES, SINGLETON_ID

logger = logging.getLogger(__name__)

# The shape of the cached values is part of the key: a deploy that changes it reads afresh.
CACHE_KEY = "clinic-settings:v1"
# Settings whose change (tests, `override_settings`) changes the first values.
FIRST_VALUE_SETTINGS = frozenset(FIRST_VALUES.values())


@dataclass(frozen=True)
class ClinicValues:
    name: str
    phone: str
    address: str
    contact_email: str
    logo: str
    emergency_number: str
    urgent_advice_number: str
    crisis_line: str
    patient_email_hours: str
    reply_working_days: int
    privacy_notice_text: str
    privacy_notice_text_es: str
    privacy_notice_version: str
    # False: no clinic admin has saved the settings yet; these are the environment's.
    stored: bool

    def privacy_text(self, language: str) -> str:
        """The clinic's own notice in `language`, else in English ("": the default notice)."""
        if language == "es" and self.privacy_notice_text_es.strip():
            return self.privacy_notice_text_es
        return self.privacy_notice_text


FIELDS = tuple(field.name for field in dataclasses.fields(ClinicValues) if field.name != "stored")


def _cached() -> ClinicValues | None:
    """The values the cache holds; None when it holds none or another release's shape
    under the same key. Raises when the cache does not answer."""
    cached = cache.get(CACHE_KEY)
    if isinstance(cached, dict):
        try:
            return ClinicValues(**cached)
        except TypeError:
            return None
    return None


def clinic_settings_without_database() -> ClinicValues:
    """For an error page, where the database may be what failed: the cached values, else
    the environment's first values; never a query, never an exception."""
    try:
        return _cached() or first_values()
    except Exception:  # noqa: BLE001 - the cache is down too: the first values
        return first_values()


def clinic_settings() -> ClinicValues:
    """The clinic's settings now: from the cache, else the database (one query). A cache
    that does not answer costs a query, never a page: the urgent advice needs the numbers."""
    try:
        cached = _cached()
    except Exception:  # the cache is down (Redis): read the database
        logger.exception("Clinic settings read from the database: the cache did not answer")
        return _read()
    if cached is not None:
        return cached
    values = _read()
    try:
        cache.add(CACHE_KEY, dataclasses.asdict(values), settings.CLINIC_SETTINGS_CACHE_SECONDS)
    except Exception:
        logger.exception("Clinic settings not cached: the cache did not answer")
    return values


def clinic_settings_cache_refresh(row: ClinicSettings) -> None:
    """Put a saved row's values in the cache (call after its transaction commits). If the
    cache does not answer, the old values are dropped when it does (their timeout)."""
    values = values_of(row)
    try:
        cache.set(CACHE_KEY, dataclasses.asdict(values), settings.CLINIC_SETTINGS_CACHE_SECONDS)
    except Exception:
        logger.exception("Clinic settings saved but not cached: the cache did not answer")


def values_of(row: ClinicSettings) -> ClinicValues:
    return ClinicValues(**{name: getattr(row, name) for name in FIELDS}, stored=True)


def _read() -> ClinicValues:
    row = ClinicSettings.objects.filter(pk=SINGLETON_ID).first()
    return values_of(row) if row is not None else first_values()


def first_values() -> ClinicValues:
    """The values before a clinic admin first saves: the environment's settings. The
    privacy notice then still comes from PRIVACY_NOTICE_FILE, read as it is shown
    (`screening.intake.privacy`), so it is not copied here."""
    return ClinicValues(
        **{field: getattr(settings, name) for field, name in FIRST_VALUES.items()},
        address="",
        logo="",
        privacy_notice_text="",
        privacy_notice_text_es="",
        privacy_notice_version="",
        stored=False,
    )


def first_row() -> ClinicSettings:
    """An unsaved row holding the first values, with PRIVACY_NOTICE_FILE's text and
    PRIVACY_NOTICE_VERSION: what the admin's form starts with."""
    values = first_values()
    english, spanish, version = _privacy_file_first_values()
    values = dataclasses.replace(
        values,
        privacy_notice_text=english,
        privacy_notice_text_es=spanish,
        privacy_notice_version=version,
    )
    return ClinicSettings(pk=SINGLETON_ID, **{name: getattr(values, name) for name in FIELDS})


def _privacy_file_first_values() -> tuple[str, str, str]:
    """PRIVACY_NOTICE_FILE's text in English and Spanish, and its version ("" each when
    there is none or it cannot be read: its start-up check reports that)."""
    path = settings.PRIVACY_NOTICE_FILE
    if not path:
        return "", "", ""
    try:
        english = _file_text(path, settings.LANGUAGE_CODE)
        spanish = _file_text(path, "es") if "{language}" in path else ""
    except OSError as error:
        logger.error("privacy notice file unreadable (%s); the default is shown", error)
        return "", "", ""
    return english, spanish, settings.PRIVACY_NOTICE_VERSION


def _file_text(path: str, language: str) -> str:
    localised = Path(path.replace("{language}", language))
    if "{language}" in path and not localised.is_file():
        return "" if language != settings.LANGUAGE_CODE else localised.read_text("utf-8")
    return localised.read_text(encoding="utf-8")


@receiver(setting_changed)
def _first_values_changed(*, setting: str, **kwargs: Any) -> None:
    """A changed setting (a test's override) changes the first values: read afresh."""
    if setting in FIRST_VALUE_SETTINGS:
        cache.delete(CACHE_KEY)
