"""Saving the clinic's settings (the admin's "Clinic settings" page).

The admin writes the audit event (`screening.accounts.admin_clinic`, in the same
transaction); this saves the row, gives a changed privacy notice a new version, so the
agreements given from now on record which text the patient read, and puts the new
values in the shared cache once the transaction commits, so every page and email uses
them at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import transaction

from screening.domain.queries.clinic import clinic_settings_cache_refresh
from screening.models import ClinicSettings

PRIVACY_TEXT_FIELDS = frozenset({"privacy_notice_text", "privacy_notice_text_es"})


def privacy_text_version(english: str, spanish: str) -> str:
    """A version naming the text ("" for no text: the default notice has its own)."""
    if not english.strip() and not spanish.strip():
        return ""
    normalised = " ".join(english.split()) + "\n" + " ".join(spanish.split())
    return "text-" + hashlib.sha256(normalised.encode()).hexdigest()[:12]


def clinic_settings_save(*, row: ClinicSettings, changed: Iterable[str]) -> ClinicSettings:
    """Store the settings; `changed` names the fields the clinic admin changed."""
    if PRIVACY_TEXT_FIELDS & set(changed):
        row.privacy_notice_version = privacy_text_version(
            row.privacy_notice_text, row.privacy_notice_text_es
        )
    with transaction.atomic():
        row.save()
        transaction.on_commit(lambda: clinic_settings_cache_refresh(row))
    return row
