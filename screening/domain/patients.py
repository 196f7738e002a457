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

# The patient's insert, one statement that also says whether the record existed and
# whether it was merged into another. A new (email, date of birth) inserts a record; an
# existing one is returned unchanged: the no-op DO UPDATE (the email it already has) is
# there only so that RETURNING gives its row in the same statement (DO NOTHING returns
# no row, and a SELECT would have to follow). The public id returned tells which of the
# two happened: ours is new. Plain SQL that PostgreSQL and SQLite (3.35 or later) both
# run; it writes every column of Patient but its id and merged_into, in the order of
# PATIENT_INSERT_COLUMNS (a test in tests/screening/domain/test_intake.py holds them to
# the model). The table is the model's own (`_meta.db_table`), filled in once here: a
# literal template, formatted with a name, never with anything a request carries.
PATIENT_INSERT_COLUMNS = (
    "public_id",
    "full_name",
    "email",
    "phone",
    "date_of_birth",
    "contact_consent",
    "language",
    "created_at",
)
_PATIENT_INSERT_TEMPLATE = """
    INSERT INTO {table}
        (public_id, full_name, email, phone, date_of_birth, contact_consent, language, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (email, date_of_birth) DO UPDATE SET email = {table}.email
    RETURNING id, merged_into_id, public_id
"""
PATIENT_INSERT = _PATIENT_INSERT_TEMPLATE.format(table=Patient._meta.db_table)


@dataclass(frozen=True)
class IntakePatient:
    """The record an intake is filed on, and whether it existed before the intake (then
    the intake is a possible match: docs/security.md, "Patient identity")."""

    patient_id: int
    existed: bool


def intake_details(details: dict[str, Any]) -> dict[str, Any]:
    """The details given with an intake as they are stored (on the patient record it
    makes, and on the submission): the email trimmed and in lower case, the name and
    phone as plain text; contact consent True, False or None (an EHR does not say)."""
    consent = details.get("contact_consent")
    return {
        "full_name": plain_text(details["full_name"]),
        "email": details["email"].strip().lower(),
        "phone": plain_text(details.get("phone") or ""),
        "date_of_birth": details["date_of_birth"],
        "contact_consent": None if consent is None else bool(consent),
    }


def patient_for_intake(*, details: dict[str, Any], language: str) -> IntakePatient:
    """The patient record an intake is filed on: repeat intakes by the same email and date
    of birth belong to the same record.

    A new email and date of birth make a new record from the details given (contact
    consent False unless given). An existing record is never changed by an intake
    (anyone who knows someone's email and date of birth can send one): the intake keeps
    its details on the submission, and a clinician confirms the match or splits it off
    (`patient_match_confirm`, `patient_split`). A record a clinician merged into another
    passes the intake on to the record it was merged into, unchanged too.
    """
    # One INSERT ... ON CONFLICT ... RETURNING (update_or_create took a savepoint, a
    # locking SELECT and an INSERT or UPDATE: five round trips). It is atomic, so two
    # intakes of one new patient at once cannot collide: the second finds the first's
    # record (and is a possible match of it).
    given = intake_details(details)
    new = Patient(
        email=given["email"],
        date_of_birth=given["date_of_birth"],
        full_name=given["full_name"],
        phone=given["phone"],
        contact_consent=bool(given["contact_consent"]),
        language=language,
    )
    fields = {field.column: field for field in Patient._meta.concrete_fields}
    params = [
        fields[column].get_db_prep_save(getattr(new, column), connection)
        for column in PATIENT_INSERT_COLUMNS
    ]
    with connection.cursor() as cursor:
        cursor.execute(PATIENT_INSERT, params)
        patient_id, merged_into_id, public_id = cursor.fetchone()
    existed = fields["public_id"].to_python(public_id) != new.public_id
    if merged_into_id is None:
        return IntakePatient(patient_id=int(patient_id), existed=existed)
    patient = Patient.objects.get(pk=merged_into_id)
    while patient.merged_into is not None:
        patient = patient.merged_into
    return IntakePatient(patient_id=patient.pk, existed=True)


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
