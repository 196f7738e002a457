"""A clinician finds a reviewed patient by reference from the queue's search box, with the
default status filter (issue 14: a search looks across every status), and opens the record:
its reasons name their guidelines with links, never internal files or engine codes."""

from __future__ import annotations

import pytest

from screening.domain.intake import intake_submit
from screening.domain.review import review_record
from screening.models import Submission
from tests.browser.conftest import check_page
from tests.browser.helpers import sign_in, submit
from tests.conftest import PATIENT_DETAILS, STAFF_PASSWORD, VALID_ANSWERS
from tests.factories import SubmissionFactory, SymptomAnswerFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_search_by_reference_finds_a_reviewed_patient(desktop, clinician):
    submission = intake_submit(
        answers=dict(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="finding-1",
        language="en",
    )
    review_record(submission=submission, by=clinician, outcomes=["contact_patient"], note="")
    submission.refresh_from_db()
    assert submission.status == Submission.Status.REVIEWED
    sign_in(desktop, clinician, STAFF_PASSWORD)

    desktop.goto("/staff/")
    assert desktop.locator(f"text={submission.reference}").count() == 0  # open only
    # Typed as a person reads it out: lower case, spaces for dashes.
    desktop.fill("#id_q", submission.reference.lower().replace("-", " "))
    submit(desktop, "form.queue-filters button[type=submit]")

    link = desktop.locator(f"table.queue-table a:text-is('{submission.reference}')")
    assert link.count() == 1
    check_page(desktop, "staff-queue-search-reviewed")
    with desktop.expect_navigation():
        link.click()
    assert desktop.url.endswith(f"/staff/submissions/{submission.public_id}/")
    reasons = desktop.locator(
        "#result-heading ~ .table-scroll table, #result-heading ~ table"
    ).first
    sources = reasons.locator("ul.reason-sources a").all_inner_texts()
    assert any(text.startswith("NICE NG239") for text in sources)
    assert "clinical.md" not in desktop.content()
    check_page(desktop, "staff-record-readable-sources")


def test_follow_up_record_reads_then_and_now(desktop, clinician):
    original = intake_submit(
        answers=dict(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="finding-2",
        language="en",
    )
    review_record(submission=original, by=clinician, outcomes=["contact_patient"], note="")
    follow_up = SubmissionFactory(
        patient=original.patient, kind="follow_up", follow_up_of=original, age_years=36
    )
    SymptomAnswerFactory(submission=follow_up, code="fatigue", severity=2)
    sign_in(desktop, clinician, STAFF_PASSWORD)

    desktop.goto(f"/staff/submissions/{follow_up.public_id}/")

    assert f"follow-up check-in {follow_up.reference}" in desktop.locator("h1").inner_text()
    rows = desktop.locator("table.before-after tbody tr").all_inner_texts()
    assert any(row.startswith("Tiredness") and "2/10" in row for row in rows)
    check_page(desktop, "staff-record-follow-up")
