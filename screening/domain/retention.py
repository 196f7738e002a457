"""A patient's data from the end: erase on request, and erase what the retention period
has passed.

- `patient_erase`: deletes the record, the records merged into it, their submissions
  with every answer, result, status change and review, their lab results, reminders,
  saved intakes, email opt-out and the sessions that mention them (an intake or
  follow-up in progress, `screening.domain.sessions`); leaves a `PatientTombstone` per
  record (the opaque public id, when, why) and the audit trail, whose personal fields are
  redacted (`audit_events_redact`). It writes its audit event (CHANGE, with the reason)
  in the same transaction.
- `retention_apply`: erases every record whose last submission (or, without one, its
  creation) is more than RETENTION_DAYS old, and deletes saved intakes long expired.
  Run daily by beat (`retention_run`, screening/schedules.py) and by hand with
  `manage.py retention_apply --dry-run`. The default, 2922 days (8 years), is a common
  minimum for adult health records in England; each clinic must set RETENTION_DAYS to
  what its own law and policy require (docs/production.md). It leaves sessions alone:
  they live hours (their own clearing, `sessions_clear`), and one naming the email of a
  record years old is that person's new visit, not the old record.

The export of everything stored about a patient is in `screening.domain.exports`.

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
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce

from screening.domain.audit import audit_record
from screening.domain.patients import merged_records
from screening.domain.sessions import sessions_mentioning_delete
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


# --- erasure ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erased:
    public_ids: list[str]  # the record asked for first, then the records merged into it
    submissions: int
    lab_results: int
    reminders: int
    saved_intakes: int
    audit_events_redacted: int = 0
    sessions: int = 0
    references: list[str] = field(default_factory=list)


def _detail_redacted(detail: dict[str, Any]) -> dict[str, Any]:
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


def patient_erase(*, patient: Patient, reason: str, by: User, address: str | None = None) -> Erased:
    """Erase this record and the records merged into it (one person, as a clinician
    decided when merging); leave a tombstone for each. One transaction, with the audit
    event of the staff member `by` (CHANGE "patient.erase", after the trail is redacted)."""
    with transaction.atomic():
        erased = _erase(patient, reason=reason, sessions=True)
        audit_record(
            by=by,
            address=address,
            action=AuditEvent.Action.CHANGE,
            what="patient.erase",
            object_type="patient",
            object_id=str(patient.public_id),
            patient=patient,
            detail={
                "reason": reason,
                "submissions": erased.submissions,
                "lab_results": erased.lab_results,
                "merged_records": erased.public_ids[1:],
            },
        )
    return erased


def _erase(patient: Patient, *, reason: str, sessions: bool = False) -> Erased:
    """The erasure itself, inside the caller's transaction (`patient_erase` for a staff
    member, `retention_apply` for the retention period), which writes the audit event.
    `sessions`: also delete the sessions that mention the records (erasure on request)."""
    if reason not in PatientTombstone.Reason.values:
        raise ValueError(f"Unknown erasure reason: {reason!r}")
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=patient.pk)
        records = [patient, *merged_records(patient)]
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
        session_count = (
            sessions_mentioning_delete(
                values={*emails, *object_ids, *(str(record.public_id) for record in records)}
            )
            if sessions
            else 0
        )
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
        sessions=session_count,
        references=references,
    )


def patient_erase_summary(*, patient: Patient) -> dict[str, Any]:
    """What `patient_erase` would remove, for the confirm page (counts only)."""
    records = [patient, *merged_records(patient)]
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


def retention_due(*, now: datetime.datetime) -> QuerySet[Patient]:
    """Records (not merged into another) whose last submission, or creation if they have
    none, is before the cutoff; oldest first."""
    return (
        Patient.objects.filter(merged_into__isnull=True)
        .annotate(last_activity=Coalesce(Max("submissions__submitted_at"), "created_at"))
        .filter(last_activity__lt=retention_cutoff(now))
        .order_by("last_activity", "pk")
    )


def drafts_due(*, now: datetime.datetime) -> QuerySet[IntakeDraft]:
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
            erased = _erase(patient, reason=PatientTombstone.Reason.RETENTION)
            _audit_retention_erase(erased, cutoff=cutoff)
            run.erased += erased.public_ids
    _total, deleted = drafts_due(now=now).delete()  # their reminders go with them
    run.drafts_deleted = deleted.get(IntakeDraft._meta.label, 0)
    return run
