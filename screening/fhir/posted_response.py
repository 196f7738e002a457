"""What must hold of a QuestionnaireResponse an EHR posts, beyond its answers: the
questionnaire it answers and that it is complete, who the patient is (a contained
Patient), and an age that agrees with the date of birth. Problems are lines with a path
first, as `responses.answers_from_response` and `screening.engine.validation` write them.
Pure mapping, as `questionnaire`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from screening.engine.questionnaire import QUESTIONNAIRE_VERSION, age_on
from screening.fhir.questionnaire import canonical

# --- Who the patient is, from a posted response -----------------------------------------

# The Patient model's column sizes.
PATIENT_NAME_MAX = 200
PATIENT_EMAIL_MAX = 254
PATIENT_PHONE_MAX = 30


def contained_patient(response: QuestionnaireResponse) -> Patient | None:
    """The Patient among `response.contained` that `response.subject` references
    ("#id"), or None."""
    reference = response.subject.reference if response.subject else None
    if not reference or not reference.startswith("#"):
        return None
    return next(
        (
            resource
            for resource in response.contained or []
            if isinstance(resource, Patient) and resource.id == reference[1:]
        ),
        None,
    )


def patient_details_from_response(
    response: QuestionnaireResponse,
) -> tuple[dict[str, Any], list[str]]:
    """Name, email, date of birth (and phone, if given) from the Patient that
    `response.subject` references among `response.contained`: {"full_name", "email",
    "date_of_birth", "phone"}, and the problems found (paths start with `Patient`)."""
    problems: list[str] = []
    reference = response.subject.reference if response.subject else None
    if not reference or not reference.startswith("#"):
        return {}, ['subject: must reference a contained Patient ("#id")']
    patient = contained_patient(response)
    if patient is None:
        return {}, [f"subject: no contained Patient with id {reference[1:]!r}"]

    details: dict[str, Any] = {}
    name = _patient_name(patient)
    if not name:
        problems.append("Patient.name: required (text, or given and family names)")
    elif len(name) > PATIENT_NAME_MAX:
        problems.append(f"Patient.name: at most {PATIENT_NAME_MAX} characters")
    details["full_name"] = name

    if patient.birthDate is None:
        problems.append("Patient.birthDate: required")
    elif not isinstance(patient.birthDate, datetime.date):
        problems.append("Patient.birthDate: must be a full date (YYYY-MM-DD)")
    else:
        details["date_of_birth"] = patient.birthDate

    emails = [c.value for c in patient.telecom or [] if c.system == "email" and c.value]
    if not emails:
        problems.append("Patient.telecom: an email address is required")
    else:
        try:
            validate_email(emails[0])
        except DjangoValidationError:
            problems.append("Patient.telecom: the email address is not valid")
        if len(emails[0]) > PATIENT_EMAIL_MAX:
            problems.append(
                f"Patient.telecom: an email address has at most {PATIENT_EMAIL_MAX} characters"
            )
        details["email"] = emails[0]
    phones = [c.value for c in patient.telecom or [] if c.system == "phone" and c.value]
    if phones:
        if len(phones[0]) > PATIENT_PHONE_MAX:
            problems.append(
                f"Patient.telecom: a phone number has at most {PATIENT_PHONE_MAX} characters"
            )
        details["phone"] = phones[0]
    return details, problems


def _patient_name(patient: Patient) -> str:
    for name in patient.name or []:
        if name.text and name.text.strip():
            return name.text.strip()
        parts = [*(name.given or []), name.family or ""]
        joined = " ".join(part.strip() for part in parts if part and part.strip())
        if joined:
            return joined
    return ""


def age_problems(
    answers: dict[str, Any], details: dict[str, Any], *, day: datetime.date
) -> list[str]:
    """The form works the age out from the date of birth; a posted response carries both,
    so they must agree on `day` (the day the response was authored)."""
    age = answers.get("age_years")
    date_of_birth = details.get("date_of_birth")
    if not isinstance(age, int) or date_of_birth is None:
        return []
    expected = age_on(date_of_birth, day)
    if age != expected:
        return [
            f"age_years: does not match Patient.birthDate (age {expected} on {day.isoformat()})"
        ]
    return []


def response_envelope_problems(response: QuestionnaireResponse) -> list[str]:
    """What must hold of a posted response beyond its items: the questionnaire it
    answers, and that it is complete."""
    problems = []
    expected = canonical(QUESTIONNAIRE_VERSION)
    if response.questionnaire != expected:
        problems.append(f"questionnaire: must be {expected}")
    if response.status != "completed":
        problems.append("status: must be completed")
    if response.identifier is not None and not response.identifier.value:
        problems.append("identifier.value: required when an identifier is given")
    return problems
