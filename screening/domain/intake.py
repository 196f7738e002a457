"""The patient's writes: the intake, and the follow-up check-in. Each public function is
one transaction: everything is stored, or nothing.

The intake has two writes:
- `intake_store_urgent`: an urgent symptom was answered yes; store what the patient has
  answered so far at once (is_complete False), so it is never lost if they leave.
- `intake_submit`: the patient sent the whole form. If the urgent write happened, this
  completes that same submission; a replayed POST returns the submission already stored.

Both find an earlier write by the intake's idempotency key (unique in the database: the
INSERT of a new submission is the check), replace the answer rows, and screen the answers
*as stored*, adding a ScreeningResult next to earlier ones (results are never overwritten,
`screening.domain.results`). An EHR's intake (`intake_submit_from_ehr`) is audited; a
patient's own writes are not staff actions and are not.

The details given with an intake are stored on its submission; an existing record they
match is never changed (`patients.patient_for_intake`; docs/security.md, "Patient identity").
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from screening.domain import answer_rows
from screening.domain.answer_rows import Durations
from screening.domain.audit import audit_record
from screening.domain.consent import CareConsent, care_consent_keep, care_consent_set
from screening.domain.patients import patient_for_intake
from screening.domain.queries.answers import submission_answers
from screening.domain.results import (
    level_copy,
    result_row_create,
    screen_answers,
    screening_result_add,
)
from screening.domain.text import free_text_clean, free_text_set
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION, age_on
from screening.models import (
    ApiClient,
    AuditEvent,
    IntakeDraft,
    Patient,
    Reminder,
    ScreeningResult,
    Submission,
    new_reference,
)
from screening.reminders import links, scheduling

REFERENCE_ATTEMPTS = 10


def intake_submit(
    *,
    answers: dict[str, Any],
    patient_details: dict[str, Any],
    idempotency_key: str,
    language: str,
    client_tag: str = "",
    free_text: dict[str, str] | None = None,
) -> Submission:
    """Store a complete intake and its screening result; safe to call twice with one key.
    `client_tag`: which client sent a public intake (`Submission.client_tag`)."""
    return _intake_save(
        answers=answers,
        patient_details=patient_details,
        idempotency_key=idempotency_key,
        language=language,
        complete=True,
        client_tag=client_tag,
        free_text=free_text,
    )


def intake_store_urgent(
    *,
    answers: dict[str, Any],
    patient_details: dict[str, Any],
    idempotency_key: str,
    language: str,
    client_tag: str = "",
    care_consent: CareConsent | None = None,
    free_text: dict[str, str] | None = None,
    durations: Durations | None = None,
) -> Submission:
    """Store the answers so far of an intake with a red flag, before the rest is asked."""
    return _intake_save(
        answers=answers,
        patient_details=patient_details,
        idempotency_key=idempotency_key,
        language=language,
        complete=False,
        client_tag=client_tag,
        care_consent=care_consent,
        free_text=free_text,
        durations=durations,
    )


def _intake_save(
    *,
    answers: dict[str, Any],
    patient_details: dict[str, Any],
    idempotency_key: str,
    language: str,
    complete: bool,
    client_tag: str,
    care_consent: CareConsent | None = None,
    confirmation: bool = False,
    free_text: dict[str, str] | None,
    durations: Durations | None = None,
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
    free_text = free_text_clean(free_text)  # the patient's own words: stored, never screened
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
                    client_tag=client_tag,
                    care_consent=care_consent,
                    confirmation=confirmation,
                    free_text=free_text,
                    durations=durations,
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
        care_consent_keep(submission, care_consent)  # if the urgent store had none
        free_text_set(submission, free_text)
        answer_rows.answers_replace(submission, answers, durations=durations)
        if complete:
            # The patient may have switched language after the urgent store: the one
            # they sent the form in is the one their emails are written in.
            submission.is_complete = True
            submission.completed_at = timezone.now()
            submission.language = language
            submission.save(update_fields=["is_complete", "completed_at", "language"])
            if submission.identity_status == Submission.IdentityStatus.CONFIRMED:
                # The record this intake made; a record it only matched is not changed.
                Patient.objects.filter(pk=submission.patient_id).update(language=language)
            if confirmation:
                scheduling.reminder_schedule_confirmation(submission=submission)
        _result_add(submission)
        return submission


def _submission_for_key(idempotency_key: str) -> Submission | None:
    """The submission an earlier POST of this intake stored, locked until we commit."""
    return Submission.objects.select_for_update().filter(idempotency_key=idempotency_key).first()


def _reference_unused() -> str:
    for _attempt in range(REFERENCE_ATTEMPTS):
        reference = new_reference()
        if not Submission.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("Could not find an unused submission reference.")


def _submission_create(
    *,
    answers: dict[str, Any],
    patient_details: dict[str, Any],
    idempotency_key: str,
    language: str,
    complete: bool,
    reference: str,
    client_tag: str,
    care_consent: CareConsent | None,
    confirmation: bool,
    free_text: dict[str, str],
    durations: Durations | None,
) -> Submission:
    # Where the answers read back as given (the usual case), they are screened before
    # anything is stored, so the submission's copy of the level goes into its INSERT
    # instead of an UPDATE after the result. Otherwise what the database kept is read
    # back and screened after storing (`screening_result_add`).
    screened = screen_answers(answers) if answer_rows.reads_back_as_given(answers) else None
    now = timezone.now()
    filed = patient_for_intake(details=patient_details, language=language)
    submission = Submission(
        reference=reference,
        patient_id=filed.patient_id,
        identity_status=filed.identity_status,
        **{f"given_{name}": value for name, value in filed.given.items()},
        questionnaire_version=QUESTIONNAIRE_VERSION,
        language=language,
        submitted_at=now,
        completed_at=now if complete else None,
        is_complete=complete,
        idempotency_key=idempotency_key,
        age_years=answers["age_years"],
        client_tag=client_tag,
    )
    answer_rows.answer_fields_set(submission, answers)
    care_consent_set(submission, care_consent)
    free_text_set(submission, free_text)
    if screened is not None:
        level_copy(submission, screened["level"])
    submission.save()
    answer_rows.answer_rows_create(submission, answers, durations=durations)
    if screened is None:
        _result_add(submission)
    else:
        result_row_create(submission, screened, trigger=ScreeningResult.Trigger.INTAKE)
    if complete and confirmation:
        scheduling.reminder_schedule_confirmation(submission=submission, new=True)
    _urgent_notify(submission)
    return submission


def _result_add(submission: Submission) -> ScreeningResult:
    row = screening_result_add(submission=submission, trigger=ScreeningResult.Trigger.INTAKE)
    _urgent_notify(submission)
    return row


def _urgent_notify(submission: Submission) -> None:
    """An urgent intake or check-in tells the clinicians on duty at once, in the same
    transaction (once per submission: the outbox key)."""
    if submission.level == "urgent":
        scheduling.reminders_schedule_urgent_new(submission=submission)


def intake_send(
    *,
    answers: dict[str, Any],
    patient_details: dict[str, Any],
    idempotency_key: str,
    language: str,
    saved_draft: str | None,
    client_tag: str = "",
    care_consent: CareConsent | None = None,
    free_text: dict[str, str] | None = None,
    durations: Durations | None = None,
) -> Submission:
    """The check page's POST: `intake_submit` with the patient's agreement, and their
    confirmation email if they gave an email and agreed to be emailed; for an intake saved
    to finish later, mark its IntakeDraft sent (its reminder is then not sent, its link
    says the form was sent) and drop the answers it held. One transaction."""
    send = partial(
        _intake_save,
        answers=answers,
        patient_details=patient_details,
        idempotency_key=idempotency_key,
        language=language,
        complete=True,
        client_tag=client_tag,
        care_consent=care_consent,
        confirmation=bool(patient_details["contact_consent"] and patient_details["email"]),
        free_text=free_text,
        durations=durations,
    )
    if not saved_draft:  # _intake_save is one transaction of its own
        return send()
    with transaction.atomic():
        submission = send()
        IntakeDraft.objects.filter(public_id=saved_draft, submitted_at__isnull=True).update(
            submitted_at=timezone.now(), data={}
        )
    return submission


def intake_submit_from_ehr(
    *,
    answers: dict[str, Any],
    patient_details: dict[str, Any],
    idempotency_key: str,
    language: str,
    by: ApiClient,
    address: str | None = None,
    free_text: dict[str, str] | None = None,
) -> tuple[Submission, bool]:
    """An EHR's QuestionnaireResponse (`screening.fhir.views`): `intake_submit` and its
    audit event in one transaction, so the event commits with the submission or not at
    all. Returns (submission, created): a retry with the same key gets the stored
    submission back, audited as EXPORT (the EHR reads it again), a new one as CHANGE."""
    with transaction.atomic():
        existed = Submission.objects.filter(idempotency_key=idempotency_key).exists()
        submission = intake_submit(
            answers=answers,
            patient_details=patient_details,
            idempotency_key=idempotency_key,
            language=language,
            free_text=free_text,
        )
        matched = submission.identity_status == Submission.IdentityStatus.POSSIBLE_MATCH
        audit_record(
            by=None,  # a system with a token, not a staff member: named in the detail
            address=address,
            action=AuditEvent.Action.EXPORT if existed else AuditEvent.Action.CHANGE,
            what="fhir.questionnaire_response",
            object_type="submission",
            object_id=str(submission.public_id),
            patient=submission.patient,
            # possible_match: filed on an existing record, unchanged, for a clinician.
            detail={"client": by.name, "created": not existed, "possible_match": matched},
        )
    return submission, not existed


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


def follow_up_submit(
    *, original: Submission, answers: dict[str, Any], reminder: Reminder, language: str
) -> Submission:
    """Store a follow-up check-in (symptoms and red flags asked again, risk factors carried
    forward) of the patient of `original`, the reviewed submission its reminder is about,
    and screen it.

    The reminder's link is used in the same transaction (compare-and-set, so two posts
    cannot both store: links.LinkUsed for the loser, and nothing is stored). The age is
    the patient's on the day; a red flag makes it urgent at once, as in the intake.
    """
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
        answer_rows.answer_fields_set(submission, follow_up)
        submission.save()
        answer_rows.answer_rows_create(submission, follow_up)
        _result_add(submission)
    return submission
