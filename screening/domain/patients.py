"""Patient records: the intake's upsert by email and date of birth, and a clinician's
merge and split of records that were matched wrongly.

The merge and the split are each one transaction with their audit event (CHANGE,
"patient.merge" / "patient.split"): both are stored, or neither. They take the staff member
(`by`) and the address of their request (`address`) for the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from screening.domain.audit import audit_record
from screening.domain.text import plain_text
from screening.models import AuditEvent, LabResult, Patient, Submission

# The patient's upsert, one statement that also returns whether the record was merged
# into another. Django's bulk_create(update_conflicts=True) returns the id only, so a
# SELECT of the row had to follow it. Plain SQL that PostgreSQL and SQLite (3.35 or
# later) both run; it writes every column of Patient but its id and merged_into, in the
# order of PATIENT_UPSERT_COLUMNS, and updates PATIENT_UPSERT_UPDATES (a test in
# tests/screening/domain/test_intake.py holds the three to the model and to each other).
# The table is the model's own (`_meta.db_table`), filled in once here: a literal template,
# formatted with a name, never with anything a request carries.
PATIENT_UPSERT_COLUMNS = (
    "public_id",
    "full_name",
    "email",
    "phone",
    "date_of_birth",
    "contact_consent",
    "language",
    "created_at",
)
PATIENT_UPSERT_UPDATES = ("full_name", "phone", "contact_consent", "language")
_PATIENT_UPSERT_TEMPLATE = """
    INSERT INTO {table}
        (public_id, full_name, email, phone, date_of_birth, contact_consent, language, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (email, date_of_birth) DO UPDATE SET
        full_name = excluded.full_name,
        phone = excluded.phone,
        contact_consent = excluded.contact_consent,
        language = excluded.language
    RETURNING id, merged_into_id
"""
PATIENT_UPSERT = _PATIENT_UPSERT_TEMPLATE.format(table=Patient._meta.db_table)


def patient_for_intake(*, details: dict[str, Any], language: str) -> int:
    """Repeat intakes by the same email and date of birth belong to the same patient;
    returns the patient's id.

    The latest intake's name, phone and contact consent win: consent can be withdrawn.
    A record a clinician merged into another passes the intake on to the record it was
    merged into (which takes the same name, phone, consent and language).
    """
    # One INSERT ... ON CONFLICT DO UPDATE ... RETURNING (update_or_create took a
    # savepoint, a locking SELECT and an INSERT or UPDATE: five round trips). The upsert
    # is atomic, so two intakes of one new patient at once cannot collide.
    new = Patient(
        email=details["email"].strip().lower(),
        date_of_birth=details["date_of_birth"],
        full_name=plain_text(details["full_name"]),
        phone=plain_text(details.get("phone", "")),
        contact_consent=details["contact_consent"],
        language=language,
    )
    fields = {field.column: field for field in Patient._meta.concrete_fields}
    params = [
        fields[column].get_db_prep_save(getattr(new, column), connection)
        for column in PATIENT_UPSERT_COLUMNS
    ]
    with connection.cursor() as cursor:
        cursor.execute(PATIENT_UPSERT, params)
        patient_id, merged_into_id = cursor.fetchone()
    if merged_into_id is None:
        return int(patient_id)
    patient = Patient.objects.get(pk=merged_into_id)
    while patient.merged_into is not None:
        patient = patient.merged_into
    for field in PATIENT_UPSERT_UPDATES:
        setattr(patient, field, getattr(new, field))
    patient.save(update_fields=PATIENT_UPSERT_UPDATES)
    return patient.pk


def merged_records(patient: Patient) -> list[Patient]:
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


# ---------------------------------------------------------------------------
# Matching patients: merge and split
# ---------------------------------------------------------------------------

MERGE_PERMISSION = "screening.merge_patients"


class PatientChangeNotAllowed(ValueError):
    """A merge or split that would leave the records wrong; the message says why."""


@dataclass(frozen=True)
class Moved:
    submissions: list[str]  # references
    lab_results: int


def _require_merge_permission(by: User) -> None:
    if not by.has_perm(MERGE_PERMISSION):
        raise PermissionDenied("Merging and splitting patient records needs merge_patients.")


def _audit_patient_change(
    patient: Patient, *, by: User, address: str | None, what: str, detail: dict[str, Any]
) -> None:
    audit_record(
        by=by,
        address=address,
        action=AuditEvent.Action.CHANGE,
        what=what,
        object_type="patient",
        object_id=str(patient.public_id),
        patient=patient,
        detail=detail,
    )


def patient_merge(
    *, source: Patient, target: Patient, by: User, address: str | None = None
) -> Moved:
    """Merge `source` into `target`: its submissions and lab results move to `target`, and
    `source.merged_into` points at `target`. The source row stays (empty) so the audit
    trail and old links still resolve; later intakes with its email and date of birth
    attach to the target (see `patient_for_intake`)."""
    _require_merge_permission(by)
    if source.pk == target.pk:
        raise PatientChangeNotAllowed("A record cannot be merged into itself.")
    with transaction.atomic():
        locked = {
            patient.pk: patient
            for patient in Patient.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        if locked[source.pk].merged_into_id or locked[target.pk].merged_into_id:
            raise PatientChangeNotAllowed("One of these records has already been merged.")
        submissions = Submission.objects.filter(patient=source)
        references = list(
            submissions.order_by("submitted_at", "id").values_list("reference", flat=True)
        )
        submissions.update(patient=target)
        lab_results = LabResult.objects.filter(patient=source).update(patient=target)
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        _audit_patient_change(
            source,
            by=by,
            address=address,
            what="patient.merge",
            detail={
                "source": str(source.public_id),
                "target": str(target.public_id),
                "submissions": references,
                "lab_results": lab_results,
            },
        )
        return Moved(submissions=references, lab_results=lab_results)


def patient_split(
    *,
    patient: Patient,
    submissions: list[Submission],
    details: dict[str, Any],
    by: User,
    address: str | None = None,
) -> tuple[Patient, Moved]:
    """Move the chosen submissions (and their lab results) of `patient` to a new patient
    record: two people shared one record.

    Patient records are unique by (email, date of birth), so the clinician gives the new
    record's details (`details`: full_name, email, date_of_birth, phone); the email and
    date of birth together must belong to no other record. Contact consent and language
    are copied from `patient`. At least one submission stays with `patient`.
    """
    _require_merge_permission(by)
    chosen = {submission.pk for submission in submissions}
    email = details["email"].strip().lower()
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).get()
        own = set(Submission.objects.filter(patient=patient).values_list("pk", flat=True))
        if not chosen or not chosen <= own:
            raise PatientChangeNotAllowed("Choose one or more of this record's submissions.")
        if chosen == own:
            raise PatientChangeNotAllowed("At least one submission must stay on this record.")
        if Patient.objects.filter(email=email, date_of_birth=details["date_of_birth"]).exists():
            raise PatientChangeNotAllowed(
                "Another record has this email and date of birth: merge into it instead."
            )
        new_patient = Patient.objects.create(
            full_name=plain_text(details["full_name"]),
            email=email,
            phone=plain_text(details.get("phone", "")),
            date_of_birth=details["date_of_birth"],
            contact_consent=patient.contact_consent,
            language=patient.language,
        )
        moving = Submission.objects.filter(pk__in=chosen)
        references = list(moving.order_by("submitted_at", "id").values_list("reference", flat=True))
        moving.update(patient=new_patient)
        lab_results = LabResult.objects.filter(submission__in=chosen).update(patient=new_patient)
        _audit_patient_change(
            patient,
            by=by,
            address=address,
            what="patient.split",
            detail={
                "source": str(patient.public_id),
                "new_patient": str(new_patient.public_id),
                "submissions": references,
                "lab_results": lab_results,
            },
        )
        return new_patient, Moved(submissions=references, lab_results=lab_results)
