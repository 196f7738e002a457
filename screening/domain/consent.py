"""The patient's agreement, before the first question, to the use of their answers for
their care: which privacy notice (its version) and when. The consent page keeps it in the
session draft (`screening.intake.privacy`); `screening.domain.intake` stores it with the
submission, at the urgent early store or the final send, whichever comes first."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from screening.models import Submission


@dataclass(frozen=True)
class CareConsent:
    version: str
    at: datetime.datetime


def care_consent_set(submission: Submission, care_consent: CareConsent | None) -> None:
    """Put the agreement on a submission about to be saved (None: nothing to put)."""
    if care_consent is not None:
        submission.care_consent_version = care_consent.version
        submission.care_consent_at = care_consent.at


def care_consent_keep(submission: Submission, care_consent: CareConsent | None) -> None:
    """Store the agreement on a stored submission that has none yet (the first one
    recorded stays: it is the one given before the first question)."""
    if care_consent is not None and submission.care_consent_at is None:
        care_consent_set(submission, care_consent)
        submission.save(update_fields=["care_consent_version", "care_consent_at"])
