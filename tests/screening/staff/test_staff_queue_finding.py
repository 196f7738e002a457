"""Finding a patient from the queue (issue 14): a search looks across every status unless
the status filter narrows it, and the top reasons are those that decided the level."""

from __future__ import annotations

import datetime

import pytest

from screening.domain.queries.queue import queue_top_reasons
from screening.models import Submission
from tests.factories import PatientFactory, ScreeningResultFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

QUEUE_URL = "/staff/"
NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def _references(response) -> set[str]:
    return {row.submission.reference for row in response.context["rows"]}


@pytest.mark.parametrize("status", ["reviewed", "closed", "awaiting_test"])
def test_queue_search_by_reference_finds_any_status_by_default(clinician_client, now, status):
    submission = SubmissionFactory(status=status)

    response = clinician_client.get(QUEUE_URL, {"q": submission.reference})

    assert _references(response) == {submission.reference}


def test_queue_search_by_name_finds_every_status_by_default(clinician_client, now):
    patient = PatientFactory(full_name="Ada Quennell")
    by_status = {
        SubmissionFactory(patient=patient, status=status).reference
        for status in Submission.Status.values
    }
    SubmissionFactory(status="reviewed")  # someone else

    response = clinician_client.get(QUEUE_URL, {"q": "quennell"})

    assert _references(response) == by_status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("open", {"new", "awaiting_test"}),
        ("reviewed", {"reviewed"}),
        ("all", {"new", "awaiting_test", "reviewed", "closed"}),
    ],
)
def test_queue_search_is_narrowed_by_the_status_filter(clinician_client, now, status, expected):
    patient = PatientFactory(full_name="Ada Quennell")
    by_reference = {
        SubmissionFactory(patient=patient, status=code).reference: code
        for code in ("new", "awaiting_test", "reviewed", "closed")
    }

    response = clinician_client.get(QUEUE_URL, {"q": "Quennell", "status": status})

    assert {by_reference[reference] for reference in _references(response)} == expected


def test_queue_without_search_still_shows_open_only(clinician_client, now):
    open_one = SubmissionFactory(status="new")
    SubmissionFactory(status="reviewed")

    response = clinician_client.get(QUEUE_URL, {"q": "  "})

    assert _references(response) == {open_one.reference}


def _reason(code: str, text: str) -> dict:
    return {"code": code, "text": text, "source": "clinical.md B1; NG239"}


REVIEW_SOON_REASONS = [
    _reason("symptom.joint_pain.not_counted", "Symptoms: joint pain. Does not count."),
    _reason("symptom.numbness_tingling", "Symptoms: numbness or tingling."),
    _reason("risk.medicine.metformin", "Medicines: metformin."),
    _reason("note.medicine.combined_oral_contraceptive", "Combined pill."),
    _reason("criterion.a1_met", "Criterion met."),
    _reason("level.review_soon.neurological_symptom", "Neurological symptoms. Review soon."),
]


def test_queue_top_reasons_are_what_decided_the_level():
    assert queue_top_reasons(REVIEW_SOON_REASONS, level="review_soon") == [
        "Neurological symptoms. Review soon.",
        "Criterion met.",
        "Medicines: metformin.",
    ]


def test_queue_page_shows_deciding_reasons_not_uncounted_symptoms(clinician_client, now):
    submission = SubmissionFactory(level="review_soon")
    ScreeningResultFactory(submission=submission, level="review_soon", reasons=REVIEW_SOON_REASONS)

    response = clinician_client.get(QUEUE_URL)

    (row,) = response.context["rows"]
    assert row.top_reasons[0] == "Neurological symptoms. Review soon."
    assert "Does not count" not in response.content.decode()


def test_queue_labels_a_follow_up_check_in(clinician_client, now):
    original = SubmissionFactory(status="reviewed")
    follow_up = SubmissionFactory(patient=original.patient, kind="follow_up", follow_up_of=original)

    page = clinician_client.get(QUEUE_URL, {"q": follow_up.reference}).content.decode()

    assert '<span class="follow-up-tag">Follow-up check-in</span>' in page
