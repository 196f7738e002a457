"""Patient records: the record an intake is filed on (by email and date of birth), a
clinician's confirmation of a possible match, and their merge and split of records that
were matched wrongly.

An intake never changes an existing record (docs/security.md, "Patient identity"): one
that matches is filed on it as a possible match, keeping the details it was given, until
a clinician confirms it (`patient_match_confirm`, applying the details they choose) or
splits it off to a new record (`patient_split`).

The confirmation, the merge and the split are each one transaction with their audit event
(CHANGE, "patient.match_confirm" / "patient.merge" / "patient.split"): both are stored, or
neither. They take the staff member (`by`) and the address of their request (`address`)
for the event.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from screening.domain.audit import audit_record
from screening.domain.text import plain_text
from screening.models import AuditEvent, LabResult, Patient, Review, Submission
from screening.reminders import scheduling

IdentityStatus = Submission.IdentityStatus

# The patient's insert, one statement that also says whether the record existed and
# whether it was merged into another. An existing row is returned unchanged: the no-op DO
# UPDATE (its own email) is there so that RETURNING gives the row (DO NOTHING gives none,
# and a SELECT would follow); the public id returned says which: ours is new. Plain SQL
# that PostgreSQL and SQLite (3.35+) both run, writing every column of Patient but its id
# and merged_into (tests/screening/domain/test_intake.py holds them to the model). The
# table is the model's own, filled in once here: a literal template, formatted with a
# name, never with anything a request carries.
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
    """The record an intake is filed on, whether it existed before the intake (then the
    intake is a possible match: docs/security.md, "Patient identity"), and the details
    given with the intake, as the submission keeps them (`intake_details`)."""

    patient_id: int
    existed: bool
    given: dict[str, Any]

    @property
    def identity_status(self) -> str:
        return IdentityStatus.POSSIBLE_MATCH if self.existed else IdentityStatus.CONFIRMED


def intake_details(details: dict[str, Any]) -> dict[str, Any]:
    """The details given with an intake as the submission keeps them: the email trimmed
    and in lower case, the name and phone as plain text; contact consent True, False or
    None (an EHR does not say)."""
    consent = details.get("contact_consent")
    return {
        "full_name": plain_text(details["full_name"]),
        "email": details["email"].strip().lower(),
        "phone": plain_text(details.get("phone") or ""),
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
        date_of_birth=details["date_of_birth"],
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
        return IntakePatient(patient_id=int(patient_id), existed=existed, given=given)
    patient = Patient.objects.get(pk=merged_into_id)
    while patient.merged_into is not None:
        patient = patient.merged_into
    return IntakePatient(patient_id=patient.pk, existed=True, given=given)


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
# Matching patients: confirm a possible match, merge and split
# ---------------------------------------------------------------------------

MERGE_PERMISSION = "screening.merge_patients"

# What a clinician may take onto the record from a possible match's submission when they
# confirm it: the details the intake was given (its email and date of birth are the
# record's, which is how it matched).
MATCH_DETAILS = ("full_name", "phone", "contact_consent", "language")


class PatientChangeNotAllowed(ValueError):
    """A confirmation, merge or split that would leave the records wrong; the message
    says why."""


@dataclass(frozen=True)
class MatchDetail:
    """One detail on which a possible match's submission and its record differ."""

    name: str  # one of MATCH_DETAILS
    on_record: Any
    given: Any
    # The intake said no to email contact and the record says yes: withdrawing consent
    # is the patient's to do, so it applies when the match is confirmed (not a choice).
    withdraws: bool


def match_details(*, submission: Submission, patient: Patient) -> list[MatchDetail]:
    """The details given with `submission` that differ from its record `patient`'s, in
    MATCH_DETAILS order; a detail the intake was not given (an EHR says nothing of
    consent, a phone left blank) is not one of them."""
    given = {
        "full_name": submission.given_full_name or None,
        "phone": submission.given_phone or None,
        "contact_consent": submission.given_contact_consent,
        "language": submission.language,
    }
    return [
        MatchDetail(
            name=name,
            on_record=getattr(patient, name),
            given=given[name],
            withdraws=name == "contact_consent" and given[name] is False,
        )
        for name in MATCH_DETAILS
        if given[name] is not None and given[name] != getattr(patient, name)
    ]


def _reminders_after_confirmation(submission: Submission) -> None:
    """A possible match's decision scheduled no patient emails
    (`scheduling.reminders_schedule_for_review`); once its patient is confirmed, the
    latest decision's are scheduled (due as the decision made them: at once if that is
    past). The send-time re-check still applies (consent, closed, done)."""
    review = Review.objects.filter(submission=submission).order_by("-created_at", "-id").first()
    if review is not None:
        scheduling.reminders_schedule_for_review(submission=submission, review=review)


def patient_match_confirm(
    *,
    submission: Submission,
    apply: Collection[str],
    by: User,
    address: str | None = None,
) -> list[str]:
    """A clinician (`by`) confirms that a possible match's `submission` is the patient
    of the record it is filed on; returns the details applied to the record.

    The details named in `apply` (MATCH_DETAILS) that the intake gave differently are
    copied to the record, and consent to email that the intake withdrew is always
    applied. The submission is then confirmed, and the patient emails of its latest
    decision, held until now, are scheduled.
    """
    _require_merge_permission(by)
    unknown = sorted(set(apply) - set(MATCH_DETAILS))
    if unknown:
        raise ValueError(f"Details must be some of {MATCH_DETAILS}: {unknown}")
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.identity_status != IdentityStatus.POSSIBLE_MATCH:
            raise PatientChangeNotAllowed(
                "This submission is not a possible match any more: it was confirmed or split."
            )
        patient = Patient.objects.select_for_update().get(pk=locked.patient_id)
        applied = []
        for detail in match_details(submission=locked, patient=patient):
            if detail.withdraws or detail.name in apply:
                setattr(patient, detail.name, detail.given)
                applied.append(detail.name)
        if applied:
            patient.save(update_fields=applied)
        locked.identity_status = IdentityStatus.CONFIRMED
        locked.save(update_fields=["identity_status"])
        locked.patient = patient
        _reminders_after_confirmation(locked)
        _audit_patient_change(
            patient,
            by=by,
            address=address,
            what="patient.match_confirm",
            detail={
                "patient": str(patient.public_id),
                "submission": locked.reference,
                "applied": applied,
            },
        )
    submission.identity_status = IdentityStatus.CONFIRMED
    return applied


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
    are those given with the latest possible match among the chosen submissions (the
    person who sent it said them), else copied from `patient`. At least one submission
    stays with `patient`. The moved submissions are confirmed as the new record's, and
    a possible match's held patient emails are scheduled.
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
        matches = list(
            Submission.objects.filter(
                pk__in=chosen, identity_status=IdentityStatus.POSSIBLE_MATCH
            ).order_by("submitted_at", "id")
        )
        new_patient = Patient.objects.create(
            full_name=plain_text(details["full_name"]),
            email=email,
            phone=plain_text(details.get("phone", "")),
            date_of_birth=details["date_of_birth"],
            contact_consent=bool(matches[-1].given_contact_consent)
            if matches
            else patient.contact_consent,
            language=matches[-1].language if matches else patient.language,
        )
        moving = Submission.objects.filter(pk__in=chosen)
        references = list(moving.order_by("submitted_at", "id").values_list("reference", flat=True))
        moving.update(patient=new_patient, identity_status=IdentityStatus.CONFIRMED)
        lab_results = LabResult.objects.filter(submission__in=chosen).update(patient=new_patient)
        for match in matches:
            match.patient = new_patient
            match.identity_status = IdentityStatus.CONFIRMED
            _reminders_after_confirmation(match)
        _audit_patient_change(
            patient,
            by=by,
            address=address,
            what="patient.split",
            detail={
                "source": str(patient.public_id),
                "new_patient": str(new_patient.public_id),
                "submissions": references,
                "possible_matches": [match.reference for match in matches],
                "lab_results": lab_results,
            },
        )
        return new_patient, Moved(submissions=references, lab_results=lab_results)
