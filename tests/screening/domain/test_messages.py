"""Messages to the patient (issue 14): sending through the outbox, the date-of-birth lock,
the one reply, and the audit event of each."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core import mail

from screening.domain import messages
from screening.domain.exports import patient_export
from screening.domain.queries import messages as message_queries
from screening.models import AuditEvent, MessageTemplate, PatientMessage, Reminder, Submission
from tests.factories import PatientFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

BORN = datetime.date(1980, 1, 1)


@pytest.fixture
def submission(frozen_day) -> Submission:
    return SubmissionFactory(
        patient=PatientFactory(date_of_birth=BORN, language="es"),
        status=Submission.Status.REVIEWED,
    )


@pytest.fixture
def call_us() -> MessageTemplate:
    return MessageTemplate.objects.get(name="Please call us")


def _send(submission, *, template=None, text="", public_id=None, by=None):
    return messages.message_send(
        submission=submission,
        by=by or UserFactory(),
        address="192.0.2.1",
        public_id=public_id or uuid.uuid4(),
        template=template,
        text=text,
    )


def _events(what: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(what=what))


def test_the_migration_seeds_three_neutral_templates():
    names = list(MessageTemplate.objects.order_by("name").values_list("name", flat=True))
    assert names == ["Please book a blood test", "Please call us", "Your results are normal"]
    for template in MessageTemplate.objects.all():
        assert template.body_en and template.body_es
        assert "clinic" in template.body_en.lower()


def test_send_stores_the_message_in_the_patients_language_and_its_outbox_row(
    submission, call_us, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message, created = _send(submission, template=call_us, text="  Ask for Dr Lee.\r\n ")
    assert created is True
    assert message.body == call_us.body_es + "\n\nAsk for Dr Lee."
    assert message.template_name == "Please call us"
    reminder = message.reminder
    assert (reminder.kind, reminder.key) == (
        "clinic_message",
        f"clinic_message:{message.public_id}",
    )
    assert reminder.submission == submission and reminder.language == "es"
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT
    assert len(mail.outbox) == 1
    (event,) = _events("message.send")
    assert event.action == AuditEvent.Action.CHANGE
    assert event.object_id == str(submission.public_id)
    assert event.patient_public_id == submission.patient.public_id
    assert event.detail == {"message": str(message.public_id), "template": "Please call us"}


def test_the_same_form_twice_stores_and_sends_once(
    submission, call_us, django_capture_on_commit_callbacks
):
    public_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first, created_first = _send(submission, template=call_us, public_id=public_id)
        second, created_second = _send(submission, template=call_us, public_id=public_id)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert PatientMessage.objects.count() == 1
    assert Reminder.objects.filter(kind="clinic_message").count() == 1
    assert len(mail.outbox) == 1
    assert len(_events("message.send")) == 1


def test_a_form_id_of_another_submission_is_refused(submission, call_us):
    message, _created = _send(submission, template=call_us)
    other = SubmissionFactory()
    with pytest.raises(messages.MessageNotAllowed, match="another submission"):
        _send(other, template=call_us, public_id=message.public_id)


@pytest.mark.parametrize(
    ("patient", "identity", "reason"),
    [
        ({"contact_consent": False}, "confirmed", messages.NO_CONSENT),
        ({"email": ""}, "confirmed", messages.NO_EMAIL),
        ({}, Submission.IdentityStatus.POSSIBLE_MATCH, messages.POSSIBLE_MATCH),
    ],
)
def test_no_message_without_an_address_consent_or_a_confirmed_identity(
    frozen_day, call_us, patient, identity, reason
):
    submission = SubmissionFactory(patient=PatientFactory(**patient))
    if identity != "confirmed":
        Submission.objects.filter(pk=submission.pk).update(identity_status=identity)
        submission.refresh_from_db()
    assert messages.message_refusal(submission=submission) == reason
    with pytest.raises(messages.MessageNotAllowed, match=reason[:20]):
        _send(submission, template=call_us)
    assert PatientMessage.objects.count() == 0
    assert Reminder.objects.count() == 0


def test_nothing_to_send_and_too_long_are_refused(submission):
    with pytest.raises(messages.MessageNotAllowed, match="Choose a template"):
        _send(submission, text="   ")
    with pytest.raises(messages.MessageNotAllowed, match="1000 characters"):
        _send(submission, text="x" * 1001)
    assert PatientMessage.objects.count() == 0


def test_bidi_controls_are_dropped_from_the_clinicians_words(submission):
    message, _created = _send(submission, text="Call\u202e us")
    assert message.body == "Call us"


def test_a_closed_case_still_gets_its_message(
    frozen_day, call_us, django_capture_on_commit_callbacks
):
    submission = SubmissionFactory(status=Submission.Status.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        message, _created = _send(submission, template=call_us)
    message.reminder.refresh_from_db()
    assert message.reminder.status == Reminder.Status.SENT


def test_consent_withdrawn_before_the_send_cancels_the_email(
    submission, call_us, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message, _created = _send(submission, template=call_us)
        submission.patient.contact_consent = False
        submission.patient.save()
    message.reminder.refresh_from_db()
    assert message.reminder.status == Reminder.Status.CANCELLED
    assert message.reminder.cancelled_reason == "no_contact_consent"
    assert mail.outbox == []


# --- The patient's side ---------------------------------------------------------------


@pytest.fixture
def message(submission, call_us) -> PatientMessage:
    sent, _created = _send(submission, template=call_us)
    return message_queries.message_for_link(reminder=sent.reminder)


def test_the_first_open_is_noted_and_audited_once(message):
    messages.message_link_open(message=message)
    messages.message_link_open(message=message)
    message.refresh_from_db()
    assert message.opened_at is not None
    (event,) = _events("message.link_opened")
    assert (event.action, event.actor, event.ip_address) == (AuditEvent.Action.VIEW, None, None)
    assert event.detail == {"message": str(message.public_id)}


def test_the_right_date_of_birth_unlocks_and_is_audited(message):
    assert messages.message_unlock(message=message, date_of_birth=BORN) == "unlocked"
    message.refresh_from_db()
    assert message.read_at is not None
    assert [event.action for event in _events("message.unlocked")] == [AuditEvent.Action.VIEW]


def test_five_wrong_dates_lock_the_link_for_good(message):
    wrong = datetime.date(1981, 1, 1)
    outcomes = [messages.message_unlock(message=message, date_of_birth=wrong) for _ in range(5)]
    assert outcomes == ["wrong"] * 4 + ["locked"]
    message.refresh_from_db()
    assert message.failed_attempts == 5
    assert message.locked_at is not None
    # The right date no longer opens it.
    assert messages.message_unlock(message=message, date_of_birth=BORN) == "locked"
    assert message.read_at is None
    failed = _events("message.unlock_failed")
    assert sorted(event.detail["attempts"] for event in failed) == [1, 2, 3, 4, 5]
    assert {event.action for event in failed} == {AuditEvent.Action.LOGIN_FAILED}
    assert [event.action for event in _events("message.locked")] == [AuditEvent.Action.CHANGE]


def test_a_right_date_starts_the_count_again(message):
    wrong = datetime.date(1981, 1, 1)
    for _ in range(4):
        messages.message_unlock(message=message, date_of_birth=wrong)
    messages.message_unlock(message=message, date_of_birth=BORN)
    assert messages.message_unlock(message=message, date_of_birth=wrong) == "wrong"
    message.refresh_from_db()
    assert (message.failed_attempts, message.locked_at) == (1, None)


def test_the_patient_replies_once(message):
    messages.message_reply(message=message, text="  I will call on\u202e Monday.\r\n")
    assert message.reply == "I will call on Monday."
    assert message.replied_at is not None
    with pytest.raises(messages.ReplyRefused):
        messages.message_reply(message=message, text="And another thing")
    message.refresh_from_db()
    assert message.reply == "I will call on Monday."
    assert [event.action for event in _events("message.reply")] == [AuditEvent.Action.CHANGE]
    assert "Monday" not in str(_events("message.reply")[0].detail)


def test_an_empty_or_too_long_reply_is_refused(message):
    for text in ("  ", "x" * 1001):
        with pytest.raises(ValueError, match="1 to 1000"):
            messages.message_reply(message=message, text=text)
    message.refresh_from_db()
    assert message.replied_at is None


def test_a_locked_link_takes_no_reply(message):
    PatientMessage.objects.filter(pk=message.pk).update(locked_at=message.created_at)
    with pytest.raises(messages.ReplyRefused):
        messages.message_reply(message=message, text="Hello")


def test_the_records_messages_are_read_in_one_query(submission, call_us, django_assert_num_queries):
    for _ in range(3):
        _send(submission, template=call_us)
    with django_assert_num_queries(1):
        rows = message_queries.submission_messages(submission=submission)
        assert [row.sent_by.get_username() for row in rows]
        assert [row.reminder.status for row in rows]


def test_the_patients_export_lists_each_message_and_reply(message, clinician):
    messages.message_reply(message=message, text="Monday")
    record = patient_export(
        patient=message.submission.patient, now=message.created_at, by=clinician
    )
    (submission,) = record["submissions"]
    (exported,) = submission["messages"]
    assert exported["public_id"] == str(message.public_id)
    assert exported["body"] == message.body
    assert exported["template"] == "Please call us"
    assert exported["reply"] == "Monday"
    assert exported["replied_at"] == message.replied_at.isoformat()
