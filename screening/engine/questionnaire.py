"""The intake questionnaire's version, and the age every caller derives `age_years` from.

Pure, like the rest of the engine: the intake pages, the follow-up check-in, the FHIR API
and the stored submissions all take these from here, so one version and one way of
counting years hold everywhere.
"""

from __future__ import annotations

import datetime

# Bump when a question, its wording's meaning, or its choices change (docs/intake.md).
# Stored on each submission; the FHIR Questionnaire's version.
# 2: "other medicines" and "anything else" in the patient's words (free text, never screened).
QUESTIONNAIRE_VERSION = "2"


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Whole years between a date of birth and `day` (29 February birthdays count on 1 March)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)
