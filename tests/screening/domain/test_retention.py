"""The retention period: records RETENTION_DAYS after their last submission are erased by
the daily task and by `manage.py retention_apply`; long-expired saved intakes go too."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from screening import schedules, tasks
from screening.domain import retention
from screening.models import (
    AuditEvent,
    IntakeDraft,
    Patient,
    PatientTombstone,
    Reminder,
    Submission,
)
from tests.factories import (
    IntakeDraftFactory,
    LabResultFactory,
    PatientFactory,
    ReminderFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 11, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def retention_days(settings):
    settings.RETENTION_DAYS = 2922
    return 2922


def patient_last_seen(days_ago: float, **patient_fields) -> Patient:
    """A patient whose last submission was `days_ago` days before NOW (and an older one)."""
    patient = PatientFactory(created_at=NOW - (days_ago + 400) * DAY, **patient_fields)
    SubmissionFactory(patient=patient, submitted_at=NOW - (days_ago + 300) * DAY)
    last = SubmissionFactory(patient=patient, submitted_at=NOW - days_ago * DAY)
    LabResultFactory(submission=last)
    ReminderFactory(submission=last)
    return patient


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("retention_apply", *args, stdout=out)
    return out.getvalue()


# --- who is due ---------------------------------------------------------------------------


def test_due_after_the_retention_period_of_the_last_submission(clock, retention_days):
    old = patient_last_seen(2922.1)
    patient_last_seen(2921.9)  # an older submission too, but the last one is recent

    assert list(retention.retention_due(now=NOW)) == [old]


def test_a_record_without_submissions_counts_from_its_creation(clock, retention_days):
    empty_old = PatientFactory(created_at=NOW - 2923 * DAY)
    PatientFactory(created_at=NOW - 10 * DAY)

    assert list(retention.retention_due(now=NOW)) == [empty_old]


def test_a_merged_record_goes_with_the_record_it_was_merged_into(clock, retention_days):
    target = patient_last_seen(100)
    merged = PatientFactory(created_at=NOW - 4000 * DAY, merged_into=target)

    assert list(retention.retention_due(now=NOW)) == []
    target_due = patient_last_seen(3000)
    merged.merged_into = target_due
    merged.save()
    assert list(retention.retention_due(now=NOW)) == [target_due]


def test_retention_days_is_the_setting(clock, settings):
    settings.RETENTION_DAYS = 365
    year_old = patient_last_seen(366)
    patient_last_seen(364)

    assert list(retention.retention_due(now=NOW)) == [year_old]


# --- the command ----------------------------------------------------------------------------


def test_dry_run_lists_and_changes_nothing(clock, retention_days):
    old = patient_last_seen(3000)
    IntakeDraftFactory(expires_at=NOW - 31 * DAY)

    output = _command("--dry-run")

    assert output.splitlines() == [
        "Retention: 2922 days; records last used before 2017-06-15.",
        "Would erase 1 patient record(s):",
        f"  {old.public_id}",
        "Would delete 1 expired saved intake(s).",
        "Dry run: nothing was changed.",
    ]
    assert Patient.objects.count() == 1
    assert IntakeDraft.objects.count() == 1
    assert PatientTombstone.objects.count() == 0


def test_command_erases_what_is_due_and_keeps_the_rest(clock, retention_days):
    old = patient_last_seen(3000, email="old@example.com")
    recent = patient_last_seen(30)

    output = _command()

    assert "Erased 1 patient record(s) (merged records included); deleted 0" in output
    assert list(Patient.objects.all()) == [recent]
    assert Submission.objects.filter(patient=recent).count() == 2
    assert Submission.objects.count() == 2
    assert Reminder.objects.count() == 1
    tombstone = PatientTombstone.objects.get()
    assert (tombstone.public_id, tombstone.reason, tombstone.erased_at) == (
        old.public_id,
        "retention",
        NOW,
    )


def test_retention_erasure_is_audited_without_an_actor(clock, retention_days):
    old = patient_last_seen(3000)

    _command()

    event = AuditEvent.objects.get(what="patient.erase")
    assert (event.action, event.actor, event.actor_username, event.ip_address) == (
        "change",
        None,
        "",
        None,
    )
    assert (event.object_id, event.patient_public_id) == (str(old.public_id), old.public_id)
    assert event.detail == {
        "reason": "retention",
        "submissions": 2,
        "lab_results": 1,
        "merged_records": [],
        "cutoff": "2017-06-15",
    }


def test_retention_erases_merged_records_with_their_target(clock, retention_days):
    target = patient_last_seen(3000)
    merged = PatientFactory(created_at=NOW - 10 * DAY, merged_into=target)

    _command()

    assert Patient.objects.count() == 0
    assert set(PatientTombstone.objects.values_list("public_id", flat=True)) == {
        target.public_id,
        merged.public_id,
    }


def test_retention_redacts_the_audit_trail_of_erased_records(clock, retention_days):
    old = patient_last_seen(3000)
    AuditEvent.objects.create(
        action=AuditEvent.Action.CHANGE,
        what="reminder.retry",
        patient_public_id=old.public_id,
        detail={"kind": "follow_up", "previous_error": "550 <old@example.com> unknown"},
    )
    kept = AuditEvent.objects.create(
        action=AuditEvent.Action.CHANGE,
        what="reminder.retry",
        detail={"kind": "follow_up", "previous_error": "550 <other@example.com> unknown"},
    )

    _command()

    retry = AuditEvent.objects.get(what="reminder.retry", patient_public_id=old.public_id)
    assert retry.detail == {"kind": "follow_up", "redacted_keys": ["previous_error"]}
    kept.refresh_from_db()
    assert kept.detail["previous_error"] == "550 <other@example.com> unknown"  # not erased


def test_expired_saved_intakes_are_deleted_after_their_links_expire(clock, settings):
    settings.REMINDER_LINK_MAX_AGE_DAYS = 30
    long_expired = IntakeDraftFactory(expires_at=NOW - 31 * DAY)
    ReminderFactory(kind="unfinished_intake", submission=None, draft=long_expired)
    recently_expired = IntakeDraftFactory(expires_at=NOW - 29 * DAY)
    open_draft = IntakeDraftFactory(expires_at=NOW + 3 * DAY)

    output = _command()

    assert "deleted 1 expired saved intake(s)" in output
    assert set(IntakeDraft.objects.all()) == {recently_expired, open_draft}
    assert Reminder.objects.count() == 0


def test_nothing_due_changes_nothing(clock, retention_days):
    patient_last_seen(10)

    assert "Erased 0 patient record(s)" in _command()
    assert Patient.objects.count() == 1
    assert AuditEvent.objects.count() == 0


# --- the daily task ------------------------------------------------------------------------


def test_task_erases_in_batches(clock, retention_days, settings):
    settings.RETENTION_BATCH_SIZE = 2
    oldest, older, old = patient_last_seen(5000), patient_last_seen(4000), patient_last_seen(3000)

    first = tasks.retention_run.delay().get()

    assert first == {"erased": 2, "saved_intakes_deleted": 0}
    assert list(Patient.objects.all()) == [old]  # the oldest first
    # Sent again the same day (a beat restarted after a kill): it does not run again.
    assert tasks.retention_run.delay().get() == {"erased": 0, "saved_intakes_deleted": 0}
    clock.move_to(NOW + DAY, tick=False)  # the next day's run takes the rest
    assert tasks.retention_run.delay().get() == {"erased": 1, "saved_intakes_deleted": 0}
    assert set(PatientTombstone.objects.values_list("public_id", flat=True)) == {
        oldest.public_id,
        older.public_id,
        old.public_id,
    }


def test_a_record_used_again_before_its_turn_is_kept(clock, retention_days, monkeypatch):
    """The list is re-checked under the record's lock: an intake that arrived between the
    listing and the erasure keeps the record."""
    patient = patient_last_seen(3000)
    listed = list(retention.retention_due(now=NOW).values_list("pk", "public_id"))
    SubmissionFactory(patient=patient, submitted_at=NOW - DAY)
    original = retention.retention_due

    def due_as_listed_first(*, now):
        queryset = original(now=now)
        queryset.values_list = lambda *fields: listed  # the listing taken before the intake
        return queryset

    monkeypatch.setattr(retention, "retention_due", due_as_listed_first)
    run = retention.retention_apply(now=NOW)

    assert run.due == [str(patient.public_id)]
    assert run.erased == []
    assert Patient.objects.get() == patient


def test_retention_runs_daily_from_the_schedule():
    (periodic,) = [p for p in schedules.periodic_tasks() if p.task.startswith("screening.ret")]
    assert periodic.task == "screening.retention.retention_run"
    assert periodic.schedule == schedules.DailyAt(hour=3, minute=30)
