"""Patient identity (issue 12): an intake that gives the email and date of birth of an
existing patient never changes that patient's stored details. It keeps the details it
was given on the submission and waits for a clinician as a possible match
(docs/security.md, "Patient identity")."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from screening.domain import exports, intake, patients
from screening.domain.review import review_record
from screening.models import AuditEvent, Patient, Reminder, Review, Submission
from screening.reminders import recheck
from tests.factories import PatientFactory, ReminderFactory
from tests.screening.domain.test_audit_in_writes import (
    AfterTheEvent,
    _gone,
    failing_after_the_event,
)

pytestmark = pytest.mark.django_db


def _submit(answers, details, key, language="en"):
    return intake.intake_submit(
        answers=answers, patient_details=details, idempotency_key=key, language=language
    )


def _stored(patient: Patient) -> tuple:
    patient.refresh_from_db()
    return (
        patient.full_name,
        patient.email,
        patient.phone,
        patient.date_of_birth,
        patient.contact_consent,
        patient.language,
    )


def test_a_matching_intake_does_not_overwrite_the_patients_details(answers, patient_details):
    first = _submit(answers, patient_details, key="one")
    patient = first.patient
    before = _stored(patient)
    stranger = {
        **patient_details,
        "full_name": "Someone Else",
        "phone": "07700 900 999",
        "contact_consent": False,
    }

    second = _submit(answers, stranger, key="two", language="es")

    assert _stored(patient) == before
    assert Patient.objects.count() == 1
    assert second.patient_id == patient.pk


def test_a_matching_urgent_store_and_its_completion_do_not_overwrite_either(
    answers, patient_details
):
    patient = _submit(answers, patient_details, key="one").patient
    before = _stored(patient)
    stranger = {**patient_details, "full_name": "Someone Else", "contact_consent": False}
    so_far = {key: answers[key] for key in ("age_years", "symptoms", "red_flags")}
    so_far["red_flags"] = {**answers["red_flags"], "chest_pain": True}

    intake.intake_store_urgent(
        answers=so_far, patient_details=stranger, idempotency_key="two", language="es"
    )
    _submit({**answers, "red_flags": so_far["red_flags"]}, stranger, key="two", language="es")

    assert _stored(patient) == before


def test_an_intake_with_a_merged_records_email_leaves_the_target_as_it_was(
    answers, patient_details
):
    """A record merged into another passes later intakes on to it: still without
    changing it."""
    source = PatientFactory(
        email="ann.example@example.com", date_of_birth=patient_details["date_of_birth"]
    )
    target = PatientFactory(
        full_name="Ann Target",
        email="ann@new.example",
        date_of_birth=patient_details["date_of_birth"],
        phone="",
        contact_consent=True,
        language="en",
    )
    Patient.objects.filter(pk=source.pk).update(merged_into=target)
    before = _stored(target)

    submission = _submit(
        answers, {**patient_details, "contact_consent": False}, key="one", language="es"
    )

    assert submission.patient_id == target.pk
    assert _stored(target) == before


def test_another_date_of_birth_is_still_a_new_patient_with_the_details_given(
    answers, patient_details
):
    _submit(answers, patient_details, key="one")
    other = {**patient_details, "date_of_birth": datetime.date(1991, 4, 3), "full_name": "Bo"}
    submission = _submit(answers, other, key="two", language="es")
    patient = Submission.objects.get(pk=submission.pk).patient
    assert (patient.full_name, patient.language, patient.contact_consent) == ("Bo", "es", True)
    assert Patient.objects.count() == 2


# --- What a matching intake keeps ------------------------------------------------------


def test_a_matching_intake_is_a_possible_match_keeping_the_details_it_was_given(
    answers, patient_details
):
    first = _submit(answers, patient_details, key="one")
    stranger = {
        **patient_details,
        "full_name": "Someone\u202e Else",  # bidi controls go, as on the record
        "email": " ANN.Example@example.com ",
        "phone": "07700 900 999",
        "contact_consent": False,
    }
    second = _submit(answers, stranger, key="two", language="es")
    second.refresh_from_db()
    assert (first.identity_status, second.identity_status) == ("confirmed", "possible_match")
    assert (
        second.given_full_name,
        second.given_email,
        second.given_phone,
        second.given_contact_consent,
        second.language,
    ) == ("Someone Else", "ann.example@example.com", "07700 900 999", False, "es")
    # A new patient's submission keeps what it was given too (the record was made from it).
    assert (first.given_full_name, first.given_contact_consent) == ("Ann Example", True)


# --- A clinician confirms the match ---------------------------------------------------------


@pytest.fixture
def possible_match(answers, patient_details):
    """Ann's record, and an intake with her email and date of birth that gave another
    name, a phone, no email contact, in Spanish."""
    _submit(answers, patient_details, key="one")
    stranger = {
        **patient_details,
        "full_name": "Ann Other",
        "phone": "07700 900 999",
        "contact_consent": False,
    }
    return _submit(answers, stranger, key="two", language="es")


def test_confirming_applies_the_chosen_details_and_the_withdrawal_of_consent(
    possible_match, clinician
):
    patient = possible_match.patient
    assert [
        detail.name for detail in patients.match_details(submission=possible_match, patient=patient)
    ] == ["full_name", "phone", "contact_consent", "language"]

    applied = patients.patient_match_confirm(
        submission=possible_match, apply=["phone"], by=clinician, address="127.0.0.1"
    )

    assert applied == ["phone", "contact_consent"]
    patient.refresh_from_db()
    assert (patient.full_name, patient.phone, patient.contact_consent, patient.language) == (
        "Ann Example",
        "07700 900 999",
        False,
        "en",
    )
    possible_match.refresh_from_db()
    assert possible_match.identity_status == "confirmed"
    event = AuditEvent.objects.get(what="patient.match_confirm")
    assert (event.actor, event.action, event.object_id, event.ip_address) == (
        clinician,
        AuditEvent.Action.CHANGE,
        str(patient.public_id),
        "127.0.0.1",
    )
    # Which details, never their values: the audit trail names records by opaque ids.
    assert event.detail == {
        "patient": str(patient.public_id),
        "submission": possible_match.reference,
        "applied": ["phone", "contact_consent"],
    }


def test_consent_given_on_a_possible_match_applies_only_when_chosen(
    answers, patient_details, clinician
):
    _submit(answers, {**patient_details, "contact_consent": False}, key="one")
    match = _submit(answers, patient_details, key="two")
    patient = match.patient
    assert patient.contact_consent is False

    patients.patient_match_confirm(submission=match, apply=[], by=clinician)
    patient.refresh_from_db()
    assert patient.contact_consent is False

    again = _submit(answers, patient_details, key="three")
    patients.patient_match_confirm(submission=again, apply=["contact_consent"], by=clinician)
    patient.refresh_from_db()
    assert patient.contact_consent is True


def test_a_match_is_confirmed_once(possible_match, clinician):
    patients.patient_match_confirm(submission=possible_match, apply=[], by=clinician)
    with pytest.raises(patients.PatientChangeNotAllowed, match="not a possible match"):
        patients.patient_match_confirm(submission=possible_match, apply=[], by=clinician)


def test_confirming_needs_the_merge_permission(possible_match, receptionist):
    with pytest.raises(PermissionDenied):
        patients.patient_match_confirm(submission=possible_match, apply=[], by=receptionist)
    possible_match.refresh_from_db()
    assert possible_match.identity_status == "possible_match"


@pytest.fixture
def root(db):
    return User.objects.create_superuser(username="root", password="x" * 20)


def test_confirming_is_refused_for_an_unknown_detail(possible_match, root):
    with pytest.raises(ValueError, match="email"):
        patients.patient_match_confirm(submission=possible_match, apply=["email"], by=root)
    possible_match.refresh_from_db()
    assert possible_match.identity_status == "possible_match"


def test_confirming_failing_after_its_event_leaves_neither(possible_match, clinician):
    patient = possible_match.patient
    with failing_after_the_event(patients) as events, pytest.raises(AfterTheEvent):
        patients.patient_match_confirm(submission=possible_match, apply=["full_name"], by=clinician)
    assert _gone(events)
    patient.refresh_from_db()
    possible_match.refresh_from_db()
    assert (patient.full_name, patient.contact_consent) == ("Ann Example", True)
    assert possible_match.identity_status == "possible_match"


# --- Patient emails: held until the match is confirmed --------------------------------------


def test_a_decision_on_a_possible_match_schedules_no_patient_email(possible_match, clinician):
    review_record(
        submission=possible_match,
        by=clinician,
        outcomes=[Review.Outcome.ORDER_B12_TEST],
        note="",
    )
    assert not Reminder.objects.filter(submission=possible_match).exists()


def test_confirming_schedules_the_latest_decisions_patient_emails(possible_match, clinician):
    review_record(
        submission=possible_match, by=clinician, outcomes=[Review.Outcome.ORDER_B12_TEST], note=""
    )
    patients.patient_match_confirm(submission=possible_match, apply=["language"], by=clinician)
    reminders = Reminder.objects.filter(submission=possible_match)
    assert sorted(reminders.values_list("kind", flat=True)) == ["blood_test", "follow_up"]
    # In the language the clinician took onto the record; the intake withdrew consent,
    # so the send-time re-check will cancel them (no_contact_consent).
    assert set(reminders.values_list("language", flat=True)) == {"es"}
    assert reminders.first().patient.contact_consent is False


def test_a_reminder_about_a_possible_match_is_cancelled_at_send_time(possible_match):
    reminder = ReminderFactory(
        kind=Reminder.Kind.FOLLOW_UP,
        submission=possible_match,
        patient=possible_match.patient,
        due_at=timezone.now(),
    )
    assert recheck.cancel_reason(reminder, timezone.now()) == "possible_match"


def test_consent_withdrawn_on_a_possible_match_waits_for_the_confirmation(
    answers, patient_details, clinician
):
    """The record's earlier submission still has its follow-up going to the patient
    until a clinician confirms that the intake withdrawing consent was theirs."""
    earlier = _submit(answers, patient_details, key="one")
    review_record(submission=earlier, by=clinician, outcomes=["no_action"], note="")
    follow_up = Reminder.objects.get(submission=earlier, kind=Reminder.Kind.FOLLOW_UP)
    match = _submit(answers, {**patient_details, "contact_consent": False}, key="two")
    follow_up = recheck.for_sending().get(pk=follow_up.pk)
    assert recheck.cancel_reason(follow_up, timezone.now()) == ""

    patients.patient_match_confirm(submission=match, apply=[], by=clinician)

    follow_up = recheck.for_sending().get(pk=follow_up.pk)
    assert recheck.cancel_reason(follow_up, timezone.now()) == "no_contact_consent"


# --- A clinician splits it off --------------------------------------------------------------


def test_splitting_a_possible_match_off_makes_a_record_from_what_it_was_given(
    possible_match, clinician
):
    review_record(submission=possible_match, by=clinician, outcomes=["no_action"], note="")
    record = possible_match.patient

    new_patient, moved = patients.patient_split(
        patient=record,
        submissions=[possible_match],
        details={
            "full_name": "Ann Other",
            "email": "ann.other@example.com",
            "phone": "07700 900 999",
            "date_of_birth": record.date_of_birth,
        },
        by=clinician,
    )

    assert moved.submissions == [possible_match.reference]
    possible_match.refresh_from_db()
    assert (possible_match.patient, possible_match.identity_status) == (new_patient, "confirmed")
    # Consent and language are what the person who sent it said, not the record's.
    assert (new_patient.contact_consent, new_patient.language) == (False, "es")
    record.refresh_from_db()
    assert (record.full_name, record.contact_consent) == ("Ann Example", True)
    follow_up = Reminder.objects.get(submission=possible_match, kind=Reminder.Kind.FOLLOW_UP)
    assert follow_up.patient == new_patient
    event = AuditEvent.objects.get(what="patient.split")
    assert event.detail["possible_matches"] == [possible_match.reference]


def test_the_patients_export_lists_what_each_intake_gave_and_whether_it_is_confirmed(
    possible_match, clinician
):
    record = exports.patient_export(
        patient=possible_match.patient, now=timezone.now(), by=clinician
    )
    [(first_status, first_given), (match_status, match_given)] = [
        (submission["identity_status"], submission["given_details"])
        for submission in record["submissions"]
    ]
    assert (first_status, match_status) == ("confirmed", "possible_match")
    assert first_given["full_name"] == "Ann Example"
    assert match_given == {
        "full_name": "Ann Other",
        "email": "ann.example@example.com",
        "phone": "07700 900 999",
        "contact_consent": False,
    }
