"""The one way a staff view gets one patient's record: one helper per object type.

Each helper answers 404 for anyone who may not see the record (no clinical permission,
or no such record), so a receptionist cannot even learn that a public id exists, and
writes the audit event (VIEW, named by `what`) for everyone who may. Views never look a
patient's record up themselves.

A POST goes through the same helper, so it writes a VIEW event (the record was opened
for that action) and, if the change succeeds, the service writes a CHANGE event as well.

The audit trail records the staff member and the address the request came from
(`screening.web.addresses.client_ip`); the domain's services take both as plain values
(`by`, `address`).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest

from screening.domain.audit import audit_record
from screening.models import AuditEvent, Patient, PatientTombstone, Submission
from screening.web.addresses import client_ip

CLINICAL_PERMISSION = "screening.review_submission"


class StaffRequest(HttpRequest):
    """A request `permissions.staff_view` let through: its user is a signed-in staff
    member, never anonymous (the type the staff views annotate, so services get a User)."""

    user: User


class PatientErased(Http404):
    """The record was erased: a 404 wherever it is not caught, so a view that does not
    expect it shows nothing more; the patient page shows when and why (its tombstone)."""

    def __init__(self, tombstone: PatientTombstone):
        super().__init__("This patient record was erased.")
        self.tombstone = tombstone


def _may_see_records(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.has_perm(CLINICAL_PERMISSION)


def submission_for_staff(
    request: HttpRequest, public_id: uuid.UUID, *, what: str = "submission.detail"
) -> Submission:
    """The submission with this public id, with its patient and assignee; audited."""
    if not _may_see_records(request):
        raise Http404
    submission = (
        Submission.objects.select_related("patient", "assignee").filter(public_id=public_id).first()
    )
    if submission is None:
        raise Http404
    audit_record(
        by=request.user,
        address=client_ip(request),
        action=AuditEvent.Action.VIEW,
        what=what,
        object_type="submission",
        object_id=str(submission.public_id),
        patient=submission.patient,
    )
    return submission


def patient_for_staff(
    request: HttpRequest, public_id: uuid.UUID, *, what: str = "patient.detail"
) -> Patient:
    """The patient with this public id (also one merged into another record); audited.

    An erased record raises `PatientErased` (a 404) for those who may see records."""
    if not _may_see_records(request):
        raise Http404
    patient = Patient.objects.select_related("merged_into").filter(public_id=public_id).first()
    if patient is None:
        tombstone = PatientTombstone.objects.filter(public_id=public_id).first()
        if tombstone is not None:
            audit_record(
                by=request.user,
                address=client_ip(request),
                action=AuditEvent.Action.VIEW,
                what=what,
                object_type="patient",
                object_id=str(public_id),
                detail={"erased": True},
            )
            raise PatientErased(tombstone)
        raise Http404
    audit_record(
        by=request.user,
        address=client_ip(request),
        action=AuditEvent.Action.VIEW,
        what=what,
        object_type="patient",
        object_id=str(patient.public_id),
        patient=patient,
    )
    return patient
