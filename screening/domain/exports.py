"""Everything stored about one patient, for the patient: the right of access.

`patient_export` gathers the record (and the records merged into it) as a JSON-ready dict
and writes its audit event (EXPORT "patient.export") in the same transaction: no export
leaves without its event. Erasure and the retention period are in
`screening.domain.retention`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from screening.domain.audit import audit_record
from screening.domain.patients import merged_records
from screening.domain.queries.answers import submission_answers
from screening.domain.text import free_text_of
from screening.models import (
    AuditEvent,
    EmailOptOut,
    IntakeDraft,
    LabResult,
    Patient,
    Reminder,
    Submission,
)

EXPORT_FORMAT = "b12-clinic-patient-export"
EXPORT_VERSION = 1


def _when(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _patient_fields(patient: Patient) -> dict[str, Any]:
    return {
        "public_id": str(patient.public_id),
        "full_name": patient.full_name,
        "email": patient.email,
        "phone": patient.phone,
        "date_of_birth": _when(patient.date_of_birth),
        "contact_consent": patient.contact_consent,
        "language": patient.language,
        "created_at": _when(patient.created_at),
        "merged_into": str(patient.merged_into.public_id) if patient.merged_into else None,
    }


def _submission_export(submission: Submission) -> dict[str, Any]:
    return {
        "reference": submission.reference,
        "public_id": str(submission.public_id),
        "kind": submission.kind,
        "follow_up_of": submission.follow_up_of.reference if submission.follow_up_of else None,
        "questionnaire_version": submission.questionnaire_version,
        "language": submission.language,
        "submitted_at": _when(submission.submitted_at),
        "completed_at": _when(submission.completed_at),
        "is_complete": submission.is_complete,
        "care_consent": (
            {"version": submission.care_consent_version, "at": _when(submission.care_consent_at)}
            if submission.care_consent_at
            else None
        ),
        "status": submission.status,
        "level": submission.level,
        "assignee": _username(submission.assignee),
        # Who the intake said the patient was, and whether a clinician has confirmed it is
        # this record's (docs/security.md, "Patient identity").
        "identity_status": submission.identity_status,
        "given_details": {
            "full_name": submission.given_full_name,
            "email": submission.given_email,
            "phone": submission.given_phone,
            "contact_consent": submission.given_contact_consent,
        },
        "answers": submission_answers(submission=submission),
        # The patient's own words ("" when not given): stored with the answers, not among them.
        "free_text": free_text_of(submission),
        "results": [
            {
                "created_at": _when(result.created_at),
                "trigger": result.trigger,
                "rules_version": result.rules_version,
                "level": result.level,
                "possible_b12_deficiency": result.possible_b12_deficiency,
                "b12_status": result.b12_status,
                "red_flags": result.red_flags,
                "reasons": result.reasons,
                "suggested_actions": result.suggested_actions,
            }
            for result in submission.results.all()
        ],
        "status_changes": [
            {
                "changed_at": _when(change.changed_at),
                "from_status": change.from_status,
                "to_status": change.to_status,
                "changed_by": _username(change.changed_by),
            }
            for change in submission.status_changes.select_related("changed_by")
        ],
        "reviews": [
            {
                "created_at": _when(review.created_at),
                "clinician": _username(review.clinician),
                "outcomes": review.outcomes,
                "note": review.note,
            }
            for review in submission.reviews.select_related("clinician")
        ],
        "messages": [
            {
                "public_id": str(message.public_id),
                "created_at": _when(message.created_at),
                "sent_by": _username(message.sent_by),
                "template": message.template_name,
                "language": message.language,
                "body": message.body,
                "opened_at": _when(message.opened_at),
                "read_at": _when(message.read_at),
                "locked_at": _when(message.locked_at),
                "reply": message.reply,
                "replied_at": _when(message.replied_at),
            }
            for message in submission.patient_messages.select_related("sent_by")
        ],
    }


def patient_export(
    *, patient: Patient, now: datetime.datetime, by: User, address: str | None = None
) -> dict[str, Any]:
    """Everything stored about this patient record and the records merged into it, for
    the staff member `by`; audited as EXPORT in the same transaction.

    Reminders are listed without their links or error texts (metadata only); staff
    emails about the patient's submissions (escalations, digests) are not the
    patient's and are left out, as is the audit trail of staff actions."""
    with transaction.atomic():
        record = _patient_record(patient, now=now)
        audit_record(
            by=by,
            address=address,
            action=AuditEvent.Action.EXPORT,
            what="patient.export",
            object_type="patient",
            object_id=str(patient.public_id),
            patient=patient,
            detail={
                "format": EXPORT_FORMAT,
                "submissions": len(record["submissions"]),
                "lab_results": len(record["lab_results"]),
            },
        )
    return record


def _patient_record(patient: Patient, *, now: datetime.datetime) -> dict[str, Any]:
    records = [patient, *merged_records(patient)]
    emails = sorted({record.email for record in records})
    submissions = (
        Submission.objects.filter(patient__in=records)
        .select_related("follow_up_of", "assignee")
        .order_by("submitted_at", "id")
    )
    labs = (
        LabResult.objects.filter(patient__in=records)
        .select_related("submission", "entered_by")
        .order_by("date", "id")
    )
    reminders = (
        Reminder.objects.filter(Q(patient__in=records) | Q(submission__patient__in=records))
        .filter(staff_user__isnull=True)
        .select_related("submission")
        .order_by("created_at", "id")
    )
    drafts = IntakeDraft.objects.filter(email__in=emails).order_by("created_at", "id")
    opt_outs = EmailOptOut.objects.filter(email__in=emails).order_by("created_at")
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _when(now),
        "patient": _patient_fields(patient),
        "merged_records": [_patient_fields(record) for record in records[1:]],
        "submissions": [_submission_export(submission) for submission in submissions],
        "lab_results": [
            {
                "test": lab.test,
                "value": str(lab.value),
                "unit": lab.unit,
                "date": _when(lab.date),
                "source": lab.source,
                "submission": lab.submission.reference if lab.submission else None,
                "entered_by": _username(lab.entered_by),
                "created_at": _when(lab.created_at),
            }
            for lab in labs
        ],
        "reminders": [
            {
                "kind": reminder.kind,
                "status": reminder.status,
                "submission": reminder.submission.reference if reminder.submission else None,
                "due_at": _when(reminder.due_at),
                "sent_at": _when(reminder.sent_at),
                "link_used_at": _when(reminder.link_used_at),
                "cancelled_reason": reminder.cancelled_reason,
                "attempts": reminder.attempts,
                "created_at": _when(reminder.created_at),
            }
            for reminder in reminders
        ],
        "saved_intakes": [
            {
                "public_id": str(draft.public_id),
                "email": draft.email,
                "data": draft.data,
                "created_at": _when(draft.created_at),
                "updated_at": _when(draft.updated_at),
                "expires_at": _when(draft.expires_at),
                "submitted_at": _when(draft.submitted_at),
            }
            for draft in drafts
        ],
        "email_opt_outs": [
            {"email": opt_out.email, "created_at": _when(opt_out.created_at)}
            for opt_out in opt_outs
        ],
    }
