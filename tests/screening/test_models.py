import re

import pytest
from django.db import IntegrityError

from screening.models import REFERENCE_ALPHABET, new_reference
from tests.factories import PatientFactory, SubmissionFactory, SymptomAnswerFactory

REFERENCE_PATTERN = re.compile(
    r"B12-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}"
)


def test_reference_alphabet_has_no_easily_confused_characters():
    assert set("01OILU") & set(REFERENCE_ALPHABET) == set()


def test_new_reference_format_is_prefix_and_two_groups_of_four():
    for _ in range(200):
        assert REFERENCE_PATTERN.fullmatch(new_reference())


def test_new_reference_is_random_not_sequential():
    references = [new_reference() for _ in range(500)]
    assert len(set(references)) == 500
    assert references != sorted(references)


@pytest.mark.django_db
def test_submission_reference_is_unique():
    first = SubmissionFactory()
    with pytest.raises(IntegrityError):
        SubmissionFactory(reference=first.reference)


@pytest.mark.django_db
def test_submission_idempotency_key_is_unique():
    first = SubmissionFactory()
    with pytest.raises(IntegrityError):
        SubmissionFactory(idempotency_key=first.idempotency_key)


@pytest.mark.django_db
def test_symptom_answer_is_unique_per_submission_and_code():
    answer = SymptomAnswerFactory(code="fatigue")
    with pytest.raises(IntegrityError):
        SymptomAnswerFactory(submission=answer.submission, code="fatigue")


@pytest.mark.django_db
def test_patient_is_unique_per_email_and_date_of_birth():
    patient = PatientFactory()
    with pytest.raises(IntegrityError):
        PatientFactory(email=patient.email, date_of_birth=patient.date_of_birth)


def test_a_lab_value_is_kept_to_the_places_the_engine_bounds():
    """The engine refuses a value that, kept to these places, reaches the bound
    (999999.9999 would be stored as 1,000,000.000 and could not be screened again)."""
    from screening.engine import contract
    from screening.models import LabResult

    assert LabResult._meta.get_field("value").decimal_places == contract.LAB_VALUE_DECIMALS
