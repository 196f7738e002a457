"""The clinician's side of messages (issue 14): the form, sending once, the record's
section with the reply, and who may do it (receptionists may not)."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from screening.domain import messages
from screening.domain.queries.clinic import clinic_settings
from screening.models import AuditEvent, MessageTemplate, PatientMessage, Reminder, Submission
from tests.conftest import signed_in
from tests.factories import PatientFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

MESSAGE_ID = re.compile(r'name="message_id" value="([0-9a-f-]{36})"')


@pytest.fixture
def submission(frozen_day) -> Submission:
    return SubmissionFactory(
        patient=PatientFactory(date_of_birth=datetime.date(1980, 1, 1)),
        status=Submission.Status.REVIEWED,
    )


def _new_url(submission) -> str:
    return f"/staff/submissions/{submission.public_id}/messages/new/"


def _record_url(submission) -> str:
    return f"/staff/submissions/{submission.public_id}/"


def _form(client, submission) -> dict:
    page = client.get(_new_url(submission)).content.decode()
    return {"message_id": MESSAGE_ID.search(page).group(1)}


def test_the_form_offers_the_templates_with_their_words(clinician_client, submission):
    response = clinician_client.get(_new_url(submission))
    page = response.content.decode()
    assert response.status_code == 200
    for template in MessageTemplate.objects.all():
        assert template.name in page
        assert template.body_en in page
    assert MESSAGE_ID.search(page)
    audit = AuditEvent.objects.get(what="message.new")
    assert audit.object_id == str(submission.public_id)


def test_a_clinician_sends_a_message_once_and_sees_it_on_the_record(
    clinician_client, submission, django_capture_on_commit_callbacks
):
    template = MessageTemplate.objects.get(name="Please book a blood test")
    form = {**_form(clinician_client, submission), "template": template.pk, "text": "Before 9am."}
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician_client.post(_new_url(submission), form)
        again = clinician_client.post(_new_url(submission), form)  # a double submit
    assert response.status_code == 302
    assert response["Location"] == _record_url(submission) + "#messages-heading"
    assert again.status_code == 302
    assert PatientMessage.objects.count() == 1
    assert len(mail.outbox) == 1
    page = clinician_client.get(_record_url(submission)).content.decode()
    assert "Messages to the patient" in page
    assert "(Please book a blood test)" in page
    assert "Before 9am." in page
    assert "Email: sent" in page
    assert "not opened yet" in page
    assert "No reply yet." in page


def test_the_reply_shows_on_the_record_escaped(clinician_client, submission):
    message, _created = messages.message_send(
        submission=submission,
        by=None,
        address=None,
        public_id=uuid.uuid4(),
        template=None,
        text="Please call us.",
    )
    messages.message_unlock(message=message, date_of_birth=datetime.date(1980, 1, 1))
    messages.message_reply(message=message, text="<script>alert(1)</script>\nMonday")
    page = clinician_client.get(_record_url(submission)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Monday" in page
    assert "<script>alert(1)" not in page
    assert "Reply, <time" in page
    assert "read <time" in page


def test_nothing_chosen_is_said_by_the_field_and_at_the_top(clinician_client, submission):
    page = clinician_client.post(_new_url(submission), _form(clinician_client, submission))
    html = page.content.decode()
    assert page.status_code == 200
    assert "There is a problem" in html
    assert html.count("Choose a template or write a message") == 2
    assert PatientMessage.objects.count() == 0


def test_too_long_words_are_refused_and_kept(clinician_client, submission):
    form = {**_form(clinician_client, submission), "text": "y" * 1001}
    html = clinician_client.post(_new_url(submission), form).content.decode()
    assert "Your words must be 1000 characters or fewer" in html
    assert "y" * 1001 in html
    assert PatientMessage.objects.count() == 0


def test_no_form_for_a_patient_who_did_not_agree_to_email(clinician_client, frozen_day):
    submission = SubmissionFactory(patient=PatientFactory(contact_consent=False))
    page = clinician_client.get(_record_url(submission)).content.decode()
    assert messages.NO_CONSENT in page
    assert "Send a message" not in page
    form = {"message_id": str(uuid.uuid4()), "text": "Hello"}
    html = clinician_client.post(_new_url(submission), form).content.decode()
    assert messages.NO_CONSENT in html
    assert Reminder.objects.count() == 0


@pytest.mark.parametrize("persona", ["receptionist_client", "outsider_client"])
def test_receptionists_and_outsiders_cannot_read_or_send_messages(request, persona, submission):
    client = request.getfixturevalue(persona)
    template = MessageTemplate.objects.first()
    form = {"message_id": str(uuid.uuid4()), "template": template.pk}
    assert client.get(_new_url(submission)).status_code in (403, 404)
    assert client.post(_new_url(submission), form).status_code in (403, 404)
    assert PatientMessage.objects.count() == 0


def test_the_record_reads_its_messages_in_one_query(clinician_client, submission):
    for _ in range(3):
        messages.message_send(
            submission=submission,
            by=None,
            address=None,
            public_id=uuid.uuid4(),
            template=None,
            text="Hello",
        )
    clinic_settings()  # cached, as in a running clinic: not part of the page's queries
    first = _count(clinician_client, submission)
    for _ in range(3):
        messages.message_send(
            submission=submission,
            by=None,
            address=None,
            public_id=uuid.uuid4(),
            template=None,
            text="Hello",
        )
    assert _count(clinician_client, submission) == first


def _count(client, submission) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(_record_url(submission))
    return len(queries)


def test_a_clinic_admin_edits_a_template_in_the_admin_and_it_is_audited(clinic_admin, submission):
    client = signed_in(Client(), clinic_admin)
    template = MessageTemplate.objects.get(name="Please call us")
    url = f"/admin/screening/messagetemplate/{template.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"name": "Please call us", "body_en": "Call us.", "body_es": "Llámenos.", "active": "on"},
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body_en == "Call us."
    event = AuditEvent.objects.get(what="admin.message_template")
    assert event.detail == {"changed": ["body_en", "body_es"]}
