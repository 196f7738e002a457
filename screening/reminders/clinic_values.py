"""The clinic settings as a chunk of reminders sees them: read once for the chunk and
again once that read is older than RECHECK_MAX_AGE_SECONDS, like the chunk's rows
(`delivery.ChunkRows`). Each email and its hours check read the settings; through the
cache that was two Redis round trips per email, the largest cost in a worker after
SMTP itself. Outside a chunk, every call reads them as `clinic_settings` does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from screening.domain.queries.clinic import ClinicValues, clinic_settings


class _Snapshot:
    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self.values: ClinicValues | None = None
        self.read_at = 0.0

    def get(self) -> ClinicValues:
        if self.values is None or time.monotonic() - self.read_at > self.max_age:
            self.read_at = time.monotonic()  # the age counts from before the read
            self.values = clinic_settings()
        return self.values


_current: ContextVar[_Snapshot | None] = ContextVar("reminders_clinic_values", default=None)


def clinic_values() -> ClinicValues:
    """The clinic settings: the chunk's read inside `chunk_clinic_values`, else read now."""
    snapshot = _current.get()
    return clinic_settings() if snapshot is None else snapshot.get()


@contextmanager
def chunk_clinic_values(max_age: float) -> Iterator[None]:
    """Within this block, `clinic_values` reads the settings at most every `max_age` s."""
    token = _current.set(_Snapshot(max_age))
    try:
        yield
    finally:
        _current.reset(token)
