"""A clinic admin sees a stored submission with its answers and results, read-only."""

import pytest
from django.urls import reverse

from screening.domain.intake import intake_submit
from screening.models import Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission(answers, patient_details) -> Submission:
    answers["red_flags"]["chest_pain"] = True
    return intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key="k", language="en"
    )


def test_admin_submission_page_shows_answers_and_result(admin_client, submission):
    url = reverse("admin:screening_submission_change", args=[submission.pk])
    page = admin_client.get(url).content.decode()
    assert submission.reference in page
    assert "Tiredness or lack of energy" in page  # a symptom row
    assert "Chest pain" in page  # a red flag row
    assert "Metformin (for diabetes)" in page  # a medicine row
    assert "Urgent" in page  # the screening result's level
    assert 'name="status"' in page  # the workflow status can change
    assert 'name="diet"' not in page  # the answers cannot
    assert 'name="symptoms-0-severity"' not in page


def test_admin_submission_list_shows_the_current_level(admin_client, submission):
    page = admin_client.get(reverse("admin:screening_submission_changelist")).content.decode()
    assert submission.reference in page
    assert "Urgent" in page


def test_admin_cannot_add_or_edit_results(admin_client, submission):
    assert admin_client.get(reverse("admin:screening_submission_add")).status_code == 403
    result = submission.results.get()
    url = reverse("admin:screening_screeningresult_change", args=[result.pk])
    response = admin_client.post(url, {"level": "no_flag"})
    assert response.status_code in (302, 403)
    result.refresh_from_db()
    assert result.level == "urgent"
