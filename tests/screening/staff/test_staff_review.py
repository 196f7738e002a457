"""Review states: assign, decide, release, close, reopen. Who and when, and the audit."""

from __future__ import annotations

import datetime

import pytest

from screening.domain.review import TransitionNotAllowed, review_record, submission_status_change
from screening.models import AuditEvent, Review, StatusChange, Submission
from tests.factories import SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def url(submission, action: str) -> str:
    return f"/staff/submissions/{submission.public_id}/{action}/"


def _changes(submission) -> list[tuple]:
    return list(
        StatusChange.objects.filter(submission=submission).values_list(
            "from_status", "to_status", "changed_by__username", "changed_at"
        )
    )


def _change_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE))


# --- assign -------------------------------------------------------------------------


def test_assign_to_me_moves_new_to_in_review(clinician_client, clinician, now):
    submission = SubmissionFactory()

    response = clinician_client.post(url(submission, "assign"))

    assert response.status_code == 302
    submission.refresh_from_db()
    assert (submission.status, submission.assignee, submission.status_changed_at) == (
        "in_review",
        clinician,
        NOW,
    )
    assert _changes(submission) == [("new", "in_review", "clinician", NOW)]


def test_assign_is_audited_as_a_change(clinician_client, clinician, now):
    submission = SubmissionFactory()

    clinician_client.post(url(submission, "assign"))

    [event] = _change_events()
    assert (
        event.actor,
        event.what,
        event.object_type,
        event.object_id,
        event.patient_public_id,
    ) == (
        clinician,
        "submission.assign",
        "submission",
        str(submission.public_id),
        submission.patient.public_id,
    )
    assert event.detail == {
        "reference": submission.reference,
        "assignee": "clinician",
        "status": "in_review",
    }


def test_take_over_from_a_colleague_keeps_the_status(clinician_client, clinician, now):
    submission = SubmissionFactory(status="in_review", assignee=UserFactory())

    clinician_client.post(url(submission, "assign"))

    submission.refresh_from_db()
    assert (submission.status, submission.assignee) == ("in_review", clinician)
    assert _changes(submission) == []


def test_assign_refused_once_decided(clinician_client, now):
    submission = SubmissionFactory(status="reviewed")

    response = clinician_client.post(url(submission, "assign"), follow=True)

    submission.refresh_from_db()
    assert submission.assignee is None
    assert "reopen it first" in response.content.decode()
    assert _change_events() == []


def test_assign_needs_post(clinician_client):
    submission = SubmissionFactory()

    assert clinician_client.get(url(submission, "assign")).status_code == 405


# --- decisions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        (["order_b12_test"], "awaiting_test"),
        (["order_blood_count", "contact_patient"], "awaiting_test"),
        (["start_treatment", "contact_patient"], "reviewed"),
        (["refer"], "reviewed"),
        (["no_action"], "reviewed"),
    ],
)
def test_decision_moves_status_by_outcome(clinician_client, clinician, now, outcomes, status):
    submission = SubmissionFactory(status="in_review", assignee=clinician)

    response = clinician_client.post(
        url(submission, "decision"), {"outcomes": outcomes, "note": "Seen."}
    )

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.submission, review.clinician, review.outcomes, review.note) == (
        submission,
        clinician,
        outcomes,
        "Seen.",
    )
    assert review.created_at == NOW
    submission.refresh_from_db()
    assert submission.status == status
    assert _changes(submission) == [("in_review", status, "clinician", NOW)]


def test_decision_on_a_new_submission_records_both_steps(clinician_client, clinician, now):
    submission = SubmissionFactory()

    clinician_client.post(url(submission, "decision"), {"outcomes": ["no_action"]})

    submission.refresh_from_db()
    assert (submission.status, submission.assignee) == ("reviewed", clinician)
    assert _changes(submission) == [
        ("new", "in_review", "clinician", NOW),
        ("in_review", "reviewed", "clinician", NOW),
    ]


def test_decision_while_awaiting_test_can_order_again_without_a_status_change(
    clinician_client, clinician, now
):
    submission = SubmissionFactory(status="awaiting_test", assignee=clinician)

    clinician_client.post(url(submission, "decision"), {"outcomes": ["order_blood_count"]})

    submission.refresh_from_db()
    assert submission.status == "awaiting_test"
    assert Review.objects.count() == 1
    assert _changes(submission) == []


def test_decision_is_audited_without_the_note(clinician_client, clinician, now):
    submission = SubmissionFactory(status="in_review", assignee=clinician)

    clinician_client.post(
        url(submission, "decision"), {"outcomes": ["refer"], "note": "Private words"}
    )

    [event] = _change_events()
    review = Review.objects.get()
    assert (event.actor, event.what, event.object_id, event.patient_public_id) == (
        clinician,
        "submission.review",
        str(submission.public_id),
        submission.patient.public_id,
    )
    assert event.detail == {
        "reference": submission.reference,
        "review_id": review.pk,
        "status": "reviewed",
    }
    assert "Private" not in str(event.detail)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose at least one outcome."),
        ({"note": "no outcome"}, "Choose at least one outcome."),
        ({"outcomes": ["no_action", "refer"]}, "“No action” cannot be chosen with another"),
        ({"outcomes": ["made_up"]}, "Select a valid choice."),
        ({"outcomes": ["refer"], "note": "x" * 5001}, "at most 5000 characters"),
    ],
)
def test_decision_form_errors_store_nothing(clinician_client, now, data, message):
    submission = SubmissionFactory(status="in_review")

    response = clinician_client.post(url(submission, "decision"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Review.objects.count() == 0
    submission.refresh_from_db()
    assert submission.status == "in_review"
    assert _change_events() == []


def test_decision_page_lists_every_outcome_as_checkboxes(clinician_client):
    submission = SubmissionFactory(status="in_review")

    page = clinician_client.get(url(submission, "decision")).content.decode()

    for code, label in Review.Outcome.choices:
        assert f'type="checkbox" name="outcomes" value="{code}"' in page
        assert str(label) in page
    assert "<legend" in page


def test_decision_refused_once_reviewed(clinician_client, now):
    submission = SubmissionFactory(status="reviewed")

    response = clinician_client.post(
        url(submission, "decision"), {"outcomes": ["refer"]}, follow=True
    )

    assert Review.objects.count() == 0
    assert "reopen it first" in response.content.decode()


# --- manual status changes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "to_status", "assignee_after"),
    [
        ("reviewed", "closed", "colleague"),
        ("closed", "in_review", "clinician"),
        ("tasks_open", "in_review", "clinician"),
        ("reviewed", "in_review", "clinician"),
        ("awaiting_test", "in_review", "clinician"),
        ("in_review", "new", None),
    ],
)
def test_status_change_records_who_and_when(
    clinician_client, clinician, now, start, to_status, assignee_after
):
    colleague = UserFactory(username="colleague")
    submission = SubmissionFactory(status=start, assignee=colleague)

    clinician_client.post(url(submission, "status"), {"to_status": to_status})

    submission.refresh_from_db()
    assert submission.status == to_status
    assert submission.status_changed_at == NOW
    assert (submission.assignee.username if submission.assignee else None) == assignee_after
    assert _changes(submission) == [(start, to_status, "clinician", NOW)]
    [event] = _change_events()
    assert (event.what, event.detail) == (
        "submission.status",
        {"reference": submission.reference, "from_status": start, "to_status": to_status},
    )


@pytest.mark.parametrize(
    ("start", "to_status"),
    [
        ("new", "closed"),
        # An open submission is closed with a reason (tests/screening/staff/test_tasks_views.py).
        ("awaiting_test", "closed"),
        ("tasks_open", "closed"),
        ("new", "reviewed"),
        ("in_review", "reviewed"),
        ("in_review", "awaiting_test"),
        ("closed", "new"),
        ("in_review", "made_up"),
    ],
)
def test_status_change_not_allowed_changes_nothing(clinician_client, now, start, to_status):
    submission = SubmissionFactory(status=start)

    response = clinician_client.post(
        url(submission, "status"), {"to_status": to_status}, follow=True
    )

    submission.refresh_from_db()
    assert submission.status == start
    assert StatusChange.objects.count() == 0
    assert _change_events() == []
    assert "alert-danger" in response.content.decode()


def test_record_page_offers_only_allowed_moves(clinician_client):
    submission = SubmissionFactory(status="reviewed")

    page = clinician_client.get(f"/staff/submissions/{submission.public_id}/").content.decode()

    assert 'name="to_status" value="closed"' in page
    assert 'name="to_status" value="in_review"' in page
    assert 'name="to_status" value="new"' not in page
    assert "Record a decision" not in page


# --- services directly ------------------------------------------------------------------


def test_review_record_rejects_unknown_or_no_outcomes(clinician):
    submission = SubmissionFactory(status="in_review")

    for outcomes in ([], ["made_up"]):
        with pytest.raises(ValueError, match="Outcomes must be"):
            review_record(submission=submission, by=clinician, outcomes=outcomes, note="")
    assert Review.objects.count() == 0


def test_status_change_sees_a_colleagues_change_made_meanwhile(clinician):
    """The service re-reads the row under a lock: a stale copy cannot undo a close."""
    submission = SubmissionFactory(status="reviewed")
    stale = Submission.objects.get(pk=submission.pk)
    submission_status_change(submission=submission, to_status="closed", by=clinician)

    with pytest.raises(TransitionNotAllowed):
        submission_status_change(submission=stale, to_status="closed", by=clinician)
    assert StatusChange.objects.count() == 1
