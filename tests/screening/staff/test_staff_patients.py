"""Patient records: the patient page, merge (two records, one person) and split (one
record, two people). Clinician-only, confirmed, audited."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client

from screening.domain.intake import intake_submit
from screening.domain.patients import PatientChangeNotAllowed, patient_merge, patient_split
from screening.models import AuditEvent, LabResult, Patient, Submission
from tests.conftest import _staff_user, signed_in
from tests.factories import LabResultFactory, PatientFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

DOB = datetime.date(1970, 3, 4)


def patient_url(patient, action: str = "") -> str:
    return f"/staff/patients/{patient.public_id}/" + (f"{action}/" if action else "")


@pytest.fixture
def pair():
    """One person with two records: an old email and a new one."""
    source = PatientFactory(full_name="Mary Jones", email="mary@old.example", date_of_birth=DOB)
    target = PatientFactory(full_name="Mary Jones", email="mary@new.example", date_of_birth=DOB)
    source_submission = SubmissionFactory(patient=source)
    lab = LabResultFactory(submission=source_submission)
    loose_lab = LabResultFactory(submission=None, patient=source)
    target_submission = SubmissionFactory(patient=target)
    return source, target, source_submission, lab, loose_lab, target_submission


def _change_events(what: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, what=what))


# --- patient page -----------------------------------------------------------------


def test_patient_page_lists_submissions_and_is_audited(clinician_client, clinician, pair):
    source, _target, source_submission, *_ = pair

    response = clinician_client.get(patient_url(source))

    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="/staff/submissions/{source_submission.public_id}/"' in page
    assert "mary@old.example" in page
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.what, event.object_type, event.object_id) == (
        clinician,
        AuditEvent.Action.VIEW,
        "patient.detail",
        "patient",
        str(source.public_id),
    )
    assert event.patient_public_id == source.public_id


@pytest.mark.parametrize("action", ["", "merge", "split"])
def test_patient_pages_forbidden_to_receptionist(receptionist_client, pair, action):
    source, *_ = pair

    assert receptionist_client.get(patient_url(source, action)).status_code == 403
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("action", ["merge", "split"])
def test_merge_and_split_need_the_merge_permission(pair, action):
    """A reviewer without merge_patients may see the record but not merge or split it."""
    reviewer = _staff_user("reviewer", None)
    reviewer.user_permissions.add(
        Permission.objects.get(codename="review_submission"),
        Permission.objects.get(codename="view_queue"),
    )
    client = signed_in(Client(), reviewer)
    source, *_ = pair

    assert client.get(patient_url(source)).status_code == 200
    assert client.get(patient_url(source, action)).status_code == 403
    assert client.post(patient_url(source, action), {"confirm": "yes"}).status_code == 403


@pytest.mark.parametrize("action", ["", "merge", "split"])
def test_patient_pages_send_anonymous_to_login(client, pair, action):
    source, *_ = pair

    response = client.get(patient_url(source, action))

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/account/login/")


# --- merge --------------------------------------------------------------------------


def test_merge_page_suggests_likely_records_only(clinician_client, pair):
    source, target, *_ = pair
    same_name = PatientFactory(full_name="MARY JONES", date_of_birth=datetime.date(1990, 1, 1))
    stranger = PatientFactory(full_name="Someone Else", date_of_birth=datetime.date(1991, 1, 1))
    merged = PatientFactory(full_name="Mary Jones", merged_into=target)

    form = clinician_client.get(patient_url(source, "merge")).context["form"]

    offered = [value for value, _label in form.fields["candidate"].choices]
    assert offered == [str(target.public_id), str(same_name.public_id)]
    assert str(stranger.public_id) not in offered
    assert str(merged.public_id) not in offered


def test_merge_asks_for_confirmation_before_changing_anything(clinician_client, pair):
    source, target, source_submission, *_ = pair

    response = clinician_client.post(
        patient_url(source, "merge"), {"candidate": str(target.public_id)}
    )

    assert response.status_code == 200
    assert "Confirm the merge" in response.content.decode()
    assert f'value="{target.public_id}"' in response.content.decode()
    source_submission.refresh_from_db()
    assert source_submission.patient == source
    assert _change_events("patient.merge") == []


def test_merge_moves_submissions_and_labs_and_marks_the_source(clinician_client, pair):
    source, target, source_submission, lab, loose_lab, target_submission = pair

    response = clinician_client.post(
        patient_url(source, "merge"), {"target": str(target.public_id), "confirm": "yes"}
    )

    assert response.status_code == 302
    assert response["Location"] == patient_url(target)
    assert set(Submission.objects.filter(patient=target)) == {source_submission, target_submission}
    assert set(LabResult.objects.filter(patient=target)) == {lab, loose_lab}
    assert not Submission.objects.filter(patient=source).exists()
    source.refresh_from_db()
    assert source.merged_into == target
    target.refresh_from_db()
    assert target.merged_into is None


def test_merge_is_audited_with_both_public_ids(clinician_client, clinician, pair):
    source, target, source_submission, *_ = pair

    clinician_client.post(
        patient_url(source, "merge"), {"target": str(target.public_id), "confirm": "yes"}
    )

    [event] = _change_events("patient.merge")
    assert (event.actor, event.object_type, event.object_id, event.patient_public_id) == (
        clinician,
        "patient",
        str(source.public_id),
        source.public_id,
    )
    assert event.detail == {
        "source": str(source.public_id),
        "target": str(target.public_id),
        "submissions": [source_submission.reference],
        "lab_results": 2,
    }


def test_merge_by_a_submission_reference(clinician_client, pair):
    source, target, _s, _l, _ll, target_submission = pair

    response = clinician_client.post(
        patient_url(source, "merge"), {"reference": target_submission.reference.lower()}
    )

    assert response.context["target"] == target


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose one record, or give one reference (not both)."),
        ({"candidate": "{target}", "reference": "{target_ref}"}, "not both"),
        ({"reference": "B12-XXXX-XXXX"}, "No submission has this reference."),
        ({"reference": "{source_ref}"}, "That is this record: choose the other one."),
        ({"candidate": "{stranger}"}, "Select a valid choice."),
    ],
)
def test_merge_choice_errors(clinician_client, pair, data, message):
    source, target, source_submission, _l, _ll, target_submission = pair
    stranger = PatientFactory(date_of_birth=datetime.date(2000, 1, 1))
    values = {
        "target": target.public_id,
        "target_ref": target_submission.reference,
        "source_ref": source_submission.reference,
        "stranger": stranger.public_id,
    }
    data = {key: value.format(**values) for key, value in data.items()}

    response = clinician_client.post(patient_url(source, "merge"), data)

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert "Confirm the merge" not in response.content.decode()


def test_merge_into_a_merged_record_is_refused(clinician_client, pair):
    source, target, source_submission, *_ = pair
    elsewhere = PatientFactory()
    target.merged_into = elsewhere
    target.save()

    response = clinician_client.post(
        patient_url(source, "merge"),
        {"target": str(target.public_id), "confirm": "yes"},
        follow=True,
    )

    assert "already been merged" in response.content.decode()
    source_submission.refresh_from_db()
    assert source_submission.patient == source
    assert _change_events("patient.merge") == []


def test_later_intake_with_the_old_details_goes_to_the_merged_record(
    answers, patient_details, clinician
):
    first = intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key="a", language="en"
    )
    source = first.patient
    target = PatientFactory(email="new@example.com", date_of_birth=source.date_of_birth)
    patient_merge(source=source, target=target, by=clinician)

    later = intake_submit(
        answers=answers,
        patient_details={**patient_details, "contact_consent": False, "phone": "0700"},
        idempotency_key="b",
        language="en",
    )

    # Filed on the record it was merged into, which it does not change: a possible match
    # (docs/security.md, "Patient identity").
    assert later.patient == target
    assert later.identity_status == "possible_match"
    target.refresh_from_db()
    assert (target.contact_consent, target.phone, target.email) == (
        True,
        "",
        "new@example.com",
    )


def test_merge_service_refuses_without_permission_or_into_itself(receptionist, clinician):
    patient = PatientFactory()

    with pytest.raises(PermissionDenied):
        patient_merge(source=patient, target=PatientFactory(), by=receptionist)
    with pytest.raises(PatientChangeNotAllowed, match="into itself"):
        patient_merge(source=patient, target=patient, by=clinician)
    assert not Patient.objects.filter(merged_into__isnull=False).exists()


# --- split --------------------------------------------------------------------------


@pytest.fixture
def shared():
    """Two people on one record: three submissions, the last one is someone else's."""
    patient = PatientFactory(
        full_name="Sam Lee", email="family@example.com", date_of_birth=DOB, contact_consent=True
    )
    mine = [SubmissionFactory(patient=patient) for _ in range(2)]
    theirs = SubmissionFactory(patient=patient)
    their_lab = LabResultFactory(submission=theirs)
    my_lab = LabResultFactory(submission=mine[0])
    return patient, mine, theirs, their_lab, my_lab


def _split_data(theirs, **changes) -> dict:
    data = {
        "submissions": [str(theirs.public_id)],
        "full_name": "Alex Lee",
        "email": "Family@Example.com",
        "phone": "0161 2",
        "date_of_birth": "2001-09-30",
    }
    return {**data, **changes}


def test_split_form_starts_with_this_records_details(clinician_client, shared):
    patient, *_ = shared

    form = clinician_client.get(patient_url(patient, "split")).context["form"]

    assert form["email"].value() == "family@example.com"
    assert form["date_of_birth"].value() == DOB
    assert len(form.fields["submissions"].choices) == 3


def test_split_asks_for_confirmation_first(clinician_client, shared):
    patient, _mine, theirs, *_ = shared

    response = clinician_client.post(patient_url(patient, "split"), _split_data(theirs))

    assert "Confirm the split" in response.content.decode()
    assert Patient.objects.count() == 1
    assert _change_events("patient.split") == []


def test_split_moves_chosen_submissions_and_their_labs(clinician_client, shared):
    patient, mine, theirs, their_lab, my_lab = shared

    response = clinician_client.post(
        patient_url(patient, "split"), {**_split_data(theirs), "confirm": "yes"}
    )

    new = Patient.objects.exclude(pk=patient.pk).get()
    assert response["Location"] == patient_url(new)
    assert (new.full_name, new.email, new.phone, new.date_of_birth, new.contact_consent) == (
        "Alex Lee",
        "family@example.com",
        "0161 2",
        datetime.date(2001, 9, 30),
        True,
    )
    assert list(Submission.objects.filter(patient=new)) == [theirs]
    assert set(Submission.objects.filter(patient=patient)) == set(mine)
    their_lab.refresh_from_db()
    my_lab.refresh_from_db()
    assert (their_lab.patient, my_lab.patient) == (new, patient)


def test_split_is_audited(clinician_client, clinician, shared):
    patient, _mine, theirs, *_ = shared

    clinician_client.post(patient_url(patient, "split"), {**_split_data(theirs), "confirm": "yes"})

    new = Patient.objects.exclude(pk=patient.pk).get()
    [event] = _change_events("patient.split")
    assert (event.actor, event.object_id, event.patient_public_id) == (
        clinician,
        str(patient.public_id),
        patient.public_id,
    )
    assert event.detail == {
        "source": str(patient.public_id),
        "new_patient": str(new.public_id),
        "submissions": [theirs.reference],
        "possible_matches": [],
        "lab_results": 1,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"submissions": []}, "Choose the submissions to move."),
        ({"submissions": "all"}, "At least one submission must stay on this record."),
        ({"date_of_birth": DOB.isoformat()}, "A record with this email and date of birth exists"),
        ({"date_of_birth": "2999-01-01"}, "The date of birth cannot be in the future."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"full_name": ""}, "This field is required."),
    ],
)
def test_split_errors_change_nothing(clinician_client, shared, changes, message):
    patient, mine, theirs, *_ = shared
    if changes.get("submissions") == "all":
        changes["submissions"] = [str(s.public_id) for s in [*mine, theirs]]

    response = clinician_client.post(
        patient_url(patient, "split"), {**_split_data(theirs, **changes), "confirm": "yes"}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Patient.objects.count() == 1
    assert Submission.objects.filter(patient=patient).count() == 3
    assert _change_events("patient.split") == []


def test_split_to_another_existing_record_is_refused(clinician_client, shared):
    patient, _mine, theirs, *_ = shared
    PatientFactory(email="alex@example.com", date_of_birth=datetime.date(2001, 9, 30))

    response = clinician_client.post(
        patient_url(patient, "split"),
        {**_split_data(theirs, email="alex@example.com"), "confirm": "yes"},
    )

    assert "merge into that record" in response.content.decode()
    assert Submission.objects.filter(patient=patient).count() == 3


def test_split_service_refuses_submissions_of_another_patient(clinician, shared):
    patient, *_ = shared
    other = SubmissionFactory()

    with pytest.raises(PatientChangeNotAllowed, match="Choose one or more"):
        patient_split(
            patient=patient,
            submissions=[other],
            by=clinician,
            details={
                "full_name": "X",
                "email": "x@example.com",
                "phone": "",
                "date_of_birth": DOB,
            },
        )
    assert other.patient != patient
    assert Patient.objects.filter(email="x@example.com").count() == 0
