"""Patient identity through the public form (issue 12): a second intake with a known
email and date of birth changes nothing stored about that patient, and the pages a
patient sees are the same whether or not a record with those details existed."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from screening.models import Patient, Submission
from tests.conftest import VALID_PAGES, Journey

pytestmark = pytest.mark.django_db

CHANGED = {"full_name": "Someone Else", "phone": "07700 900 999", "contact_consent": "no"}


def _send(**about) -> tuple[list, str]:
    """A whole intake in a new browser; the final POST's status and Location, and the
    confirmation page with its reference, CSRF token and nonces taken out."""
    journey = Journey(Client())
    journey.answer_all(until="about-you")
    journey.answer("about-you", **about)
    for slug in list(VALID_PAGES)[1:]:
        journey.answer(slug)
    sent = journey.submit()
    done = journey.get(sent["Location"])
    reference = Submission.objects.order_by("-id").first().reference
    page = done.content.decode().replace(reference, "<reference>")
    page = re.sub(r'(csrfmiddlewaretoken" value=|nonce=)"[^"]*"', r"\1", page)
    return [sent.status_code, sent["Location"], done.status_code], page


def test_a_second_intake_with_the_same_email_and_birth_date_changes_nothing_stored(frozen_day):
    _send()
    patient = Patient.objects.get()
    before = (patient.full_name, patient.phone, patient.contact_consent, patient.language)

    _send(**CHANGED)

    patient.refresh_from_db()
    assert (patient.full_name, patient.phone, patient.contact_consent, patient.language) == before
    assert Submission.objects.filter(patient=patient).count() == 2


def test_the_pages_are_the_same_whether_or_not_the_patient_existed(frozen_day):
    _send()
    matched = _send(**CHANGED)
    Submission.objects.all().delete()
    Patient.objects.all().delete()
    new = _send(**CHANGED)
    assert Patient.objects.count() == 1
    assert matched == new
