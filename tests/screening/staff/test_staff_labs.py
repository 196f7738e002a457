"""A clinician enters a lab result: validation, interpretation at every threshold edge
(clinical.md E1, E2), re-screening that adds a result next to the old one, and the audit."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal

import pytest

from screening.domain.intake import intake_submit
from screening.domain.queries.answers import lab_b12_status, submission_answers
from screening.domain.queries.records import submission_current_result
from screening.domain.review import lab_result_add
from screening.models import AuditEvent, LabResult, ScreeningResult
from screening.staff.display import lab_interpretation_text
from tests.factories import LabResultFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 15)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime.datetime(2025, 6, 15, 11, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def untested(answers, patient_details, now):
    """A real intake with symptoms and risks but no lab results: B12 not tested."""
    answers = copy.deepcopy(answers)
    del answers["labs"]
    return intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key="k", language="en"
    )


def lab_url(submission) -> str:
    return f"/staff/submissions/{submission.public_id}/labs/add/"


def _post_lab(client, submission, **changes):
    data = {"test": "total_b12", "value": "250", "unit": "ng/L", "date": "2025-06-10"}
    return client.post(lab_url(submission), {**data, **changes})


# clinical.md E1 (total B12) and E2 (active B12): "below" is strict, ranges include both ends.
THRESHOLD_EDGES = [
    ("total_b12", "179", "ng/L", "deficiency_likely", "Deficiency likely"),
    ("total_b12", "179.9", "ng/L", "deficiency_likely", "Deficiency likely"),
    ("total_b12", "180", "ng/L", "indeterminate", "Indeterminate"),
    ("total_b12", "350", "ng/L", "indeterminate", "Indeterminate"),
    ("total_b12", "351", "ng/L", "deficiency_unlikely", "Deficiency unlikely"),
    ("total_b12", "350.1", "pg/mL", "deficiency_unlikely", "Deficiency unlikely"),
    ("total_b12", "179", "pg/mL", "deficiency_likely", "Deficiency likely"),
    ("total_b12", "132", "pmol/L", "deficiency_likely", "Deficiency likely"),
    ("total_b12", "133", "pmol/L", "indeterminate", "Indeterminate"),
    ("total_b12", "258", "pmol/L", "indeterminate", "Indeterminate"),
    ("total_b12", "259", "pmol/L", "deficiency_unlikely", "Deficiency unlikely"),
    ("active_b12", "24.9", "pmol/L", "deficiency_likely", "Deficiency likely"),
    ("active_b12", "25", "pmol/L", "indeterminate", "Indeterminate"),
    ("active_b12", "70", "pmol/L", "indeterminate", "Indeterminate"),
    ("active_b12", "70.1", "pmol/L", "deficiency_unlikely", "Deficiency unlikely"),
]


@pytest.mark.parametrize(("test", "value", "unit", "status", "words"), THRESHOLD_EDGES)
def test_lab_threshold_edges_end_to_end(
    clinician_client, untested, test, value, unit, status, words
):
    response = _post_lab(clinician_client, untested, test=test, value=value, unit=unit)
    assert response.status_code == 302

    lab = LabResult.objects.get(source="clinician")
    assert lab.value == Decimal(value)
    assert lab_b12_status(lab=lab) == status
    current = submission_current_result(submission=untested)
    assert current.b12_status == status
    assert current.trigger == ScreeningResult.Trigger.LAB
    page = clinician_client.get(response["Location"]).content.decode()
    assert f'<span class="b12-status b12-{status}">{words}</span>' in page


@pytest.mark.parametrize(
    ("test", "unit", "words"),
    [
        ("mma", "umol/L", "Compare with the laboratory&#x27;s own reference range"),
        ("folate", "ug/L", "Not interpreted on its own"),
        ("haemoglobin", "g/L", "Not interpreted on its own"),
    ],
)
def test_lab_other_tests_are_not_given_a_b12_status(clinician, test, unit, words):
    lab = LabResultFactory(test=test, unit=unit, value=Decimal("0.5"))

    assert lab_b12_status(lab=lab) == ""
    assert lab_interpretation_text(lab=lab).startswith(words.replace("&#x27;", "'"))


def test_lab_that_changes_the_outcome_adds_a_result_next_to_the_old(clinician_client, untested):
    old = untested.results.get()
    old_values = ScreeningResult.objects.filter(pk=old.pk).values().get()

    _post_lab(clinician_client, untested, value="150")

    results = list(untested.results.order_by("created_at", "id"))
    assert len(results) == 2
    assert ScreeningResult.objects.filter(pk=old.pk).values().get() == old_values
    assert results[0].b12_status == "not_tested"
    assert results[1].b12_status == "deficiency_likely"
    assert any(reason["code"] == "lab.total_b12.deficiency_likely" for reason in results[1].reasons)
    untested.refresh_from_db()
    assert untested.level == results[1].level


def test_lab_that_changes_the_level_moves_the_queue_level(
    clinician_client, answers, patient_details, now
):
    """No symptoms or risks: no flag; a total B12 below 180 ng/L makes it review soon."""
    plain = {"age_years": 40, "diet": "omnivore"}
    submission = intake_submit(
        answers=plain, patient_details=patient_details, idempotency_key="p", language="en"
    )
    assert submission.level == "no_flag"

    _post_lab(clinician_client, submission, value="120")

    submission.refresh_from_db()
    assert (submission.level, submission.level_rank) == ("review_soon", 1)


def test_lab_that_changes_nothing_adds_no_result(clinician_client, untested):
    before = list(untested.results.values_list("pk", flat=True))

    response = _post_lab(clinician_client, untested, test="folate", value="7", unit="ug/L")

    assert list(untested.results.values_list("pk", flat=True)) == before
    assert LabResult.objects.filter(submission=untested, test="folate").count() == 1
    page = clinician_client.get(response["Location"]).content.decode()
    assert "The screening result did not change." in page


def test_lab_is_stored_for_the_patient_by_the_clinician(clinician_client, clinician, untested):
    _post_lab(clinician_client, untested, value="179", date="2025-06-01")

    lab = LabResult.objects.get()
    assert (
        lab.patient,
        lab.submission,
        lab.test,
        lab.value,
        lab.unit,
        lab.date,
        lab.source,
        lab.entered_by,
    ) == (
        untested.patient,
        untested,
        "total_b12",
        Decimal("179"),
        "ng/L",
        datetime.date(2025, 6, 1),
        "clinician",
        clinician,
    )
    # The engine sees it: the answers rebuilt from the rows carry the lab.
    assert submission_answers(submission=untested)["labs"] == [
        {"test": "total_b12", "value": 179, "unit": "ng/L", "date": "2025-06-01"}
    ]


def test_lab_most_recent_result_counts(clinician_client, untested):
    """E4: a newer result replaces an older one in the screening, whatever the order
    they were entered in."""
    _post_lab(clinician_client, untested, value="400", date="2025-06-10")
    _post_lab(clinician_client, untested, value="150", date="2025-05-01")

    current = submission_current_result(submission=untested)
    assert current.b12_status == "deficiency_unlikely"


def test_lab_entry_is_audited(clinician_client, clinician, untested):
    _post_lab(clinician_client, untested, value="150")

    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE)
    lab = LabResult.objects.get()
    new_result = submission_current_result(submission=untested)
    assert (
        event.actor,
        event.what,
        event.object_type,
        event.object_id,
        event.patient_public_id,
    ) == (
        clinician,
        "lab_result.add",
        "submission",
        str(untested.public_id),
        untested.patient.public_id,
    )
    assert event.detail == {
        "reference": untested.reference,
        "lab_result_id": lab.pk,
        "screening_result_id": new_result.pk,
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"unit": "umol/L"}, "unit", "µmol/L is not a unit for Vitamin B12 (total B12)"),
        ({"test": "active_b12", "unit": "ng/L"}, "unit", "choose pmol/L"),
        ({"date": "2025-06-16"}, "date", "cannot be in the future"),
        (
            {"date": "16/06/2025"},
            "date",
            "Enter the date as year-month-day, for example 2026-03-31.",
        ),
        ({"value": "-1"}, "value", "greater than or equal to 0"),
        ({"value": "abc"}, "value", "Enter a number."),
        ({"value": "1.2345"}, "value", "no more than 3 decimal places"),
        ({"value": "1000000"}, "value", "The result must be less than 1,000,000"),
        ({"value": "1.5e308"}, "value", "no more than 12 digits in total"),
        ({"test": "vitamin_d"}, "test", "Select a valid choice."),
    ],
)
def test_lab_form_errors_store_nothing(clinician_client, untested, changes, field, message):
    response = _post_lab(clinician_client, untested, **changes)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert LabResult.objects.count() == 0
    assert untested.results.count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_lab_empty_post_shows_every_required_field(clinician_client, untested):
    response = clinician_client.post(lab_url(untested), {})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"test", "value", "unit", "date"}
    assert LabResult.objects.count() == 0


def test_lab_date_today_is_accepted(clinician_client, untested):
    response = _post_lab(clinician_client, untested, date=TODAY.isoformat())

    assert response.status_code == 302
    assert LabResult.objects.get().date == TODAY


def test_lab_service_refuses_a_unit_of_another_test(clinician):
    submission = SubmissionFactory()

    with pytest.raises(ValueError, match="not a unit"):
        lab_result_add(
            submission=submission,
            test="active_b12",
            value=Decimal("30"),
            unit="ng/L",
            date=TODAY,
            by=clinician,
        )
    assert LabResult.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_lab_entry_forbidden_to_receptionist(receptionist_client, untested, method):
    response = getattr(receptionist_client, method)(
        lab_url(untested), {"test": "total_b12", "value": "1", "unit": "ng/L", "date": "2025-06-01"}
    )

    assert response.status_code == 403
    assert LabResult.objects.count() == 0


def test_lab_form_page_is_labelled(clinician_client, untested):
    page = clinician_client.get(lab_url(untested)).content.decode()

    for field in ("test", "value", "unit", "date"):
        assert f'<label class="form-label" for="id_{field}">' in page
    assert "<legend" in page


def test_lab_form_refuses_a_2062_result_that_would_hide_the_low_one(clinician_client, untested):
    """clinical.md E4: a low result, then a 2062-dated one (a typing error) that would be the
    most recent: the form refuses it on the date field and the low result still counts."""
    assert _post_lab(clinician_client, untested, value="150", date="2025-01-01").status_code == 302
    response = _post_lab(clinician_client, untested, value="400", date="2062-01-01")

    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [
        "The date of the test cannot be in the future."
    ]
    assert LabResult.objects.count() == 1
    assert submission_current_result(submission=untested).b12_status == "deficiency_likely"


def test_lab_service_refuses_a_date_after_the_day_of_screening(clinician, untested):
    """The domain checks it too, whatever calls it (E4), and stores nothing."""
    with pytest.raises(ValueError, match="after the day of screening"):
        lab_result_add(
            submission=untested,
            test="total_b12",
            value=Decimal("400"),
            unit="ng/L",
            date=TODAY + datetime.timedelta(days=1),
            by=clinician,
        )
    assert LabResult.objects.count() == 0


def test_lab_service_refuses_a_value_at_the_contract_bound(clinician, untested):
    """The bound on every path (contract.LAB_VALUE_MAX), checked by the domain too."""
    with pytest.raises(ValueError, match="less than 1,000,000"):
        lab_result_add(
            submission=untested,
            test="total_b12",
            value=Decimal(1_000_000),
            unit="pmol/L",
            date=TODAY,
            by=clinician,
        )
    assert LabResult.objects.count() == 0
