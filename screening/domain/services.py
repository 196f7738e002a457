"""Writes. Each public function is one transaction: everything is stored, or nothing.

The intake has two writes:
- `intake_store_urgent`: an urgent symptom was answered yes; store what the patient has
  answered so far at once (is_complete False), so it is never lost if they leave.
- `intake_submit`: the patient sent the whole form. If the urgent write happened, this
  completes that same submission; a replayed POST returns the submission already stored.

Both find an earlier write by the intake's idempotency key (unique in the database: the
INSERT of a new submission is the check), replace the answer rows, and screen the answers
*as stored*, adding a ScreeningResult next to earlier ones (results are never overwritten).

The staff dashboard's writes (keyword-only, each one transaction; the views write the
audit event inside the same transaction): `submission_assign`, `submission_status_change`,
`review_record`, `lab_result_add`, `patient_merge`, `patient_split`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from screening.domain.selectors import submission_answers, submission_current_result
from screening.engine import contract, rules
from screening.engine.labs import LabLimits
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION, age_on
from screening.models import (
    ConditionAnswer,
    LabResult,
    MedicineAnswer,
    Patient,
    RedFlagAnswer,
    Review,
    ScreeningResult,
    StatusChange,
    Submission,
    SymptomAnswer,
    new_reference,
)
from screening.reminders import scheduling

REFERENCE_ATTEMPTS = 10
LAB_VALUE_DECIMALS = LabResult._meta.get_field("value").decimal_places

# Unicode bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). In a name
# or a note they turn the text after them around on a staff page (a reference, a date of
# birth), and escaping leaves them: they are dropped from free text as it is stored. The
# marks U+200E and U+200F, which names in Hebrew or Arabic may need, are kept.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _plain(text: str) -> str:
    return text.translate(BIDI_CONTROLS)


def intake_submit(
    *, answers: dict, patient_details: dict, idempotency_key: str, language: str
) -> Submission:
    """Store a complete intake and its screening result; safe to call twice with one key."""
    return _intake_save(
        answers=answers,
        patient_details=patient_details,
        idempotency_key=idempotency_key,
        language=language,
        complete=True,
    )


def intake_store_urgent(
    *, answers: dict, patient_details: dict, idempotency_key: str, language: str
) -> Submission:
    """Store the answers so far of an intake with a red flag, before the rest is asked."""
    return _intake_save(
        answers=answers,
        patient_details=patient_details,
        idempotency_key=idempotency_key,
        language=language,
        complete=False,
    )


def _intake_save(
    *,
    answers: dict,
    patient_details: dict,
    idempotency_key: str,
    language: str,
    complete: bool,
) -> Submission:
    """Store the intake once per idempotency key.

    A new key is the usual case, so the submission is inserted at once under a new random
    reference, with no SELECT first for the key or the reference: their unique constraints
    are the check. When an earlier POST of this intake stored the key (a retry after a
    lost response, a double click, the urgent page's early store, or a request still in
    flight, whose commit the INSERT waits for), the INSERT fails and everything this try
    wrote is rolled back, the patient upsert too; the stored submission is then locked
    and completed, or returned as it is. A reference already taken (with n submissions
    stored, n chances in 30^8) is tried again with another.
    """
    for _attempt in range(REFERENCE_ATTEMPTS):
        reference = new_reference()
        try:
            with transaction.atomic():
                return _submission_create(
                    answers=answers,
                    patient_details=patient_details,
                    idempotency_key=idempotency_key,
                    language=language,
                    complete=complete,
                    reference=reference,
                )
        except IntegrityError as error:
            conflict = error
            if not Submission.objects.filter(reference=reference).exists():
                break  # not the reference: the key is stored already
    else:
        raise RuntimeError("Could not find an unused submission reference.")
    with transaction.atomic():
        submission = _submission_for_key(idempotency_key)
        if submission is None:
            raise conflict  # neither the key nor the reference: not a conflict to absorb
        if submission.is_complete:
            return submission  # a replayed or double-clicked final POST
        if submission_answers(submission=submission) == answers and not complete:
            return submission  # the urgent page posted twice: nothing new to store
        _answers_replace(submission, answers)
        if complete:
            # The patient may have switched language after the urgent store: the one
            # they sent the form in is the one their emails are written in.
            submission.is_complete = True
            submission.completed_at = timezone.now()
            submission.language = language
            submission.save(update_fields=["is_complete", "completed_at", "language"])
            Patient.objects.filter(pk=submission.patient_id).update(language=language)
        _result_add(submission)
        return submission


def _submission_for_key(idempotency_key: str) -> Submission | None:
    """The submission an earlier POST of this intake stored, locked until we commit."""
    return Submission.objects.select_for_update().filter(idempotency_key=idempotency_key).first()


# The patient's upsert, one statement that also returns whether the record was merged
# into another. Django's bulk_create(update_conflicts=True) returns the id only, so a
# SELECT of the row had to follow it. Plain SQL that PostgreSQL and SQLite (3.35 or
# later) both run; it writes every column of Patient but its id and merged_into, in the
# order of PATIENT_UPSERT_COLUMNS, and updates PATIENT_UPSERT_UPDATES (a test in
# tests/screening/domain/test_services.py holds the three to the model and to each other).
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
PATIENT_UPSERT = """
    INSERT INTO screening_patient
        (public_id, full_name, email, phone, date_of_birth, contact_consent, language, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (email, date_of_birth) DO UPDATE SET
        full_name = excluded.full_name,
        phone = excluded.phone,
        contact_consent = excluded.contact_consent,
        language = excluded.language
    RETURNING id, merged_into_id
"""


def _patient_get_or_create(*, details: dict, language: str) -> int:
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
        full_name=_plain(details["full_name"]),
        phone=_plain(details.get("phone", "")),
        contact_consent=details["contact_consent"],
        language=language,
    )
    params = [
        Patient._meta.get_field(column).get_db_prep_save(getattr(new, column), connection)
        for column in PATIENT_UPSERT_COLUMNS
    ]
    with connection.cursor() as cursor:
        cursor.execute(PATIENT_UPSERT, params)
        patient_id, merged_into_id = cursor.fetchone()
    if merged_into_id is None:
        return patient_id
    patient = Patient.objects.get(pk=merged_into_id)
    while patient.merged_into_id is not None:
        patient = patient.merged_into
    for field in PATIENT_UPSERT_UPDATES:
        setattr(patient, field, getattr(new, field))
    patient.save(update_fields=PATIENT_UPSERT_UPDATES)
    return patient.pk


def _reference_unused() -> str:
    for _attempt in range(REFERENCE_ATTEMPTS):
        reference = new_reference()
        if not Submission.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("Could not find an unused submission reference.")


def _submission_create(
    *,
    answers: dict,
    patient_details: dict,
    idempotency_key: str,
    language: str,
    complete: bool,
    reference: str,
) -> Submission:
    # Where the answers read back as given (the usual case), they are screened before
    # anything is stored, so the submission's copy of the level goes into its INSERT
    # instead of an UPDATE after the result. Otherwise what the database kept is read
    # back and screened after storing (`screening_result_add`).
    screened = _screen(answers) if _reads_back_as_given(answers) else None
    now = timezone.now()
    submission = Submission(
        reference=reference,
        patient_id=_patient_get_or_create(details=patient_details, language=language),
        questionnaire_version=QUESTIONNAIRE_VERSION,
        language=language,
        submitted_at=now,
        completed_at=now if complete else None,
        is_complete=complete,
        idempotency_key=idempotency_key,
        age_years=answers["age_years"],
    )
    _answer_fields_set(submission, answers)
    if screened is not None:
        _level_copy(submission, screened["level"])
    submission.save()
    _answer_rows_create(submission, answers)
    if screened is None:
        _result_add(submission)
    else:
        _result_row_create(submission, screened, trigger=ScreeningResult.Trigger.INTAKE)
    return submission


def _reads_back_as_given(answers: dict) -> bool:
    """Whether `submission_answers` would read back exactly the answers just stored, so
    screening them is screening what is stored. Every column keeps its value, except
    that a lab value keeps LAB_VALUE_DECIMALS places (the web form allows no more; an EHR
    may send more, and then the answers are read back). Property-tested for random valid
    answers in tests/screening/domain/test_services_stored_screening.py."""
    return all(
        Decimal(str(lab["value"])).as_tuple().exponent >= -LAB_VALUE_DECIMALS
        for lab in answers.get("labs", [])
    )


def _answer_fields_set(submission: Submission, answers: dict) -> None:
    """The single-valued answers, as typed columns ("" or None when absent)."""
    submission.age_years = answers["age_years"]
    for key in ("sex", "pregnant", "diet", "b12_treatment"):
        setattr(submission, key, answers.get(key, ""))
    for key in ("breastfeeding", "family_history", "alcohol_units_per_week"):
        setattr(submission, key, answers.get(key))
    submission.medicines_answered = "medicines" in answers
    submission.conditions_answered = "conditions" in answers


def _answer_rows_create(submission: Submission, answers: dict) -> None:
    SymptomAnswer.objects.bulk_create(
        SymptomAnswer(
            submission=submission,
            code=code,
            present=answer["present"],
            severity=answer.get("severity"),
            duration_weeks=answer.get("duration_weeks"),
            sites=answer.get("sites"),
            both_sides=answer.get("both_sides"),
        )
        for code, answer in answers.get("symptoms", {}).items()
    )
    RedFlagAnswer.objects.bulk_create(
        RedFlagAnswer(submission=submission, code=code, answer=answer)
        for code, answer in answers.get("red_flags", {}).items()
    )
    MedicineAnswer.objects.bulk_create(
        MedicineAnswer(submission=submission, code=code) for code in answers.get("medicines", [])
    )
    ConditionAnswer.objects.bulk_create(
        ConditionAnswer(submission=submission, code=code) for code in answers.get("conditions", [])
    )
    LabResult.objects.bulk_create(
        LabResult(
            patient_id=submission.patient_id,
            submission=submission,
            test=lab["test"],
            value=str(lab["value"]),
            unit=lab["unit"],
            date=lab["date"],
            source=LabResult.Source.PATIENT,
        )
        for lab in answers.get("labs", [])
    )


def _answers_replace(submission: Submission, answers: dict) -> None:
    """Replace the answers of a red-flag submission with the fuller set."""
    _answer_fields_set(submission, answers)
    submission.save()
    submission.symptoms.all().delete()
    submission.red_flags.all().delete()
    submission.medicines.all().delete()
    submission.conditions.all().delete()
    submission.lab_results.filter(source=LabResult.Source.PATIENT).delete()
    _answer_rows_create(submission, answers)


def _result_add(submission: Submission) -> ScreeningResult:
    return screening_result_add(submission=submission, trigger=ScreeningResult.Trigger.INTAKE)


def screening_result_add(*, submission: Submission, trigger: str) -> ScreeningResult:
    """Screen the answers as stored and add the result next to any earlier ones.

    Screening what is stored means the result always matches what the clinic sees. This and
    the intake's `_submission_create` are the only writers of ScreeningResult, and they keep
    the submission's copy of the current level (used to sort the queue) in step. Call it
    inside the caller's transaction.
    """
    screened = _screen(submission_answers(submission=submission))
    row = _result_row_create(submission, screened, trigger=trigger)
    _level_copy(submission, row.level)
    submission.save(update_fields=["level", "level_rank"])
    return row


def _screen(answers: dict) -> dict:
    return rules.screen(answers, limits=rules_limits())


def _level_copy(submission: Submission, level: str) -> None:
    """The submission's copy of its current result's level, for the queue (not saved)."""
    submission.level = level
    submission.level_rank = contract.LEVELS.index(level)


def _result_row_create(submission: Submission, screened: dict, *, trigger: str) -> ScreeningResult:
    return ScreeningResult.objects.create(
        submission=submission,
        rules_version=screened["rules_version"],
        level=screened["level"],
        possible_b12_deficiency=screened["possible_b12_deficiency"],
        red_flags=screened["red_flags"],
        reasons=screened["reasons"],
        suggested_actions=screened["suggested_actions"],
        b12_status=screened["lab_interpretation"]["b12_status"],
        trigger=trigger,
    )


def rules_limits() -> LabLimits:
    """The clinic's configured lab limits (clinical.md B11: use the limits the clinic sets)."""
    return LabLimits(**settings.SCREENING_LAB_LIMITS)


# ---------------------------------------------------------------------------
# Staff review: assignment, status, decisions
# ---------------------------------------------------------------------------


class TransitionNotAllowed(ValueError):
    """The submission is not in a state that allows this change (someone may have moved
    it a moment ago); the message says why in words staff can act on."""


Status = Submission.Status

# Moves a clinician can make with a button. A new submission goes to in review by being
# assigned (submission_assign); decisions (review_record) move it to awaiting test or
# reviewed.
MANUAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (),
    Status.IN_REVIEW: (Status.NEW,),  # release back to the queue
    Status.AWAITING_TEST: (Status.IN_REVIEW, Status.CLOSED),
    Status.REVIEWED: (Status.IN_REVIEW, Status.CLOSED),
    Status.CLOSED: (Status.IN_REVIEW,),  # reopen
}
# A decision that orders a test leaves the submission waiting for the result.
OUTCOMES_AWAITING_TEST = (Review.Outcome.ORDER_B12_TEST, Review.Outcome.ORDER_BLOOD_COUNT)
DECIDABLE_STATUSES = (Status.NEW, Status.IN_REVIEW, Status.AWAITING_TEST)


def _lock(submission: Submission) -> None:
    """Lock the row until the transaction ends and re-read what a colleague may have
    changed since `submission` was loaded."""
    current = (
        Submission.objects.select_for_update()
        .filter(pk=submission.pk)
        .values("status", "assignee_id", "status_changed_at")
        .get()
    )
    for field, value in current.items():
        setattr(submission, field, value)


def _status_set(submission: Submission, to_status: str, *, by) -> StatusChange:
    now = timezone.now()
    change = StatusChange.objects.create(
        submission=submission,
        from_status=submission.status,
        to_status=to_status,
        changed_by=by,
        changed_at=now,
    )
    submission.status = to_status
    submission.status_changed_at = now
    submission.save(update_fields=["status", "status_changed_at", "assignee"])
    return change


def submission_assign(*, submission: Submission, clinician) -> StatusChange | None:
    """Assign the submission to `clinician` ("assign to me"); a new one moves to in review.

    Taking over a submission a colleague has in review is allowed (the audit trail says
    who). A reviewed or closed submission must be reopened first.
    """
    with transaction.atomic():
        _lock(submission)
        if submission.status in (Status.REVIEWED, Status.CLOSED):
            raise TransitionNotAllowed("This submission has a decision; reopen it first.")
        submission.assignee = clinician
        if submission.status == Status.NEW:
            return _status_set(submission, Status.IN_REVIEW, by=clinician)
        submission.save(update_fields=["assignee"])
        return None


def _status_words(status: str) -> str:
    return str(Status(status).label).lower() if status in Status.values else status


def submission_status_change(*, submission: Submission, to_status: str, by) -> StatusChange:
    """One of MANUAL_TRANSITIONS. Moving to in review assigns the submission to `by`;
    moving back to new (release) unassigns it."""
    with transaction.atomic():
        _lock(submission)
        if to_status not in MANUAL_TRANSITIONS.get(submission.status, ()):
            raise TransitionNotAllowed(
                f"A submission that is {_status_words(submission.status)} cannot be moved "
                f"to {_status_words(to_status)}."
            )
        if to_status == Status.IN_REVIEW:
            submission.assignee = by
        elif to_status == Status.NEW:
            submission.assignee = None
        return _status_set(submission, to_status, by=by)


def review_record(*, submission: Submission, clinician, outcomes: list[str], note: str) -> Review:
    """Record a clinician's decision and move the submission on.

    Ordering a B12 test or a full blood count moves it to awaiting test; any other
    decision to reviewed. A new submission is first put in review for the clinician
    (two status changes are recorded, so the history has no gap); an unassigned one is
    assigned to them.
    """
    codes = list(dict.fromkeys(outcomes))
    unknown = [code for code in codes if code not in Review.Outcome.values]
    if not codes or unknown:
        raise ValueError(f"Outcomes must be one or more of {Review.Outcome.values}: {unknown}")
    with transaction.atomic():
        _lock(submission)
        if submission.status not in DECIDABLE_STATUSES:
            raise TransitionNotAllowed("This submission has a decision; reopen it first.")
        if submission.assignee_id is None:
            submission.assignee = clinician
        if submission.status == Status.NEW:
            _status_set(submission, Status.IN_REVIEW, by=clinician)
        review = Review.objects.create(
            submission=submission, clinician=clinician, outcomes=codes, note=_plain(note)
        )
        ordered = any(code in OUTCOMES_AWAITING_TEST for code in codes)
        to_status = Status.AWAITING_TEST if ordered else Status.REVIEWED
        if submission.status != to_status:
            _status_set(submission, to_status, by=clinician)
        else:
            submission.save(update_fields=["assignee"])
        # The patient's follow-up and blood test reminders: outbox rows in this transaction.
        scheduling.reminders_schedule_for_review(submission=submission, review=review)
        return review


# ---------------------------------------------------------------------------
# Lab results entered by a clinician
# ---------------------------------------------------------------------------


def _outcome(result: dict) -> dict:
    """What makes a screening outcome different, as ScreeningResult fields. rules_version
    alone does not: a stored result stays true for the version it names."""
    return {
        "level": result["level"],
        "possible_b12_deficiency": result["possible_b12_deficiency"],
        "red_flags": result["red_flags"],
        "reasons": result["reasons"],
        "suggested_actions": result["suggested_actions"],
        "b12_status": result["lab_interpretation"]["b12_status"],
    }


def lab_result_add(
    *, submission: Submission, test: str, value, unit: str, date, entered_by
) -> tuple[LabResult, ScreeningResult | None]:
    """Store a clinician's lab result on the submission (and so on its patient), then
    re-screen the submission's answers with it.

    Where the lab changes the screening outcome (any field of `_outcome`), a new
    ScreeningResult (trigger "lab") is added next to the old one, never over it, and the
    queue level follows; otherwise no result is added. Returns (lab, new result or None).
    """
    if unit not in contract.LAB_UNITS.get(test, ()):
        raise ValueError(f"{unit!r} is not a unit for {test!r}")
    with transaction.atomic():
        _lock(submission)
        lab = LabResult.objects.create(
            patient=submission.patient,
            submission=submission,
            test=test,
            value=value,
            unit=unit,
            date=date,
            source=LabResult.Source.CLINICIAN,
            entered_by=entered_by,
        )
        current = submission_current_result(submission=submission)
        screened = rules.screen(submission_answers(submission=submission), limits=rules_limits())
        unchanged = current is not None and all(
            getattr(current, field) == outcome for field, outcome in _outcome(screened).items()
        )
        if unchanged:
            return lab, None
        return lab, screening_result_add(submission=submission, trigger=ScreeningResult.Trigger.LAB)


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


def _require_merge_permission(by) -> None:
    if not by.has_perm(MERGE_PERMISSION):
        raise PermissionDenied("Merging and splitting patient records needs merge_patients.")


def patient_merge(*, source: Patient, target: Patient, by) -> Moved:
    """Merge `source` into `target`: its submissions and lab results move to `target`, and
    `source.merged_into` points at `target`. The source row stays (empty) so the audit
    trail and old links still resolve; later intakes with its email and date of birth
    attach to the target (see `_patient_get_or_create`)."""
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
        return Moved(submissions=references, lab_results=lab_results)


def patient_split(
    *, patient: Patient, submissions: list[Submission], by, details: dict
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
            full_name=_plain(details["full_name"]),
            email=email,
            phone=_plain(details.get("phone", "")),
            date_of_birth=details["date_of_birth"],
            contact_consent=patient.contact_consent,
            language=patient.language,
        )
        moving = Submission.objects.filter(pk__in=chosen)
        references = list(moving.order_by("submitted_at", "id").values_list("reference", flat=True))
        moving.update(patient=new_patient)
        lab_results = LabResult.objects.filter(submission__in=chosen).update(patient=new_patient)
        return new_patient, Moved(submissions=references, lab_results=lab_results)


# ---------------------------------------------------------------------------
# Save and come back later; the follow-up check-in
# ---------------------------------------------------------------------------


def _intake_draft_reusable(public_id: str | None):
    """The IntakeDraft this session saved before, if a new save should update it: not
    sent, and its resume link not used yet (after a resume, a new save makes a new draft,
    so the patient gets a new link)."""
    from screening.models import IntakeDraft, Reminder

    if not public_id:
        return None
    return (
        IntakeDraft.objects.select_for_update()
        .filter(public_id=public_id, submitted_at__isnull=True)
        .exclude(
            reminders__kind=Reminder.Kind.UNFINISHED_INTAKE,
            reminders__link_used_at__isnull=False,
        )
        .first()
    )


def intake_draft_save(*, public_id: str | None, email: str, data: dict, language: str):
    """Keep an unfinished intake (the session draft as JSON) for INTAKE_DRAFT_DAYS and
    schedule its one reminder with the resume link. Saving again updates the same row
    (and so the same reminder); returns the IntakeDraft."""
    from datetime import timedelta

    from screening.models import IntakeDraft

    now = timezone.now()
    with transaction.atomic():
        draft = _intake_draft_reusable(public_id)
        if draft is None:
            # The view names a new draft (and stores the name in the session) before this
            # runs, so a retry after a lost response updates this row instead of making a
            # second draft and a second reminder. A name already taken (a draft whose link
            # was used) gets a fresh one.
            taken = public_id and IntakeDraft.objects.filter(public_id=public_id).exists()
            draft = IntakeDraft(created_at=now, public_id=None if taken else public_id)
            if draft.public_id is None:
                draft.public_id = uuid.uuid4()
        draft.email = email.strip().lower()
        draft.data = data
        draft.language = language
        draft.updated_at = now
        draft.expires_at = now + timedelta(days=settings.INTAKE_DRAFT_DAYS)
        draft.save()
        scheduling.reminder_schedule_unfinished_intake(draft=draft)
    return draft


def intake_draft_resume(*, reminder) -> dict:
    """Use a resume link (once: links.LinkUsed if another request used it first) and
    return the saved answers. The row keeps no answers afterwards: they are back in the
    patient's session, and the link cannot be used again."""
    from screening.models import IntakeDraft
    from screening.reminders import links

    with transaction.atomic():
        links.reminder_link_use(reminder)
        draft = IntakeDraft.objects.select_for_update().get(pk=reminder.draft_id)
        data = draft.data
        draft.data = {}
        draft.updated_at = timezone.now()
        draft.save(update_fields=["data", "updated_at"])
    return data


def intake_send(
    *,
    answers: dict,
    patient_details: dict,
    idempotency_key: str,
    language: str,
    saved_draft: str | None,
) -> Submission:
    """The check page's POST: `intake_submit`, and for an intake that was saved to finish
    later, mark its IntakeDraft sent (its reminder is then not sent, and its link says
    the form was sent) and drop the copy of the answers it held. One transaction."""
    from screening.models import IntakeDraft

    if not saved_draft:  # intake_submit is one transaction of its own
        return intake_submit(
            answers=answers,
            patient_details=patient_details,
            idempotency_key=idempotency_key,
            language=language,
        )
    with transaction.atomic():
        submission = intake_submit(
            answers=answers,
            patient_details=patient_details,
            idempotency_key=idempotency_key,
            language=language,
        )
        IntakeDraft.objects.filter(public_id=saved_draft, submitted_at__isnull=True).update(
            submitted_at=timezone.now(), data={}
        )
    return submission


# Answers of the followed-up submission that a follow-up check-in carries forward.
FOLLOW_UP_CARRIED_FORWARD = (
    "sex",
    "pregnant",
    "breastfeeding",
    "diet",
    "alcohol_units_per_week",
    "medicines",
    "conditions",
    "family_history",
    "b12_treatment",
)


def follow_up_submit(*, original: Submission, answers: dict, reminder, language: str) -> Submission:
    """Store a follow-up check-in (symptoms and red flags asked again, risk factors carried
    forward) of the patient of `original`, the reviewed submission its reminder is about,
    and screen it.

    The reminder's link is used in the same transaction (compare-and-set, so two posts
    cannot both store: links.LinkUsed for the loser, and nothing is stored). The age is
    the patient's on the day; a red flag makes it urgent at once, as in the intake.
    """
    from screening.reminders import links

    if reminder.submission_id != original.pk:
        raise ValueError("The reminder is not about this submission.")
    patient = original.patient
    age = age_on(patient.date_of_birth, timezone.localdate())
    # Risk factors are not asked again; they carry forward from the submission followed
    # up, so the check-in is screened like an intake (clinical.md A1 needs a symptom AND
    # a risk factor) rather than on symptoms alone, which could never meet A1.
    earlier = submission_answers(submission=original)
    follow_up = {key: earlier[key] for key in FOLLOW_UP_CARRIED_FORWARD if key in earlier}
    follow_up.update(
        {"age_years": age, "symptoms": answers["symptoms"], "red_flags": answers["red_flags"]}
    )
    with transaction.atomic():
        links.reminder_link_use(reminder)
        now = timezone.now()
        submission = Submission(
            reference=_reference_unused(),
            patient=patient,
            kind="follow_up",
            follow_up_of=original,
            questionnaire_version=QUESTIONNAIRE_VERSION,
            language=language,
            submitted_at=now,
            completed_at=now,
            is_complete=True,
            # One follow-up per reminder, whatever happens above.
            idempotency_key=f"follow_up_reminder:{reminder.public_id}",
            age_years=age,
        )
        _answer_fields_set(submission, follow_up)
        submission.save()
        _answer_rows_create(submission, follow_up)
        _result_add(submission)
    return submission
