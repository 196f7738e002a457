"""A submission's messages to the patient and their replies in its FHIR Bundle (issue 14):
one Communication per message (to the patient, about the QuestionnaireResponse) and one
per reply (from the patient, in response to the message)."""

from __future__ import annotations

import datetime
import uuid

import pytest
from fhir.resources.R4B.bundle import Bundle

from screening.domain import messages
from screening.fhir.views import submission_bundle
from tests.factories import PatientFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def _communications(submission) -> list:
    bundle = submission_bundle(submission=submission, now=datetime.datetime.now(datetime.UTC))
    parsed = Bundle.model_validate_json(bundle.model_dump_json())
    return [
        entry.resource
        for entry in parsed.entry
        if entry.resource.get_resource_type() == "Communication"
    ]


def test_each_message_and_its_reply_are_communications(frozen_day):
    submission = SubmissionFactory(patient=PatientFactory(date_of_birth=datetime.date(1980, 1, 1)))
    patient_ref = f"urn:uuid:{submission.patient.public_id}"
    response_ref = f"urn:uuid:{submission.public_id}"
    sent = []
    for text in ("Please call us.", "Please book a blood test."):
        message, _created = messages.message_send(
            submission=submission,
            by=None,
            address=None,
            public_id=uuid.uuid4(),
            template=None,
            text=text,
        )
        sent.append(message)
    messages.message_reply(message=sent[0], text="I will call on Monday.")

    first, reply, second = _communications(submission)
    assert first.id == str(sent[0].public_id)
    assert first.status == "completed"
    assert first.payload[0].contentString == "Please call us."
    assert [ref.reference for ref in first.recipient] == [patient_ref]
    assert first.subject.reference == patient_ref
    assert [ref.reference for ref in first.about] == [response_ref]
    assert first.sent == sent[0].created_at
    assert reply.sender.reference == patient_ref
    assert reply.payload[0].contentString == "I will call on Monday."
    assert [ref.reference for ref in reply.inResponseTo] == [f"urn:uuid:{first.id}"]
    assert reply.sent == sent[0].replied_at
    assert second.payload[0].contentString == "Please book a blood test."
    assert second.id == str(sent[1].public_id)


def test_no_message_no_communication(frozen_day):
    assert _communications(SubmissionFactory()) == []
