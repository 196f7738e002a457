"""The session rows (django_session) as personal data: clear the expired ones, and find
the ones that mention a patient being erased.

A patient's session holds, while they fill the form in, the intake draft (name, email,
date of birth, phone, every answer so far), the follow-up check-in's answers under its
reminder's public id, and the public ids of what they sent. The intake writes no row
until a page is sent (`screening.intake.steps`), and drops a draft older than
INTAKE_SESSION_DRAFT_HOURS; these two functions do the rest.

- `sessions_clear_expired`: Django deletes an expired row only when asked
  (`clearsessions`); until then it still holds the draft of a patient who walked away.
  The `sessions_clear` task runs this every 15 minutes (screening/schedules.py), so an
  abandoned draft is gone at most SESSION_COOKIE_AGE and a quarter of an hour after its
  last request. Idempotent: a second run finds nothing.
- `sessions_mentioning_delete`: erasure on request (`retention.patient_erase`) deletes
  the sessions whose data holds one of the record's email addresses or public ids. The
  data is signed JSON, not searchable in SQL, so every row is decoded: the clearing
  keeps the table to live sessions (a few hundred in a busy clinic; about 0.2 ms a row
  to decode and search, measured on an idle core).

The session engine (`screening.web.sessions`) is Django's database backend with a
different save: the same Session model and the same signed encoding, so
`Session.get_decoded` reads its rows.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable

from django.contrib.sessions.models import Session

# Rows decoded at a time while searching.
SEARCH_CHUNK = 500


def sessions_clear_expired(*, now: datetime.datetime) -> int:
    """Delete the sessions whose expiry has passed; how many were deleted."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=now).delete()
    return deleted


def _quoted(text: str) -> str:
    """A string as it appears in JSON text, lower case: a whole key or value, quotes and all."""
    return json.dumps(text.strip().lower(), ensure_ascii=False)


def sessions_mentioning_delete(*, values: Iterable[str]) -> int:
    """Delete every session whose data holds one of `values` (emails, public ids) as a
    whole key or value, without regard to case; how many were deleted. A row that cannot
    be decoded (another secret key) cannot be read by the app either and is left to
    expire.

    Each row's data is searched as JSON text for the quoted values (one C-speed dump and
    a substring test per value, rather than a walk through every nested key and value)."""
    wanted = [_quoted(value) for value in set(values) if value.strip()]
    if not wanted:
        return 0
    found = []
    for session in Session.objects.only("session_key", "session_data").iterator(
        chunk_size=SEARCH_CHUNK
    ):
        text = json.dumps(session.get_decoded(), ensure_ascii=False).lower()
        if any(value in text for value in wanted):
            found.append(session.session_key)
    deleted, _by_model = Session.objects.filter(session_key__in=found).delete()
    return deleted
