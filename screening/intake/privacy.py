"""The privacy notice, and the patient's agreement to it before the first question.

`privacy_notice()` is the one place that decides which notice patients see and its
version: the clinic's own text where it sets one, else the default notice
(templates/screening/_privacy_default.html, filled in with the clinic's details and its
retention settings). The clinic's text is edited by a clinic admin in the clinic
settings (English and Spanish; a changed text gets a new version when saved,
`screening.domain.clinic`); until they first save them, it is PRIVACY_NOTICE_FILE's, and
the version PRIVACY_NOTICE_VERSION when set. Otherwise the version is derived from the
text (a hash: a new text is a new version). The consent page records
that version, with the time, in the session draft (`consent_give`); the submission stores
it (`screening.domain.intake`, `CareConsent`).

The clinic's own text is plain text: paragraphs separated by blank lines, a line
starting with "# " a heading, a block of lines starting with "- " a list. It is escaped,
so the file cannot put markup or script on the page. "{language}" in the path gives one
file per language ("privacy.{language}.txt"), falling back to the default language's;
that file is the notice of record, whose hash is the version.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.checks import Error, register
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from screening.domain.consent import CareConsent
from screening.domain.queries.clinic import clinic_settings
from screening.intake.steps import Draft, draft_new
from screening.web.context_processors import clinic_values

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "screening/_privacy_default.html"
DAYS_IN_A_YEAR = 365


@dataclass(frozen=True)
class PrivacyNotice:
    version: str
    # The clinic's own text as escaped HTML; None: the default notice (DEFAULT_TEMPLATE).
    own_text: SafeString | None


def notice_values() -> dict[str, Any]:
    """What the default notice says about how long things are kept, from the settings."""
    days = settings.RETENTION_DAYS
    return {
        "retention_days": days,
        "retention_years": days // DAYS_IN_A_YEAR if days >= DAYS_IN_A_YEAR else None,
        "draft_days": settings.INTAKE_DRAFT_DAYS,
        "session_hours": max(settings.SESSION_COOKIE_AGE // 3600, 1),
    }


def privacy_notice(language: str | None = None) -> PrivacyNotice:
    """The notice patients see now, in `language` (the current one by default)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    clinic = clinic_settings()
    if clinic.stored:  # a clinic admin saved the settings: their text, or the default
        text = clinic.privacy_text(language)
        if text.strip():
            record = clinic.privacy_text(settings.LANGUAGE_CODE)
            version = clinic.privacy_notice_version or "file-" + _digest(record)
            return PrivacyNotice(version=version, own_text=own_text_html(text))
        return PrivacyNotice(version="default-" + _digest(_default_text()), own_text=None)
    path = settings.PRIVACY_NOTICE_FILE
    if path:
        try:
            text = _own_text(path, language)
            record = _own_text(path, settings.LANGUAGE_CODE)
        except OSError as error:
            # The start-up check (below) reports it; patients get the default meanwhile,
            # recorded under the default's version: what they read is what is recorded.
            logger.error("privacy notice file unreadable (%s); the default is shown", error)
        else:
            version = settings.PRIVACY_NOTICE_VERSION or "file-" + _digest(record)
            return PrivacyNotice(version=version, own_text=own_text_html(text))
    version = settings.PRIVACY_NOTICE_VERSION or "default-" + _digest(_default_text())
    return PrivacyNotice(version=version, own_text=None)


def _digest(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:12]


def _default_text() -> str:
    """The default notice as the default language renders it: the text of record."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(DEFAULT_TEMPLATE, {**clinic_values(), **notice_values()})


def _own_text(path: str, language: str) -> str:
    if "{language}" in path:
        localised = Path(path.replace("{language}", language))
        if localised.is_file():
            return localised.read_text(encoding="utf-8")
        path = path.replace("{language}", settings.LANGUAGE_CODE)
    return Path(path).read_text(encoding="utf-8")


def own_text_html(text: str) -> SafeString:
    """The clinic's plain text as HTML (see the module docstring), everything escaped."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    html = []
    for block in filter(None, blocks):
        lines = [line.strip() for line in block.split("\n")]
        if block.startswith("# "):
            html.append(format_html('<h2 class="h4 mt-4">{}</h2>', " ".join(lines)[2:]))
        elif all(line.startswith("- ") for line in lines):
            items = format_html_join("", "<li>{}</li>", ((line[2:],) for line in lines))
            html.append(format_html("<ul>{}</ul>", items))
        else:
            html.append(format_html("<p>{}</p>", " ".join(lines)))
    return mark_safe("\n".join(html))  # noqa: S308 - each block made by format_html


@register()
def privacy_notice_file_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A PRIVACY_NOTICE_FILE that cannot be read fails at start-up, not in front of a patient."""
    path = settings.PRIVACY_NOTICE_FILE
    if not path:
        return []
    try:
        _own_text(path, settings.LANGUAGE_CODE)
    except OSError as error:
        return [Error(f"PRIVACY_NOTICE_FILE cannot be read: {error}", id="screening.E130")]
    return []


# --- The patient's agreement ------------------------------------------------------------


def consent_give(session: SessionBase, draft: Draft | None, *, today: datetime.date) -> Draft:
    """Record in the draft (a new one if there is none) that the patient agreed to the
    use of their answers for their care, under the notice's version, now."""
    if draft is None:
        draft = draft_new(today=today)
    draft.care_consent = {
        "version": privacy_notice(settings.LANGUAGE_CODE).version,
        "at": timezone.now().isoformat(),
    }
    draft.save(session)
    return draft


def care_consent(draft: Draft) -> CareConsent | None:
    """The agreement kept in the draft, as the domain stores it (None: not given)."""
    if not draft.care_consent:
        return None
    return CareConsent(
        version=draft.care_consent["version"],
        at=datetime.datetime.fromisoformat(draft.care_consent["at"]),
    )
