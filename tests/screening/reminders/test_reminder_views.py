"""The unsubscribe page (GET confirm, POST records, RFC 8058 one-click POST) and the
staff page of failed reminders with its retry button."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from screening.models import AuditEvent, EmailOptOut, Reminder
from screening.reminders import dispatch
from screening.reminders.rows import INTERRUPTED
from screening.reminders.unsubscribe import unsubscribe_url
from tests.screening import reminder_support as support
from tests.screening.reminder_support import NOON, london

pytestmark = pytest.mark.django_db

Status = Reminder.Status
FAILED_URL = "/staff/reminders/failed/"


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def smtp(settings):
    return support.scripted_smtp(settings)


def _path(reminder: Reminder) -> str:
    return urlsplit(unsubscribe_url(reminder)).path


# --- unsubscribe ----------------------------------------------------------------------


def test_unsubscribe_get_shows_a_button_and_records_nothing(clock, client):
    reminder = support.follow_up_due()

    response = client.get(_path(reminder))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "Stop these emails</button>" in page
    assert reminder.submission.patient.email not in page
    assert EmailOptOut.objects.count() == 0


def test_unsubscribe_post_records_the_address(clock, client):
    reminder = support.follow_up_due()

    response = client.post(_path(reminder))

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert list(EmailOptOut.objects.values_list("email", flat=True)) == [
        reminder.submission.patient.email.lower()
    ]


def test_one_click_post_from_a_mail_client_needs_no_csrf_token(clock):
    """RFC 8058: the client POSTs List-Unsubscribe=One-Click, with no cookie or token."""
    reminder = support.follow_up_due()
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        _path(reminder),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert EmailOptOut.objects.filter(email=reminder.submission.patient.email).exists()


def test_unsubscribing_twice_keeps_one_row(clock, client):
    reminder = support.follow_up_due()

    client.post(_path(reminder))
    client.post(_path(reminder))

    assert EmailOptOut.objects.count() == 1


def test_unsubscribe_link_still_works_after_the_reminder_was_sent(clock, client):
    """Not single-use, no expiry: an old email must still stop the next one."""
    reminder = support.follow_up_due()
    Reminder.objects.filter(pk=reminder.pk).update(status=Status.SENT, sent_at=NOON)
    clock.move_to(london(2026, 6, 15, 12, 0))

    assert client.post(_path(reminder)).status_code == 200
    assert EmailOptOut.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "00000000-0000-4000-8000-000000000000:forged",
    ],
)
def test_unsubscribe_with_a_bad_token_changes_nothing(clock, client, token):
    support.follow_up_due()

    assert client.get(f"/unsubscribe/{token}/").status_code == 404
    assert client.post(f"/unsubscribe/{token}/").status_code == 404
    assert EmailOptOut.objects.count() == 0


def test_a_follow_up_link_token_is_not_an_unsubscribe_token(clock, client):
    from screening.reminders.links import reminder_link_token

    reminder = support.follow_up_due()

    assert client.post(f"/unsubscribe/{reminder_link_token(reminder)}/").status_code == 404
    assert EmailOptOut.objects.count() == 0


def test_after_unsubscribing_the_next_reminder_is_cancelled(
    clock, client, smtp, django_capture_on_commit_callbacks
):
    first = support.follow_up_due()
    client.post(_path(first))
    patient = first.submission.patient
    second = support.follow_up_due(patient=patient)

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.reminders_dispatch(now=timezone.now())

    second.refresh_from_db()
    assert (second.status, second.cancelled_reason) == (Status.CANCELLED, "unsubscribed")
    assert mail.outbox == []


def test_unsubscribe_page_is_in_the_email_language(clock, client):
    reminder = support.follow_up_due()
    Reminder.objects.filter(pk=reminder.pk).update(language="es")

    response = client.get(_path(reminder))

    assert '<html lang="es">' in response.content.decode()


# --- failed reminders -----------------------------------------------------------------


def _failed(error: str = "SMTPRecipientsRefused: recipient refused (550)") -> Reminder:
    reminder = support.follow_up_due()
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Status.FAILED, attempts=5, last_error=error, sending_at=NOON
    )
    reminder.refresh_from_db()
    return reminder


def test_failed_page_lists_reference_kind_error_and_attempts(clock, clinician_client):
    reminder = _failed()
    support.follow_up_due()  # pending: not listed

    response = clinician_client.get(FAILED_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert reminder.submission.reference in page
    assert "Follow-up check-in" in page
    assert "SMTPRecipientsRefused: recipient refused (550)" in page
    assert "<td>5</td>" in page
    assert page.count(">Retry</button>") == 1
    assert reminder.submission.patient.full_name not in page
    assert reminder.submission.patient.email not in page
    assert AuditEvent.objects.filter(what="reminders.failed").count() == 1


def test_failed_page_shows_an_interrupted_send(clock, clinician_client):
    _failed(error=INTERRUPTED)

    page = clinician_client.get(FAILED_URL).content.decode()

    assert "interrupted while sending; check before retrying" in page


def test_failed_page_queries_do_not_grow_with_rows(
    clock, clinician_client, django_assert_max_num_queries
):
    _failed()
    clinician_client.get(FAILED_URL)  # warm the session and permission caches
    with django_assert_max_num_queries(12) as one:
        clinician_client.get(FAILED_URL)
    _failed()
    _failed()
    with django_assert_max_num_queries(len(one.captured_queries)) as three:
        clinician_client.get(FAILED_URL)
    assert len(three.captured_queries) == len(one.captured_queries)


def test_retry_button_puts_the_reminder_back_and_is_audited(clock, clinician_client, clinician):
    reminder = _failed()
    clock.move_to(london(2025, 6, 15, 12, 5))  # within the staff idle timeout

    response = clinician_client.post(FAILED_URL, {"reminder": str(reminder.public_id)})

    assert response.status_code == 302
    assert response["Location"] == FAILED_URL
    reminder.refresh_from_db()
    assert (reminder.status, reminder.due_at, reminder.attempts) == (
        Status.PENDING,
        london(2025, 6, 15, 12, 5),
        0,
    )
    event = AuditEvent.objects.get(what="reminder.retry")
    assert (event.actor, event.action, event.object_id) == (
        clinician,
        AuditEvent.Action.CHANGE,
        str(reminder.public_id),
    )
    assert event.patient_public_id == reminder.submission.patient.public_id
    assert event.detail == {
        "kind": "follow_up",
        "previous_error": "SMTPRecipientsRefused: recipient refused (550)",
    }


def test_retried_reminder_is_sent_by_the_next_dispatch(
    clock, clinician_client, smtp, django_capture_on_commit_callbacks
):
    reminder = _failed()
    clinician_client.post(FAILED_URL, {"reminder": str(reminder.public_id)})

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.reminders_dispatch(now=timezone.now())

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.SENT, 1)
    assert len(mail.outbox) == 1


def test_retry_of_a_reminder_that_is_not_failed_changes_nothing(clock, clinician_client):
    reminder = support.follow_up_due()

    response = clinician_client.post(FAILED_URL, {"reminder": str(reminder.public_id)}, follow=True)

    assert "not failed any more" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.status == Status.PENDING
    assert not AuditEvent.objects.filter(what="reminder.retry").exists()


def test_failed_page_is_refused_to_receptionists(clock, receptionist_client):
    reminder = _failed()

    assert receptionist_client.get(FAILED_URL).status_code == 403
    assert (
        receptionist_client.post(FAILED_URL, {"reminder": str(reminder.public_id)}).status_code
        == 403
    )
    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED


# --- failed reminders: pages, total, what may have reached the patient -----------------


def _failed_as(failure: str, error: str) -> Reminder:
    reminder = _failed(error=error)
    Reminder.objects.filter(pk=reminder.pk).update(failure=failure)
    reminder.refresh_from_db()
    return reminder


def test_failed_page_is_paged_with_the_total(clock, clinician_client):
    from screening.staff.views.reminders import FAILED_PAGE_SIZE

    for _ in range(FAILED_PAGE_SIZE + 3):
        _failed()

    first = clinician_client.get(FAILED_URL).content.decode()
    second = clinician_client.get(FAILED_URL, {"page": 2}).content.decode()

    assert f"{FAILED_PAGE_SIZE + 3} failed reminders, page 1 of 2." in first
    assert first.count(">Retry</button>") == FAILED_PAGE_SIZE
    assert "Next page" in first
    assert second.count(">Retry</button>") == 3
    assert "Previous page" in second


def test_a_row_that_may_have_reached_the_patient_says_so_and_needs_a_check(clock, clinician_client):
    from screening.reminders.rows import NO_ANSWER_AFTER_DATA

    reminder = _failed_as(
        Reminder.Failure.MAY_HAVE_REACHED, f"{NO_ANSWER_AFTER_DATA} (SMTPServerDisconnected)"
    )

    page = clinician_client.get(FAILED_URL).content.decode()
    assert "May have reached the patient" in page
    assert "I checked: they did not get it" in page

    clinician_client.post(FAILED_URL, {"reminder": str(reminder.public_id)})
    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED  # not retried without the check

    clinician_client.post(FAILED_URL, {"reminder": str(reminder.public_id), "checked": "yes"})
    reminder.refresh_from_db()
    assert (reminder.status, reminder.failure, reminder.data_started_at) == (
        Status.PENDING,
        "",
        None,
    )


def test_an_interrupted_row_from_before_the_failure_column_also_needs_the_check(
    clock, clinician_client
):
    reminder = _failed(error=INTERRUPTED)  # failure "" (failed before it existed)

    assert "May have reached the patient" in clinician_client.get(FAILED_URL).content.decode()
    clinician_client.post(FAILED_URL, {"reminder": str(reminder.public_id)})
    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED


def test_retry_all_shown_retries_only_temporary_failures_on_that_page(clock, clinician_client):
    temporary = [
        _failed_as(Reminder.Failure.RETRIES_RAN_OUT, "SMTPServerDisconnected: gone")
        for _ in range(2)
    ]
    refused = _failed_as(Reminder.Failure.REFUSED, "SMTPRecipientsRefused: recipient refused (550)")
    reached = _failed_as(Reminder.Failure.MAY_HAVE_REACHED, INTERRUPTED)

    page = clinician_client.get(FAILED_URL).content.decode()
    assert "Retry all shown that failed on temporary errors (2)" in page
    response = clinician_client.post(FAILED_URL, {"retry_all": "1"}, follow=True)

    assert "2 reminders will be sent again" in response.content.decode()
    statuses = {
        r.pk: r.status
        for r in Reminder.objects.filter(pk__in=[r.pk for r in (*temporary, refused, reached)])
    }
    assert [statuses[r.pk] for r in temporary] == [Status.PENDING, Status.PENDING]
    assert statuses[refused.pk] == statuses[reached.pk] == Status.FAILED
    assert AuditEvent.objects.filter(what="reminder.retry").count() == 2


def test_retry_all_is_not_offered_without_temporary_failures(clock, clinician_client):
    _failed_as(Reminder.Failure.REFUSED, "SMTPRecipientsRefused: recipient refused (550)")

    assert "Retry all shown" not in clinician_client.get(FAILED_URL).content.decode()
