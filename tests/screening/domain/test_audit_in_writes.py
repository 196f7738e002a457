"""Audit inside the writes (issue 10): every service that changes or exports patient data
writes its audit event in its own transaction, so a failure after the change leaves neither
the change nor the event.

Each test makes the service fail just after its event is written (`audit_record` writes it,
then raises). The test runs inside pytest-django's transaction; the service's own
`transaction.atomic()` is a savepoint in it, so what the assertions see afterwards is what
that savepoint kept: had the service not held the change and its event in one transaction
(a view's atomic block around both, say), the change would still be here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import ModuleType
from unittest import mock

import pytest
from django.utils import timezone

from screening.domain import exports, intake, patients, retention, retries, review
from screening.models import (
    ApiClient,
    AuditEvent,
    IntakeDraft,
    LabResult,
    Patient,
    PatientTombstone,
    Reminder,
    Review,
    ScreeningResult,
    StatusChange,
    Submission,
)
from tests.conftest import PATIENT_DETAILS, VALID_ANSWERS
from tests.factories import (
    IntakeDraftFactory,
    LabResultFactory,
    PatientFactory,
    ReminderFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db

ADDRESS = "192.0.2.10"


class AfterTheEvent(Exception):
    """A failure later in the service's transaction, once its audit event is written."""


@contextmanager
def failing_after_the_event(module: ModuleType) -> Iterator[list[AuditEvent]]:
    """`module.audit_record` writes the event, then raises; yields the events it wrote."""
    real = module.audit_record
    written: list[AuditEvent] = []

    def write_then_fail(**kwargs):
        written.append(real(**kwargs))
        raise AfterTheEvent

    with mock.patch.object(module, "audit_record", side_effect=write_then_fail):
        yield written


def _gone(events: list[AuditEvent]) -> bool:
    """The service did write these events, and none of them is stored now."""
    return bool(events) and not AuditEvent.objects.filter(pk__in=[e.pk for e in events]).exists()


# --- Review: assign, status, decision, lab result -------------------------------------------


def test_assign_and_its_event_are_stored_together(clinician):
    submission = SubmissionFactory(status=Submission.Status.NEW)

    review.submission_assign(submission=submission, by=clinician, address=ADDRESS)

    event = AuditEvent.objects.get(what="submission.assign")
    assert (event.action, event.actor, event.ip_address) == ("change", clinician, ADDRESS)
    assert event.detail == {
        "reference": submission.reference,
        "assignee": "clinician",
        "status": "in_review",
    }


def test_assign_failing_after_its_event_leaves_neither(clinician):
    submission = SubmissionFactory(status=Submission.Status.NEW)

    with failing_after_the_event(review) as events, pytest.raises(AfterTheEvent):
        review.submission_assign(submission=submission, by=clinician, address=ADDRESS)

    assert _gone(events)
    stored = Submission.objects.get(pk=submission.pk)
    assert (stored.status, stored.assignee_id) == (Submission.Status.NEW, None)
    assert not StatusChange.objects.exists()


def test_status_change_failing_after_its_event_leaves_neither(clinician):
    submission = SubmissionFactory(status=Submission.Status.IN_REVIEW, assignee=clinician)

    with failing_after_the_event(review) as events, pytest.raises(AfterTheEvent):
        review.submission_status_change(
            submission=submission, to_status=Submission.Status.NEW, by=clinician
        )

    assert _gone(events)
    stored = Submission.objects.get(pk=submission.pk)
    assert (stored.status, stored.assignee_id) == (Submission.Status.IN_REVIEW, clinician.pk)
    assert not StatusChange.objects.exists()


def test_decision_failing_after_its_event_leaves_neither(clinician):
    submission = SubmissionFactory(status=Submission.Status.NEW)

    with failing_after_the_event(review) as events, pytest.raises(AfterTheEvent):
        review.review_record(
            submission=submission,
            by=clinician,
            outcomes=[Review.Outcome.ORDER_B12_TEST],
            note="Recheck in a month.",
            address=ADDRESS,
        )

    assert _gone(events)
    stored = Submission.objects.get(pk=submission.pk)
    assert (stored.status, stored.assignee_id) == (Submission.Status.NEW, None)
    assert not Review.objects.exists()
    assert not StatusChange.objects.exists()
    assert not Reminder.objects.exists()  # the follow-up and blood test reminders too


def test_lab_result_failing_after_its_event_leaves_neither(clinician):
    submission = SubmissionFactory(status=Submission.Status.IN_REVIEW, level="no_flag")

    with failing_after_the_event(review) as events, pytest.raises(AfterTheEvent):
        review.lab_result_add(
            submission=submission,
            test="total_b12",
            value=Decimal("120"),
            unit="ng/L",
            date=datetime.date(2025, 6, 1),
            by=clinician,
            address=ADDRESS,
        )

    assert _gone(events)
    assert not LabResult.objects.exists()
    assert not ScreeningResult.objects.exists()  # the re-screening too
    assert Submission.objects.get(pk=submission.pk).level == "no_flag"  # not the new level


# --- Patients: merge, split ------------------------------------------------------------------


def test_merge_failing_after_its_event_leaves_neither(clinician):
    source, target = PatientFactory(), PatientFactory()
    moving = SubmissionFactory(patient=source)
    LabResultFactory(submission=moving)

    with failing_after_the_event(patients) as events, pytest.raises(AfterTheEvent):
        patients.patient_merge(source=source, target=target, by=clinician, address=ADDRESS)

    assert _gone(events)
    assert Patient.objects.get(pk=source.pk).merged_into_id is None
    assert Submission.objects.get(pk=moving.pk).patient_id == source.pk
    assert LabResult.objects.get().patient_id == source.pk


def test_split_failing_after_its_event_leaves_neither(clinician):
    patient = PatientFactory()
    staying, moving = SubmissionFactory(patient=patient), SubmissionFactory(patient=patient)
    details = {
        "full_name": "Other Person",
        "email": "other.person@example.com",
        "phone": "",
        "date_of_birth": datetime.date(1975, 2, 3),
    }

    with failing_after_the_event(patients) as events, pytest.raises(AfterTheEvent):
        patients.patient_split(patient=patient, submissions=[moving], details=details, by=clinician)

    assert _gone(events)
    assert list(Patient.objects.values_list("pk", flat=True)) == [patient.pk]
    assert set(Submission.objects.values_list("patient_id", flat=True)) == {patient.pk}
    assert staying.pk != moving.pk


# --- Retention: erase on request; the export ---------------------------------------------


def test_erase_failing_after_its_event_leaves_neither(clinician):
    submission = SubmissionFactory()
    patient = submission.patient
    patient_pk = patient.pk  # the erasure clears the object's pk, rolled back or not
    IntakeDraftFactory(email=patient.email)
    earlier = AuditEvent.objects.create(
        actor=clinician,
        actor_username="clinician",
        action=AuditEvent.Action.CHANGE,
        what="reminder.retry",
        object_id=str(submission.public_id),
        patient_public_id=patient.public_id,
        detail={"kind": "follow_up", "previous_error": f"550 <{patient.email}>"},
    )

    with failing_after_the_event(retention) as events, pytest.raises(AfterTheEvent):
        retention.patient_erase(
            patient=patient, reason="patient_request", by=clinician, address=ADDRESS
        )

    assert _gone(events)
    assert Patient.objects.filter(pk=patient_pk).exists()
    assert Submission.objects.filter(pk=submission.pk).exists()
    assert IntakeDraft.objects.count() == 1
    assert not PatientTombstone.objects.exists()
    earlier.refresh_from_db()
    assert "previous_error" in earlier.detail  # the trail's redaction went back too


def test_export_failing_after_its_event_leaves_no_event(clinician):
    patient = SubmissionFactory().patient

    with failing_after_the_event(exports) as events, pytest.raises(AfterTheEvent):
        exports.patient_export(patient=patient, now=timezone.now(), by=clinician)

    assert _gone(events)


# --- Failed reminders: retry -----------------------------------------------------------------


def test_retry_failing_after_its_event_leaves_neither(clinician):
    reminder = ReminderFactory(status=Reminder.Status.FAILED, last_error="421 try later")

    with failing_after_the_event(retries) as events, pytest.raises(AfterTheEvent):
        retries.failed_reminder_retry(reminder=reminder, by=clinician, address=ADDRESS)

    assert _gone(events)
    stored = Reminder.objects.get(pk=reminder.pk)
    assert (stored.status, stored.last_error) == (Reminder.Status.FAILED, "421 try later")


# --- An EHR's questionnaire response -----------------------------------------------------


def test_ehr_intake_failing_after_its_event_leaves_neither():
    ehr = ApiClient.objects.create(name="EHR", key_id="k1", token_hash="0" * 64)

    with failing_after_the_event(intake) as events, pytest.raises(AfterTheEvent):
        intake.intake_submit_from_ehr(
            answers=VALID_ANSWERS,
            patient_details={**PATIENT_DETAILS, "contact_consent": False},
            idempotency_key="fhir:1:urn:x|1",
            language="en",
            by=ehr,
            address=ADDRESS,
        )

    assert _gone(events)
    assert not Submission.objects.exists()
    assert not Patient.objects.exists()
    assert not ScreeningResult.objects.exists()


def test_ehr_intake_and_its_event_are_stored_together():
    ehr = ApiClient.objects.create(name="EHR", key_id="k1", token_hash="0" * 64)
    post = {
        "answers": VALID_ANSWERS,
        "patient_details": {**PATIENT_DETAILS, "contact_consent": False},
        "idempotency_key": "fhir:1:urn:x|1",
        "language": "en",
        "by": ehr,
        "address": ADDRESS,
    }

    submission, created = intake.intake_submit_from_ehr(**post)
    again, created_again = intake.intake_submit_from_ehr(**post)

    assert (again, created, created_again) == (submission, True, False)
    first, second = AuditEvent.objects.filter(what="fhir.questionnaire_response").order_by("id")
    assert (first.action, second.action) == ("change", "export")
    assert (first.actor, first.actor_username, first.ip_address) == (None, "", ADDRESS)
    assert first.detail == {"client": "EHR", "created": True, "possible_match": False}
