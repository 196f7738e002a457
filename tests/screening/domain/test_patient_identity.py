"""Patient identity (issue 12): an intake that gives the email and date of birth of an
existing patient never changes that patient's stored details. It keeps the details it
was given on the submission and waits for a clinician as a possible match
(docs/security.md, "Patient identity")."""

from __future__ import annotations

import datetime

import pytest

from screening.domain import intake
from screening.models import Patient, Submission
from tests.factories import PatientFactory

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
