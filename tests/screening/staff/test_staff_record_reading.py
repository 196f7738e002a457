"""Reading a patient's record (issue 14): answers as the patient gave them (questions never
asked are not listed, "I don't know" reads as such), and a follow-up check-in labelled as
one, linked to what it follows, with each symptom then and now."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from screening.domain.intake import follow_up_submit
from screening.models import AuditEvent, Review
from screening.staff import asked
from tests.conftest import VALID_ANSWERS
from tests.factories import (
    ReminderFactory,
    ReviewFactory,
    SubmissionFactory,
    SymptomAnswerFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def record_url(submission) -> str:
    return f"/staff/submissions/{submission.public_id}/"


def _about(response) -> dict[str, str]:
    return dict(response.context["answers"]["about"])


def _on_the_form(**fields):
    """A submission sent whole from the clinic's form (agreed before the first question)."""
    return SubmissionFactory(care_consent_at=NOW, care_consent_version="v1", **fields)


# --- Questions never asked, "I don't know" ------------------------------------------------


def test_record_leaves_out_pregnancy_never_asked_of_a_68_year_old_man(clinician_client, now):
    submission = _on_the_form(sex="male", age_years=68)

    response = clinician_client.get(record_url(submission))

    about = _about(response)
    assert "Pregnant" not in about
    assert "Breastfeeding" not in about
    assert about["Age at intake (years)"] == "68"


def test_record_lists_pregnancy_where_it_was_asked(clinician_client, now):
    submission = _on_the_form(sex="female", age_years=30, pregnant="not_sure", breastfeeding=False)

    about = _about(clinician_client.get(record_url(submission)))

    assert about["Pregnant"] == "I'm not sure"
    assert about["Breastfeeding"] == "No"


def test_record_shows_i_dont_know_as_given_on_the_form(clinician_client, now):
    submission = _on_the_form(family_history=None, medicines_answered=False)
    SymptomAnswerFactory(submission=submission, code="fatigue", severity=4, duration_weeks=None)

    response = clinician_client.get(record_url(submission))

    about = _about(response)
    assert about["Family history"] == "I don't know"
    assert about["Medicines"] == "I don't know"
    assert about["Alcohol (units a week)"] == "Not given (optional)"
    (symptom,) = response.context["answers"]["symptoms"]
    assert symptom["duration"] == "I don't know how long"


def test_record_says_not_answered_for_an_intake_not_from_the_form(clinician_client, now):
    # An EHR's intake records no agreement: an absent answer may simply not have been sent.
    submission = SubmissionFactory(family_history=None, medicines_answered=False)

    about = _about(clinician_client.get(record_url(submission)))

    assert about["Family history"] == "Not answered"
    assert about["Medicines"] == "Not answered"


# --- Follow-up check-ins ----------------------------------------------------------------------


def _original_with_decision():
    original = _on_the_form(
        status="reviewed",
        diet="vegan",
        medicines_answered=True,
        submitted_at=NOW - datetime.timedelta(days=90),
    )
    SymptomAnswerFactory(submission=original, code="fatigue", severity=7)
    SymptomAnswerFactory(submission=original, code="numbness_tingling", severity=5)
    SymptomAnswerFactory(submission=original, code="joint_pain", present=False, severity=None)
    decision = ReviewFactory(
        submission=original,
        outcomes=[Review.Outcome.ORDER_B12_TEST.value],
        created_at=NOW - datetime.timedelta(days=89),
    )
    return original, decision


def _follow_up(original, *, days_ago=1, fatigue=3):
    # As follow_up_submit stores it: risk factors carried forward, so the screening has them.
    follow_up = SubmissionFactory(
        patient=original.patient,
        kind="follow_up",
        follow_up_of=original,
        diet=original.diet,
        medicines_answered=True,
        submitted_at=NOW - datetime.timedelta(days=days_ago),
    )
    SymptomAnswerFactory(submission=follow_up, code="fatigue", severity=fatigue)
    SymptomAnswerFactory(
        submission=follow_up, code="numbness_tingling", present=False, severity=None
    )
    SymptomAnswerFactory(submission=follow_up, code="joint_pain", severity=2)
    return follow_up


def test_follow_up_is_labelled_and_linked_to_its_submission_and_decision(clinician_client, now):
    original, decision = _original_with_decision()
    follow_up = _follow_up(original)

    response = clinician_client.get(record_url(follow_up))

    page = response.content.decode()
    assert f"follow-up check-in {follow_up.reference}" in page
    assert f'<a href="{record_url(original)}">submission {original.reference}</a>' in page
    assert response.context["follow_up_decision"].review == decision
    assert "Order B12 test" in page


def test_follow_up_shows_each_symptom_then_and_now(clinician_client, now):
    original, _decision = _original_with_decision()
    follow_up = _follow_up(original)

    response = clinician_client.get(record_url(follow_up))

    lines = [
        (line.label, line.then, line.now, line.change) for line in response.context["before_after"]
    ]
    assert lines == [
        ("Tiredness or lack of energy", "Yes, 7/10", "Yes, 3/10", "down 4"),
        ("Numbness, tingling or pins and needles", "Yes, 5/10", "No", "down 5"),
        ("Joint pain", "No", "Yes, 2/10", "up 2"),
    ]


def test_follow_up_does_not_show_answers_it_did_not_ask(clinician_client, now):
    original, _decision = _original_with_decision()
    follow_up = _follow_up(original)

    response = clinician_client.get(record_url(follow_up))

    assert _about(response) == {"Age at check-in (years)": "45"}
    assert response.context["free_text"] == []
    page = response.content.decode()
    assert "Usual diet" not in page
    assert "Other medicines" not in page


def test_follow_up_chart_spans_every_check_in(clinician_client, now):
    original, _decision = _original_with_decision()
    _follow_up(original, days_ago=30, fatigue=5)
    latest = _follow_up(original, days_ago=1, fatigue=2)

    response = clinician_client.get(record_url(latest))

    chart = response.context["chart"]
    (fatigue,) = [s for s in chart.series if s.code == "fatigue"]
    assert [cells[fatigue.index] for _date, cells in chart.table_rows] == ["7", "5", "2"]
    assert "(follow-up check-in)" in response.content.decode()


def test_follow_up_record_query_count_does_not_grow_with_check_ins(
    clinician_client, now, django_assert_num_queries
):
    original, _decision = _original_with_decision()
    latest = _follow_up(original, days_ago=1)
    clinician_client.get(record_url(latest))  # settle the session
    with CaptureQueriesContext(connection) as one:
        clinician_client.get(record_url(latest))
    for days_ago in (60, 30, 10):
        _follow_up(original, days_ago=days_ago)

    with django_assert_num_queries(len(one)):
        response = clinician_client.get(record_url(latest))

    assert len(response.context["history"]) == 5


def test_follow_up_record_view_is_audited(clinician_client, clinician, now):
    original, _decision = _original_with_decision()
    follow_up = _follow_up(original)

    clinician_client.get(record_url(follow_up))

    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.what, event.object_id) == (
        clinician,
        AuditEvent.Action.VIEW,
        "submission.detail",
        str(follow_up.public_id),
    )


def test_before_after_lists_only_symptoms_present_then_or_now():
    original = SubmissionFactory()
    follow_up = SubmissionFactory(patient=original.patient, kind="follow_up", follow_up_of=original)
    SymptomAnswerFactory(submission=original, code="fatigue", present=False, severity=None)
    SymptomAnswerFactory(submission=follow_up, code="fatigue", present=False, severity=None)
    SymptomAnswerFactory(submission=follow_up, code="mouth_ulcers", severity=None)

    lines = asked.before_after_lines(original=original, follow_up=follow_up)

    assert [(line.then, line.now, line.change) for line in lines] == [("Not asked", "Yes", "")]


def test_patient_page_labels_follow_up_check_ins(clinician_client, now):
    original, _decision = _original_with_decision()
    follow_up = _follow_up(original)

    page = clinician_client.get(f"/staff/patients/{original.patient.public_id}/").content.decode()

    assert f"{follow_up.reference}</a> (follow-up check-in)" in page
    assert f"{original.reference}</a> (follow-up check-in)" not in page


def test_follow_up_stored_by_the_check_in_form_reads_as_asked(clinician_client, now):
    """Through follow_up_submit itself: the carried-forward risk factors screen the check-in
    but are not shown as its answers."""
    original, _decision = _original_with_decision()
    reminder = ReminderFactory(submission=original)
    answers = {"symptoms": VALID_ANSWERS["symptoms"], "red_flags": VALID_ANSWERS["red_flags"]}
    follow_up = follow_up_submit(
        original=original, answers=answers, reminder=reminder, language="en"
    )
    assert follow_up.diet == "vegan"  # carried forward, for the screening

    response = clinician_client.get(record_url(follow_up))

    assert list(_about(response)) == ["Age at check-in (years)"]
    assert response.context["follow_up_of"].original == original
    assert response.context["before_after"]
