"""A chunk of reminders reads the clinic settings once, and again once that read is
older than RECHECK_MAX_AGE_SECONDS (screening/reminders/clinic_values.py)."""

from __future__ import annotations

import pytest
from django.core import mail

from screening.domain.clinic import clinic_settings_save
from screening.domain.queries import clinic as clinic_queries
from screening.reminders import clinic_values, delivery
from tests.screening import reminder_support as support

pytestmark = pytest.mark.django_db


@pytest.fixture
def reads(monkeypatch):
    """How many times the settings were read (each read: a cache round trip)."""
    calls = []

    def counted():
        calls.append(1)
        return clinic_queries.clinic_settings()

    monkeypatch.setattr(clinic_values, "clinic_settings", counted)
    return calls


def test_a_chunk_reads_the_clinic_settings_once(time_machine, reads):
    support.frozen_at(time_machine)
    rows = [support.queued(support.follow_up_due()) for _ in range(3)]

    batch = delivery.reminders_deliver(reminder_ids=[row.pk for row in rows])

    assert batch.outcomes == {"sent": 3}
    assert len(mail.outbox) == 3
    assert len(reads) == 1  # not two per email (the hours check and the email)


def test_outside_a_chunk_every_call_reads_the_settings(reads):
    clinic_values.clinic_values()
    clinic_values.clinic_values()
    assert len(reads) == 2


def test_a_change_is_seen_once_the_read_is_older_than_the_max_age(
    monkeypatch, reads, django_capture_on_commit_callbacks
):
    now = [100.0]
    monkeypatch.setattr(clinic_values.time, "monotonic", lambda: now[0])

    with clinic_values.chunk_clinic_values(1.0):
        first = clinic_values.clinic_values()  # read at 100.0
        assert first.name != "Renamed Clinic"
        row = clinic_queries.first_row()
        row.name = "Renamed Clinic"
        with django_capture_on_commit_callbacks(execute=True):  # the cache refreshed
            clinic_settings_save(row=row, changed=["name"])
        now[0] = 100.5
        assert clinic_values.clinic_values() == first  # 0.5 s old: kept
        now[0] = 101.5
        assert clinic_values.clinic_values().name == "Renamed Clinic"  # 1.5 s: read again

    assert len(reads) == 2
