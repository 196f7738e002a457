"""How long a symptom has lasted, as the patient said it, on the staff submission page."""

from __future__ import annotations

import html

import pytest

from tests.factories import SubmissionFactory, SymptomAnswerFactory

pytestmark = pytest.mark.django_db


def _symptom_cells(client, submission) -> str:
    response = client.get(f"/staff/submissions/{submission.public_id}/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("number", "unit", "weeks", "shown"),
    [
        (3, "months", 13, "<td>3 months (13 weeks)</td>"),
        (1, "years", 52, "<td>1 year (52 weeks)</td>"),
        (10, "days", 1, "<td>10 days (1 week)</td>"),
        (12, "weeks", 12, "<td>12 weeks</td>"),
        (None, "dont_know", None, "<td>I don't know how long</td>"),
        (None, "", 8, "<td>8 weeks</td>"),  # given in weeks: a follow-up, an EHR, older
        (None, "", None, "<td></td>"),
    ],
)
def test_submission_page_shows_what_the_patient_said(clinician_client, number, unit, weeks, shown):
    submission = SubmissionFactory()
    SymptomAnswerFactory(
        submission=submission, duration_number=number, duration_unit=unit, duration_weeks=weeks
    )
    assert shown in _symptom_cells(clinician_client, submission)
