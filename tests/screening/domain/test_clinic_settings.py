"""The clinic settings' one read (`clinic_settings()`), its cache, and the save that
refreshes it (issue 14): no query per page or email once cached, the new values for
every process as soon as a save commits."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from screening.domain.clinic import clinic_settings_save, privacy_text_version
from screening.domain.queries.clinic import (
    CACHE_KEY,
    clinic_settings,
    clinic_settings_cache_refresh,
    first_row,
)
from screening.models import ClinicSettings
from screening.reminders.hours import in_patient_email_hours, patient_email_hours
from tests.factories import SubmissionFactory
from tests.screening.reminder_support import london

pytestmark = pytest.mark.django_db


def stored(**changes) -> ClinicSettings:
    row = first_row()
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    return row


def test_before_a_save_the_values_are_the_environments(settings):
    settings.CLINIC_NAME = "Riverside Surgery"
    settings.CLINIC_REPLY_WORKING_DAYS = 3

    values = clinic_settings()

    assert (values.name, values.reply_working_days, values.stored) == (
        "Riverside Surgery",
        3,
        False,
    )
    assert ClinicSettings.objects.count() == 0  # reading never writes


def test_once_cached_a_read_costs_no_query(django_assert_num_queries):
    clinic_settings()
    with django_assert_num_queries(0):
        assert clinic_settings().emergency_number == "999"


def test_a_save_puts_the_new_values_in_the_cache_when_it_commits(
    django_capture_on_commit_callbacks,
):
    row = stored()
    assert clinic_settings().phone == ""  # cached now

    row.phone = "020 7946 0123"
    with django_capture_on_commit_callbacks() as callbacks:
        clinic_settings_save(row=row, changed=["phone"])
        assert clinic_settings().phone == ""  # not before the commit: it may roll back
    for callback in callbacks:
        callback()

    assert cache.get(CACHE_KEY)["phone"] == "020 7946 0123"
    assert clinic_settings().phone == "020 7946 0123"


def test_the_environments_values_stop_counting_once_saved(settings):
    stored(name="Hillside Practice")
    settings.CLINIC_NAME = "Riverside Surgery"  # a restart with the old variable

    assert clinic_settings().name == "Hillside Practice"


def test_values_cached_by_another_release_are_read_afresh():
    cache.set(CACHE_KEY, {"name": "Old shape"})
    assert clinic_settings().name == "Your clinic"


def test_a_cache_that_does_not_answer_costs_a_query_not_a_page(monkeypatch, caplog):
    stored(emergency_number="112")

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    for method in ("get", "add", "set"):
        monkeypatch.setattr(cache, method, down)

    assert clinic_settings().emergency_number == "112"
    clinic_settings_cache_refresh(ClinicSettings.objects.get())  # logged, not raised
    assert "the cache did not answer" in caplog.text


def test_the_patient_email_hours_come_from_the_settings(settings):
    settings.PATIENT_EMAIL_HOURS = "08:00-20:00"
    stored(patient_email_hours="18:00-24:00")

    assert patient_email_hours() == (datetime.time(18, 0), None)
    assert in_patient_email_hours(london(2025, 6, 15, 23, 0))
    assert not in_patient_email_hours(london(2025, 6, 15, 12, 0))


def test_a_privacy_version_names_its_text():
    assert privacy_text_version("", " ") == ""
    one = privacy_text_version("Our notice.", "")
    assert one == privacy_text_version("Our   notice.\n", "")  # spacing is not a new text
    assert one != privacy_text_version("Our notice.", "Nuestro aviso.")


def test_only_one_row_is_ever_stored():
    stored(name="First")
    ClinicSettings(
        name="Second",
        **{
            name: getattr(first_row(), name)
            for name in ("emergency_number", "urgent_advice_number", "crisis_line")
        },
        patient_email_hours="08:00-20:00",
        reply_working_days=2,
    ).save()

    assert list(ClinicSettings.objects.values_list("pk", "name")) == [(1, "Second")]


def test_the_queue_costs_the_same_queries_before_and_after_a_save(
    clinician_client, django_capture_on_commit_callbacks
):
    SubmissionFactory(level="routine", status="new")
    clinician_client.get("/staff/")  # settle the session and the cache
    with CaptureQueriesContext(connection) as before:
        clinician_client.get("/staff/")

    row = stored()
    row.name = "Hillside Practice"
    with django_capture_on_commit_callbacks(execute=True):
        clinic_settings_save(row=row, changed=["name"])
    with CaptureQueriesContext(connection) as after:
        response = clinician_client.get("/staff/")

    assert "Hillside Practice" in response.content.decode()
    assert len(after) == len(before)
