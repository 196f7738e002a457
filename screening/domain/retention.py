"""A patient's data from the end: export everything stored, erase on request, and erase
what the retention period has passed.

- `patient_export`: everything stored about one patient record (and the records merged
  into it) as a JSON-ready dict; the staff view audits it as EXPORT.
- `patient_erase`: deletes the record, the records merged into it, their submissions
  with every answer, result, status change and review, their lab results, reminders,
  saved intakes and email opt-out; leaves a `PatientTombstone` per record (the opaque
  public id, when, why) and the audit trail, whose personal fields are redacted
  (`audit_events_redact`). The staff view audits it as CHANGE with the reason.
- `retention_apply`: erases every record whose last submission (or, without one, its
  creation) is more than RETENTION_DAYS old, and deletes saved intakes long expired.
  Run daily by beat (`retention_run`, screening/schedules.py) and by hand with
  `manage.py retention_apply --dry-run`. The default, 2922 days (8 years), is a common
  minimum for adult health records in England; each clinic must set RETENTION_DAYS to
  what its own law and policy require (docs/production.md).

The audit trail outlives the record on purpose: who saw and changed it stays answerable.
Its events name records by opaque ids only (public ids, references), which are kept so
the trail still leads to the tombstone; the staff username and address are the staff
member's, not the patient's, and are kept too. What an event's `detail` may hold beyond
the keys in AUDIT_DETAIL_KEPT (e.g. an SMTP error quoting the patient's address) is
removed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce

from screening.domain.selectors import submission_answers
from screening.models import (
    AuditEvent,
    EmailOptOut,
    IntakeDraft,
    LabResult,
    Patient,
    PatientTombstone,
    Reminder,
    Submission,
)

EXPORT_FORMAT = "b12-clinic-patient-export"
EXPORT_VERSION = 1

# Audit event detail keys whose values are codes, counts, opaque ids or staff usernames.
# Erasure keeps these and removes any other key; add a key here only if its values can
# never be personal data.
AUDIT_DETAIL_KEPT = frozenset(
    {
        "assignee",
        "cutoff",
        "entries",
        "filters",
        "format",
        "from_status",
        "kind",
        "lab_result_id",
        "lab_results",
        "merged_records",
        "new_patient",
        "page",
        "reason",
        "reference",
        "review_id",
        "rows",
        "screening_result_id",
        "source",
        "status",
        "submissions",
        "target",
        "to_status",
    }
)
REDACTED_KEYS = "redacted_keys"


# --- export -----------------------------------------------------------------------------


def _when(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def _patient_fields(patient: Patient) -> dict:
    return {
        "public_id": str(patient.public_id),
        "full_name": patient.full_name,
        "email": patient.email,
        "phone": patient.phone,
        "date_of_birth": _when(patient.date_of_birth),
        "contact_consent": patient.contact_consent,
        "language": patient.language,
        "created_at": _when(patient.created_at),
        "merged_into": str(patient.merged_into.public_id) if patient.merged_into_id else None,
    }


def _merged_records(patient: Patient) -> list[Patient]:
    """The records merged into `patient`, and into those, breadth first."""
    found: list[Patient] = []
    frontier = [patient.pk]
    while frontier:
        children = list(
            Patient.objects.select_related("merged_into").filter(merged_into__in=frontier)
        )
        found += children
        frontier = [child.pk for child in children]
    return found


def _submission_export(submission: Submission) -> dict:
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
        "status": submission.status,
        "level": submission.level,
        "assignee": _username(submission.assignee),
        "answers": submission_answers(submission=submission),
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
    }


def patient_export(*, patient: Patient, now: datetime.datetime) -> dict:
    """Everything stored about this patient record and the records merged into it.

    Reminders are listed without their links or error texts (metadata only); staff
    emails about the patient's submissions (escalations, digests) are not the
    patient's and are left out, as is the audit trail of staff actions."""
    records = [patient, *_merged_records(patient)]
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


# --- erasure ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erased:
    public_ids: list[str]  # the record asked for first, then the records merged into it
    submissions: int
    lab_results: int
    reminders: int
    saved_intakes: int
    audit_events_redacted: int = 0
    references: list[str] = field(default_factory=list)


def _detail_redacted(detail: dict) -> dict:
    removed = sorted(key for key in detail if key not in AUDIT_DETAIL_KEPT)
    if not removed:
        return detail
    kept = {key: value for key, value in detail.items() if key in AUDIT_DETAIL_KEPT}
    return {**kept, REDACTED_KEYS: sorted({*detail.get(REDACTED_KEYS, []), *removed})}


def audit_events_redact(*, patient_public_ids: list[str], object_ids: list[str]) -> int:
    """Remove the personal fields of the audit events about erased records: events of
    these patients, or naming one of these objects (submissions, reminders, drafts).
    Returns how many events changed.

    AuditEvent is append-only through the app (AuditEventQuerySet.update and save raise).
    This is the one deliberate exception: it rewrites `detail` only, through the plain
    QuerySet.update, one row at a time, inside the erasure's transaction."""
    events = AuditEvent.objects.filter(
        Q(patient_public_id__in=patient_public_ids) | Q(object_id__in=object_ids)
    ).values_list("pk", "detail")
    changed = 0
    for pk, detail in events:
        redacted = _detail_redacted(detail or {})
        if redacted != (detail or {}):
            models.QuerySet.update(AuditEvent.objects.filter(pk=pk), detail=redacted)
            changed += 1
    return changed


def patient_erase(*, patient: Patient, reason: str) -> Erased:
    """Erase this record and the records merged into it (one person, as a clinician
    decided when merging); leave a tombstone for each. One transaction."""
    if reason not in PatientTombstone.Reason.values:
        raise ValueError(f"Unknown erasure reason: {reason!r}")
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=patient.pk)
        records = [patient, *_merged_records(patient)]
        pks = [record.pk for record in records]
        emails = {record.email for record in records}
        submissions = Submission.objects.filter(patient__in=pks)
        references = list(
            submissions.order_by("submitted_at", "id").values_list("reference", flat=True)
        )
        submission_ids = [str(i) for i in submissions.values_list("public_id", flat=True)]
        drafts = IntakeDraft.objects.filter(email__in=emails)
        reminders = Reminder.objects.filter(
            Q(patient__in=pks) | Q(submission__patient__in=pks) | Q(draft__in=drafts)
        )
        object_ids = [
            *submission_ids,
            *references,
            *(str(i) for i in reminders.values_list("public_id", flat=True)),
            *(str(i) for i in drafts.values_list("public_id", flat=True)),
        ]
        reminder_count = reminders.count()
        reminders.delete()
        lab_count, _ = LabResult.objects.filter(patient__in=pks).delete()
        submission_count = len(submission_ids)
        submissions.delete()  # answers, results, status changes, reviews go with them
        _total, deleted = drafts.delete()
        draft_count = deleted.get(IntakeDraft._meta.label, 0)
        EmailOptOut.objects.filter(email__in=emails).delete()
        for record in reversed(records):  # a merged record before the one it points at
            record.delete()
        PatientTombstone.objects.bulk_create(
            PatientTombstone(public_id=record.public_id, reason=reason) for record in records
        )
        public_ids = [str(record.public_id) for record in records]
        redacted = audit_events_redact(patient_public_ids=public_ids, object_ids=object_ids)
    return Erased(
        public_ids=public_ids,
        submissions=submission_count,
        lab_results=lab_count,
        reminders=reminder_count,
        saved_intakes=draft_count,
        audit_events_redacted=redacted,
        references=references,
    )


def patient_erase_summary(*, patient: Patient) -> dict:
    """What `patient_erase` would remove, for the confirm page (counts only)."""
    records = [patient, *_merged_records(patient)]
    return {
        "merged_records": len(records) - 1,
        "submissions": Submission.objects.filter(patient__in=records).count(),
        "lab_results": LabResult.objects.filter(patient__in=records).count(),
        "saved_intakes": IntakeDraft.objects.filter(
            email__in={record.email for record in records}
        ).count(),
    }


# --- the retention period ------------------------------------------------------------------


def retention_cutoff(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=settings.RETENTION_DAYS)


def retention_due(*, now: datetime.datetime):
    """Records (not merged into another) whose last submission, or creation if they have
    none, is before the cutoff; oldest first."""
    return (
        Patient.objects.filter(merged_into__isnull=True)
        .annotate(last_activity=Coalesce(Max("submissions__submitted_at"), "created_at"))
        .filter(last_activity__lt=retention_cutoff(now))
        .order_by("last_activity", "pk")
    )


def drafts_due(*, now: datetime.datetime):
    """Saved intakes whose expiry passed more than REMINDER_LINK_MAX_AGE_DAYS ago: their
    resume link has expired too (and still says so until then)."""
    grace = datetime.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS)
    return IntakeDraft.objects.filter(expires_at__lt=now - grace)


@dataclass
class RetentionRun:
    cutoff: datetime.datetime
    due: list[str] = field(default_factory=list)  # public ids of the records due
    erased: list[str] = field(default_factory=list)  # public ids, merged records included
    drafts_deleted: int = 0


def _audit_retention_erase(erased: Erased, *, cutoff: datetime.datetime) -> None:
    AuditEvent.objects.create(
        actor=None,
        actor_username="",
        action=AuditEvent.Action.CHANGE,
        what="patient.erase",
        object_type="patient",
        object_id=erased.public_ids[0],
        patient_public_id=erased.public_ids[0],
        detail={
            "reason": PatientTombstone.Reason.RETENTION,
            "submissions": erased.submissions,
            "lab_results": erased.lab_results,
            "merged_records": erased.public_ids[1:],
            "cutoff": cutoff.date().isoformat(),
        },
    )


def retention_apply(
    *, now: datetime.datetime, dry_run: bool = False, limit: int | None = None
) -> RetentionRun:
    """Erase the records past the retention period (at most `limit`), each in its own
    transaction, re-checked under its lock (an intake that arrived meanwhile keeps it);
    then delete long-expired saved intakes. `dry_run` only lists what is due."""
    cutoff = retention_cutoff(now)
    due = list(retention_due(now=now).values_list("pk", "public_id")[:limit])
    run = RetentionRun(cutoff=cutoff, due=[str(public_id) for _pk, public_id in due])
    if dry_run:
        run.drafts_deleted = drafts_due(now=now).count()
        return run
    for pk, _public_id in due:
        with transaction.atomic():
            patient = Patient.objects.select_for_update().filter(pk=pk).first()
            if patient is None or not retention_due(now=now).filter(pk=pk).exists():
                continue
            erased = patient_erase(patient=patient, reason=PatientTombstone.Reason.RETENTION)
            _audit_retention_erase(erased, cutoff=cutoff)
            run.erased += erased.public_ids
    _total, deleted = drafts_due(now=now).delete()  # their reminders go with them
    run.drafts_deleted = deleted.get(IntakeDraft._meta.label, 0)
    return run
