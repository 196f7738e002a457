"""A clinician downloads everything stored about a patient, and erases the record on request.

/staff/patients/<public_id>/export.json and /staff/patients/<public_id>/erase/.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client

from screening.domain.intake import intake_submit
from screening.domain.patients import patient_merge
from screening.domain.queries.answers import submission_answers
from screening.domain.review import lab_result_add, review_record, submission_assign
from screening.models import (
    AuditEvent,
    ConditionAnswer,
    EmailOptOut,
    IntakeDraft,
    LabResult,
    MedicineAnswer,
    Patient,
    PatientTombstone,
    RedFlagAnswer,
    Reminder,
    Review,
    ScreeningResult,
    StatusChange,
    Submission,
    SymptomAnswer,
)
from tests.conftest import VALID_ANSWERS, signed_in
from tests.factories import (
    IntakeDraftFactory,
    PatientFactory,
    ReminderFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db

DETAILS = {
    "full_name": "Zebulon Quixotic",
    "email": "zebulon.quixotic@example.com",
    "phone": "07700 900123",
    "date_of_birth": datetime.date(1990, 4, 3),
    "contact_consent": True,
}
SMTP_ERROR = "550 5.1.1 <zebulon.quixotic@example.com>: no such user"


def export_url(patient) -> str:
    return f"/staff/patients/{patient.public_id}/export.json"


def erase_url(patient) -> str:
    return f"/staff/patients/{patient.public_id}/erase/"


@pytest.fixture
def record(frozen_day, clinician):
    """Zebulon's intake, reviewed (test ordered: reminders scheduled), a clinician's lab,
    a saved unfinished intake, an email opt-out, and an audit event quoting an SMTP error
    with the address."""
    submission = intake_submit(
        answers=VALID_ANSWERS, patient_details=DETAILS, idempotency_key="k1", language="en"
    )
    submission_assign(submission=submission, by=clinician)
    review_record(
        submission=submission,
        by=clinician,
        outcomes=[Review.Outcome.ORDER_B12_TEST],
        note="Ask about the diet at the next visit.",
    )
    lab_result_add(
        submission=submission,
        test="total_b12",
        value=Decimal("140"),
        unit="ng/L",
        date=datetime.date(2025, 6, 10),
        by=clinician,
    )
    draft = IntakeDraftFactory(email=DETAILS["email"], data={"about-you": {"full_name": "Z"}})
    EmailOptOut.objects.create(email=DETAILS["email"])
    reminder = Reminder.objects.filter(submission=submission).first()
    AuditEvent.objects.create(
        actor=clinician,
        actor_username="clinician",
        action=AuditEvent.Action.CHANGE,
        what="reminder.retry",
        object_type="reminder",
        object_id=str(reminder.public_id),
        patient_public_id=submission.patient.public_id,
        detail={"kind": reminder.kind, "previous_error": SMTP_ERROR},
    )
    submission.refresh_from_db()
    return {"submission": submission, "patient": submission.patient, "draft": draft}


@pytest.fixture
def other_patient(frozen_day):
    """Someone else, who must be untouched."""
    return ReminderFactory(submission=SubmissionFactory()).submission.patient


# --- export ---------------------------------------------------------------------------------


def test_export_downloads_everything_stored(clinician_client, record):
    patient, submission = record["patient"], record["submission"]

    response = clinician_client.get(export_url(patient))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="patient-{patient.public_id}.json"'
    )
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert list(data) == [
        "format",
        "version",
        "exported_at",
        "patient",
        "merged_records",
        "submissions",
        "lab_results",
        "reminders",
        "saved_intakes",
        "email_opt_outs",
    ]
    assert data["format"] == "b12-clinic-patient-export"
    assert data["patient"] == {
        "public_id": str(patient.public_id),
        "full_name": "Zebulon Quixotic",
        "email": "zebulon.quixotic@example.com",
        "phone": "07700 900123",
        "date_of_birth": "1990-04-03",
        "contact_consent": True,
        "language": "en",
        "created_at": patient.created_at.isoformat(),
        "merged_into": None,
    }
    (exported,) = data["submissions"]
    assert exported["reference"] == submission.reference
    assert exported["answers"] == submission_answers(submission=submission)
    assert exported["answers"]["medicines"] == ["metformin", "proton_pump_inhibitor"]
    assert [r["trigger"] for r in exported["results"]] == [
        r.trigger for r in ScreeningResult.objects.filter(submission=submission)
    ]
    assert exported["reviews"] == [
        {
            "created_at": Review.objects.get().created_at.isoformat(),
            "clinician": "clinician",
            "outcomes": ["order_b12_test"],
            "note": "Ask about the diet at the next visit.",
        }
    ]
    assert [(c["from_status"], c["to_status"]) for c in exported["status_changes"]] == list(
        StatusChange.objects.order_by("changed_at", "id").values_list("from_status", "to_status")
    )
    assert sorted((lab["value"], lab["source"]) for lab in data["lab_results"]) == [
        ("12.500", "patient"),
        ("140.000", "clinician"),
        ("250.000", "patient"),
    ]
    assert {r["kind"] for r in data["reminders"]} == {"follow_up", "blood_test"}
    assert data["saved_intakes"][0]["data"] == {"about-you": {"full_name": "Z"}}
    assert [o["email"] for o in data["email_opt_outs"]] == ["zebulon.quixotic@example.com"]


def test_export_lists_reminders_without_links_or_errors(clinician_client, record):
    data = clinician_client.get(export_url(record["patient"])).json()

    assert set(data["reminders"][0]) == {
        "kind",
        "status",
        "submission",
        "due_at",
        "sent_at",
        "link_used_at",
        "cancelled_reason",
        "attempts",
        "created_at",
    }


def test_export_includes_records_merged_into_this_one(clinician_client, record):
    old = PatientFactory(full_name="Zeb Quixotic", email="zq@example.org")
    SubmissionFactory(patient=old)
    patient_merge(source=old, target=record["patient"], by=_merger())

    data = clinician_client.get(export_url(record["patient"])).json()

    assert [m["email"] for m in data["merged_records"]] == ["zq@example.org"]
    assert data["merged_records"][0]["merged_into"] == str(record["patient"].public_id)
    assert len(data["submissions"]) == 2


def _merger():
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("merger")
    user.user_permissions.add(Permission.objects.get(codename="merge_patients"))
    return User.objects.get(pk=user.pk)


def test_export_is_audited(clinician_client, record):
    patient = record["patient"]
    before = AuditEvent.objects.count()

    clinician_client.get(export_url(patient))

    events = list(AuditEvent.objects.order_by("id")[before:].values_list("action", "what"))
    assert events == [("view", "patient.export"), ("export", "patient.export")]
    export = AuditEvent.objects.get(action="export", what="patient.export")
    assert (export.object_id, export.patient_public_id) == (
        str(patient.public_id),
        patient.public_id,
    )
    assert export.actor_username == "clinician"
    assert export.detail == {
        "format": "b12-clinic-patient-export",
        "submissions": 1,
        "lab_results": 3,
    }


def test_export_is_refused_without_clinical_access(receptionist_client, outsider_client, record):
    url = export_url(record["patient"])
    assert receptionist_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert not AuditEvent.objects.filter(action="export").exists()


def test_export_of_an_unknown_record_is_404(clinician_client, db):
    response = clinician_client.get(
        "/staff/patients/00000000-0000-4000-8000-000000000000/export.json"
    )
    assert response.status_code == 404


# --- erase: the confirm page -----------------------------------------------------------------


def test_erase_page_says_what_goes_and_changes_nothing(clinician_client, record):
    response = clinician_client.get(erase_url(record["patient"]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Erase Zebulon Quixotic's record" in page
    assert "1 submission(s) with every answer" in page
    assert "3 lab result(s)" in page
    assert "1 saved unfinished intake(s)" in page
    assert 'name="confirmation"' in page
    assert Patient.objects.count() == 1
    assert AuditEvent.objects.filter(what="patient.erase", action="view").count() == 1


@pytest.mark.parametrize("typed", ["", "erase", "ERASE IT", "yes"])
def test_erase_needs_the_word_typed(clinician_client, record, typed):
    response = clinician_client.post(
        erase_url(record["patient"]), {"reason": "patient_request", "confirmation": typed}
    )

    assert response.status_code == 200
    assert "to confirm" in response.content.decode()
    assert Patient.objects.count() == 1
    assert not AuditEvent.objects.filter(what="patient.erase", action="change").exists()


def test_erase_needs_a_reason(clinician_client, record):
    response = clinician_client.post(erase_url(record["patient"]), {"confirmation": "ERASE"})

    assert "Choose why the record is being erased." in response.content.decode()
    assert Patient.objects.count() == 1


def test_erase_is_refused_without_clinical_access(receptionist_client, record):
    response = receptionist_client.post(
        erase_url(record["patient"]), {"reason": "patient_request", "confirmation": "ERASE"}
    )
    assert response.status_code == 403
    assert Patient.objects.count() == 1


def test_erase_answers_get_and_post_only(clinician_client, record):
    assert clinician_client.put(erase_url(record["patient"])).status_code == 405
    assert Patient.objects.count() == 1


# --- erase: what goes and what stays -----------------------------------------------------------


def _erase(client, patient, reason="patient_request"):
    return client.post(erase_url(patient), {"reason": reason, "confirmation": "ERASE"})


def test_erase_removes_personal_data_and_answers(clinician_client, record, other_patient):
    patient = record["patient"]

    response = _erase(clinician_client, patient)

    assert (response.status_code, response["Location"]) == (302, "/staff/")
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert Patient.objects.get() == other_patient
    for model in (
        Submission,
        SymptomAnswer,
        RedFlagAnswer,
        MedicineAnswer,
        ConditionAnswer,
        ScreeningResult,
        Review,
        StatusChange,
        LabResult,
        Reminder,
    ):
        assert model.objects.exclude(**_owned_by(model, other_patient)).count() == 0, model
    assert IntakeDraft.objects.count() == 0
    assert EmailOptOut.objects.count() == 0
    assert Reminder.objects.count() == 1  # the other patient's


def _owned_by(model, patient) -> dict:
    return {"patient": patient} if model is Submission else {"submission__patient": patient}


def test_erase_keeps_a_tombstone_and_the_audit_trail(clinician_client, record):
    patient = record["patient"]
    trail = list(AuditEvent.objects.filter(patient_public_id=patient.public_id).values_list("pk"))

    _erase(clinician_client, patient)

    tombstone = PatientTombstone.objects.get()
    assert (tombstone.public_id, tombstone.reason) == (patient.public_id, "patient_request")
    assert tombstone.erased_at == datetime.datetime(2025, 6, 15, 11, 0, tzinfo=datetime.UTC)
    kept = AuditEvent.objects.filter(patient_public_id=patient.public_id)
    assert set(kept.values_list("pk")) >= set(trail)
    erase = kept.get(action="change", what="patient.erase")
    assert erase.actor_username == "clinician"
    assert erase.object_id == str(patient.public_id)
    assert erase.detail == {
        "reason": "patient_request",
        "submissions": 1,
        "lab_results": 3,
        "merged_records": [],
    }


def test_erase_redacts_personal_fields_of_the_audit_trail(clinician_client, record):
    patient = record["patient"]

    _erase(clinician_client, patient)

    retry = AuditEvent.objects.get(what="reminder.retry")
    assert retry.detail == {"kind": "follow_up", "redacted_keys": ["previous_error"]}
    assert (retry.actor_username, retry.patient_public_id) == ("clinician", patient.public_id)
    everything = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "zebulon" not in everything.lower()
    assert "Quixotic" not in everything


def test_audit_trail_stays_append_only_after_an_erasure(clinician_client, record):
    _erase(clinician_client, record["patient"])
    event = AuditEvent.objects.first()

    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(detail={})
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_erased_record_is_gone_for_staff(clinician_client, record):
    patient, submission = record["patient"], record["submission"]
    _erase(clinician_client, patient)

    assert clinician_client.get(f"/staff/submissions/{submission.public_id}/").status_code == 404
    assert clinician_client.get(export_url(patient)).status_code == 404
    assert clinician_client.get(erase_url(patient)).status_code == 404
    assert "Zebulon" not in clinician_client.get("/staff/").content.decode()


def test_erased_record_page_says_when_and_why(clinician_client, record):
    """An old link to the record (a bookmark, the audit trail) says it was erased,
    instead of a bare 404; nothing of the patient is left to show."""
    patient = record["patient"]
    _erase(clinician_client, patient)
    events_before = AuditEvent.objects.count()

    response = clinician_client.get(f"/staff/patients/{patient.public_id}/")

    page = response.content.decode()
    assert response.status_code == 410
    assert "This patient record was erased" in page
    assert str(patient.public_id) in page
    assert "The patient asked for their record to be erased" in page
    assert "Zebulon" not in page and "quixotic" not in page.lower()
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == events_before + 1
    assert (event.action, event.object_id, event.detail) == (
        AuditEvent.Action.VIEW,
        str(patient.public_id),
        {"erased": True},
    )


def test_erased_record_stays_hidden_without_clinical_access(
    clinician_client, receptionist_client, record
):
    """A receptionist cannot learn that a public id existed: refused as for any record."""
    patient = record["patient"]
    _erase(clinician_client, patient)

    response = receptionist_client.get(f"/staff/patients/{patient.public_id}/")

    assert response.status_code == 403
    assert "erased" not in response.content.decode().lower()


def test_erase_takes_the_records_merged_into_it(clinician_client, record):
    old = PatientFactory(full_name="Zeb Quixotic", email="zq@example.org")
    SubmissionFactory(patient=old)
    patient_merge(source=old, target=record["patient"], by=_merger())

    response = _erase(clinician_client, record["patient"], reason="entered_in_error")

    assert response.status_code == 302
    assert Patient.objects.count() == 0
    assert set(PatientTombstone.objects.values_list("public_id", "reason")) == {
        (record["patient"].public_id, "entered_in_error"),
        (old.public_id, "entered_in_error"),
    }
    erase = AuditEvent.objects.get(action="change", what="patient.erase")
    assert erase.detail["merged_records"] == [str(old.public_id)]
    assert erase.detail["submissions"] == 2


def test_the_same_person_can_start_again_after_erasure(clinician_client, record, frozen_day):
    _erase(clinician_client, record["patient"])

    again = intake_submit(
        answers=VALID_ANSWERS, patient_details=DETAILS, idempotency_key="k2", language="en"
    )

    assert again.patient.public_id != record["patient"].public_id
    assert Patient.objects.count() == 1


def test_patient_page_links_to_export_and_erase(clinician_client, record):
    page = clinician_client.get(f"/staff/patients/{record['patient'].public_id}/").content.decode()
    assert f'href="{export_url(record["patient"])}"' in page
    assert f'href="{erase_url(record["patient"])}"' in page


def test_erase_from_a_verified_session_only(record, clinician):
    """The password alone (no second factor) is sent to sign in, and nothing is erased."""
    client = Client()
    client.force_login(clinician)
    response = _erase(client, record["patient"])
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/account/login/")
    assert Patient.objects.count() == 1
    assert signed_in(Client(), clinician).get(erase_url(record["patient"])).status_code == 200
