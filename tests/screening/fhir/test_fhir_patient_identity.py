"""Patient identity through the FHIR POST (issue 12): a response never says whether the
patient existed, and a post never changes an existing patient's stored details."""

from __future__ import annotations

import datetime
import json

import pytest

from screening.models import Patient, Submission
from tests.factories import PatientFactory, SubmissionFactory
from tests.screening.fhir.test_fhir_views import _payload, _post, _token

pytestmark = pytest.mark.django_db

DOB = datetime.date(1990, 4, 3)


@pytest.fixture
def writer() -> str:
    return _token("Practice EHR", scopes=("read", "write"))


@pytest.fixture
def existing() -> Patient:
    patient = PatientFactory(
        full_name="Ann Original",
        email="ann.example@example.com",
        date_of_birth=DOB,
        phone="01632 960 001",
        contact_consent=True,
        language="es",
    )
    SubmissionFactory(patient=patient)
    return patient


def _comparable(response) -> tuple:
    """What a response says, with the new submission's own ids taken out: the status, the
    headers (but the request's own id) and the body."""
    submission = Submission.objects.order_by("-id").first()
    body = response.content.decode()
    body = body.replace(str(submission.public_id), "<submission>")
    data = json.loads(body)
    data.pop("id", None)
    headers = sorted((name, value) for name, value in response.items() if name != "X-Request-ID")
    return response.status_code, headers, data


def test_the_response_never_carries_the_existing_patients_id(client, writer, existing):
    response = _post(client, writer, _payload())
    assert response.status_code == 201
    assert str(existing.public_id) not in response.content.decode()


def test_the_response_is_the_same_whether_or_not_the_patient_existed(
    client, writer, existing, frozen_day
):
    with_patient = _comparable(_post(client, writer, _payload(identifier="qr-1")))
    Submission.objects.all().delete()
    Patient.objects.all().delete()
    without_patient = _comparable(_post(client, writer, _payload(identifier="qr-1")))
    assert Patient.objects.count() == 1  # the second post made a new patient
    assert with_patient == without_patient


def test_a_post_does_not_change_the_existing_patients_details(client, writer, existing):
    payload = _payload()
    payload["contained"][0]["telecom"].append({"system": "phone", "value": "07700 900 999"})

    assert _post(client, writer, payload).status_code == 201

    existing.refresh_from_db()
    assert (
        existing.full_name,
        existing.phone,
        existing.contact_consent,
        existing.language,
    ) == ("Ann Original", "01632 960 001", True, "es")
