"""One submission's record at /staff/submissions/<public_id>/, and who may see it."""

from __future__ import annotations

import copy
import datetime
import re
import uuid

import pytest
from django.http import Http404
from django.test import RequestFactory

from screening.accounts import access
from screening.domain.intake import intake_submit
from screening.models import AuditEvent, ScreeningResult
from screening.staff.sources import source_line
from tests.factories import ReviewFactory, StatusChangeFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

DAY_ONE = datetime.datetime(2025, 5, 1, 10, 0, tzinfo=datetime.UTC)
DAY_TWO = datetime.datetime(2025, 6, 15, 10, 0, tzinfo=datetime.UTC)


def record_url(submission) -> str:
    return f"/staff/submissions/{submission.public_id}/"


def _submit(answers, patient_details, key):
    return intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key=key, language="en"
    )


@pytest.fixture
def two_intakes(answers, patient_details, time_machine):
    """The same patient twice: tiredness 7 then 3, joint pain new the second time."""
    time_machine.move_to(DAY_ONE, tick=False)
    first = _submit(answers, patient_details, "first")
    later = copy.deepcopy(answers)
    later["symptoms"]["fatigue"]["severity"] = 3
    later["symptoms"]["joint_pain"] = {"present": True, "severity": 8}
    time_machine.move_to(DAY_TWO, tick=False)
    second = _submit(later, patient_details, "second")
    return first, second


def test_record_shows_every_answer_in_words(clinician_client, two_intakes):
    _first, second = two_intakes

    page = clinician_client.get(record_url(second)).content.decode()

    for text in (
        "Vegan: no food from animals",
        "Metformin (for diabetes)",
        "A medicine that reduces stomach acid, such as omeprazole or lansoprazole",
        "<td>Hands, Feet</td>",
        "Tiredness or lack of energy</th><td>Yes</td><td>3</td><td>12 weeks</td>",
        "Chest pain</th><td>No</td>",
        "Age at intake (years)</th><td>35</td>",
        "Family history</th><td>Not answered</td>",
    ):
        assert text in page


def test_record_shows_every_reason_source_action_and_rules_version(clinician_client, two_intakes):
    _first, second = two_intakes
    result = second.results.get()

    page = clinician_client.get(record_url(second)).content.decode()

    assert len(result.reasons) > 5
    page = page.replace("&#x27;", "'")
    for reason in result.reasons:
        assert f"<td>{reason['text']}</td>" in page
        # Readable sources: each guideline named and linked; internal files and engine
        # codes are not shown to staff (they stay in the CSV and FHIR).
        citations = source_line(reason["source"]).citations
        assert citations
        for citation in citations:
            assert f'<a href="{citation.url}" rel="noreferrer">{citation.name}</a>' in page
        assert reason["code"] not in page
    assert "clinical.md" not in page
    for action in result.suggested_actions:
        assert action["text"] in page
    assert f"<code>{result.rules_version}</code>" in page


def test_record_keeps_earlier_results_next_to_the_current(
    clinician_client, two_intakes, time_machine
):
    _first, second = two_intakes
    original = second.results.get()
    time_machine.move_to(DAY_TWO + datetime.timedelta(hours=1), tick=False)
    ScreeningResult.objects.create(
        submission=second,
        rules_version="later",
        level="urgent",
        possible_b12_deficiency=True,
        reasons=[{"code": "x", "text": "The newer reason", "source": "test"}],
        b12_status="not_tested",
        trigger=ScreeningResult.Trigger.RESCREEN,
    )

    response = clinician_client.get(record_url(second))

    assert response.context["current_result"].rules_version == "later"
    assert response.context["earlier_results"] == [original]
    page = response.content.decode()
    assert page.index("The newer reason") < page.index("Earlier results of this submission")
    assert original.reasons[0]["text"] in page


def test_record_shows_the_patients_submissions_side_by_side(clinician_client, two_intakes):
    first, second = two_intakes
    SubmissionFactory()  # someone else's

    response = clinician_client.get(record_url(second))
    page = response.content.decode()

    history = response.context["history"]
    assert [row.submission for row in history] == [first, second]
    assert [row.is_current for row in history] == [False, True]
    assert history[0].key_symptoms == [
        ("Tiredness or lack of energy", 7),
        ("Numbness, tingling or pins and needles", 4),
    ]
    assert history[1].key_symptoms == [
        ("Tiredness or lack of energy", 3),
        ("Numbness, tingling or pins and needles", 4),
        ("Joint pain", 8),
    ]
    assert f'href="{record_url(first)}"' in page
    assert "Tiredness or lack of energy 7; Numbness, tingling or pins and needles 4" in page


def test_record_chart_has_a_series_per_symptom_present_and_a_table(clinician_client, two_intakes):
    _first, second = two_intakes

    response = clinician_client.get(record_url(second))
    page = response.content.decode()

    chart = response.context["chart"]
    assert [series.code for series in chart.series] == [
        "fatigue",
        "numbness_tingling",
        "joint_pain",
    ]
    assert chart.table_rows == [("1 May 2025", ["7", "4", "0"]), ("15 Jun 2025", ["3", "4", "8"])]
    assert '<svg class="severity-chart"' in page
    assert '<title id="severity-chart-title">' in page
    assert "Chart data as a table" in page


def test_record_shows_status_history_and_reviews_with_notes(
    clinician_client, clinician, two_intakes
):
    _first, second = two_intakes
    StatusChangeFactory(submission=second, changed_by=clinician)
    ReviewFactory(
        submission=second,
        clinician=clinician,
        outcomes=["order_b12_test", "contact_patient"],
        note="Phoned; booked bloods.",
    )

    page = clinician_client.get(record_url(second)).content.decode()

    assert "<td>New</td><td>In review</td><td>clinician</td>" in page
    assert "<li>Order B12 test</li><li>Contact patient</li>" in page
    assert "Phoned; booked bloods." in page


def test_record_view_is_audited(clinician_client, clinician, two_intakes):
    _first, second = two_intakes
    AuditEvent.objects.all()  # intake writes none
    assert AuditEvent.objects.count() == 0

    clinician_client.get(record_url(second))

    event = AuditEvent.objects.get()
    assert (
        event.actor,
        event.actor_username,
        event.action,
        event.what,
        event.object_type,
        event.object_id,
        event.patient_public_id,
    ) == (
        clinician,
        "clinician",
        AuditEvent.Action.VIEW,
        "submission.detail",
        "submission",
        str(second.public_id),
        second.patient.public_id,
    )
    assert event.ip_address == "127.0.0.1"


def test_record_unknown_public_id_is_404_and_not_audited(clinician_client):
    response = clinician_client.get(f"/staff/submissions/{uuid.uuid4()}/")

    assert response.status_code == 404
    assert AuditEvent.objects.count() == 0


def test_record_url_takes_no_sequential_id(clinician_client):
    submission = SubmissionFactory()

    assert clinician_client.get(f"/staff/submissions/{submission.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", "assign/"),
        ("post", "status/"),
        ("get", "decision/"),
        ("post", "decision/"),
    ],
)
def test_record_pages_forbidden_to_receptionist_and_outsider(
    receptionist_client, outsider_client, method, suffix
):
    submission = SubmissionFactory(status="in_review")
    url = record_url(submission) + suffix

    for client in (receptionist_client, outsider_client):
        response = getattr(client, method)(url, {"to_status": "closed", "outcomes": ["no_action"]})
        assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.status == "in_review"
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("suffix", ["", "decision/"])
def test_record_pages_send_anonymous_to_login(client, suffix):
    submission = SubmissionFactory()
    url = record_url(submission) + suffix

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/account/login/?next=")


def test_access_helper_404s_without_clinical_permission(receptionist):
    """The helper refuses on its own, even if a view forgot the decorator."""
    submission = SubmissionFactory()
    request = RequestFactory().get("/")
    request.user = receptionist

    with pytest.raises(Http404):
        access.submission_for_staff(request, submission.public_id)
    with pytest.raises(Http404):
        access.patient_for_staff(request, submission.patient.public_id)
    assert AuditEvent.objects.count() == 0


def test_record_receptionist_response_has_no_clinical_content(receptionist_client, two_intakes):
    _first, second = two_intakes

    response = receptionist_client.get(record_url(second))

    assert response.status_code == 403
    assert "Tiredness" not in response.content.decode()


def test_record_page_has_no_inline_script_or_style(clinician_client, two_intakes):
    _first, second = two_intakes

    page = clinician_client.get(record_url(second)).content.decode()

    assert "<script" not in page
    assert re.search(r"\sstyle=", page) is None
    assert 'role="img"' in page
