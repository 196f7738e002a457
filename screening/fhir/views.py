"""The FHIR endpoints under /fhir/ (docs/fhir.md).

- `GET /fhir/Questionnaire/<version>`: the published questionnaire; public, no personal data.
- `GET /fhir/staff/submissions/<uuid>/bundle.json`: one submission's Bundle for a clinician;
  `staff_view`, `access.submission_for_staff`, audited as EXPORT.
- `GET /fhir/Bundle?_since=<instant>`: submissions reviewed or closed since then, for an EHR
  with a read token; audited as EXPORT with the client's name and the count.
- `POST /fhir/QuestionnaireResponse`: an EHR with a write token creates a submission and
  gets its RiskAssessment back (201; 200 for a retry with the same identifier).

Views parse the request, read through `screening.domain.queries`, write through
`screening.domain.intake.intake_submit_from_ehr` (the submission and its audit event in one
transaction) and map with `screening.fhir` (`questionnaire`, `responses`,
`posted_response`, `bundle`). Every error is an OperationOutcome (`outcomes`), never an
HTML page.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.reference import Reference
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from screening.accounts import access
from screening.accounts.permissions import staff_view
from screening.domain.audit import audit_record
from screening.domain.intake import intake_submit_from_ehr
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.messages import submission_messages
from screening.domain.queries.records import submission_current_result
from screening.domain.text import free_text_of
from screening.engine.validation import validate_answers
from screening.fhir import bundle, posted_response, questionnaire, responses
from screening.fhir.api_auth import ApiRequest, api_client_required
from screening.fhir.body import posted_body
from screening.fhir.communications import MessageData
from screening.fhir.outcomes import FHIR_JSON, Issue, outcome_response, problem_issue
from screening.models import AuditEvent, LabResult, ScreeningResult, Submission
from screening.web.addresses import client_ip

# EHR pulls: reviewed or closed submissions, a page at a time.
PULLED_STATUSES = (Submission.Status.REVIEWED, Submission.Status.CLOSED)
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 50
OFFSET_MAX = 10**9  # far beyond any clinic's submissions, far below a 64-bit SQL OFFSET
POST_CONTENT_TYPES = ("application/fhir+json", "application/json")


def _fhir(resource: BaseModel, *, status: int = 200) -> HttpResponse:
    return HttpResponse(resource.model_dump_json(), content_type=FHIR_JSON, status=status)


def _problems_response(problems: list[str]) -> HttpResponse:
    unique = list(dict.fromkeys(problems))
    return outcome_response(400, [problem_issue(problem) for problem in unique])


# --- Reading one submission for export --------------------------------------------------


def _result_dict(row: ScreeningResult) -> dict:
    return {
        "rules_version": row.rules_version,
        "level": row.level,
        "possible_b12_deficiency": row.possible_b12_deficiency,
        "red_flags": list(row.red_flags),
        "reasons": list(row.reasons),
        "suggested_actions": list(row.suggested_actions),
        "lab_interpretation": {"b12_status": row.b12_status},
    }


def submission_export_data(*, submission: Submission) -> bundle.SubmissionExport:
    """Everything `bundle.submission_bundle` maps, read from the database: the patient's
    own answers (labs they reported), every lab result on the submission (theirs and
    staff-entered ones) and the current screening result."""
    answers = submission_answers(submission=submission)
    labs = [
        bundle.LabData(
            key=str(lab.pk),
            test=lab.test,
            value=responses.json_number(lab.value),
            unit=lab.unit,
            date=lab.date.isoformat(),
            source=lab.source,
        )
        for lab in submission.lab_results.order_by("id")
    ]
    answers.pop("labs", None)
    reported = [lab for lab in labs if lab.source == LabResult.Source.PATIENT]
    if reported:
        answers["labs"] = [
            {"test": lab.test, "value": lab.value, "unit": lab.unit, "date": lab.date}
            for lab in reported
        ]
    current = submission_current_result(submission=submission)
    patient = submission.patient
    return bundle.SubmissionExport(
        public_id=submission.public_id,
        reference=submission.reference,
        questionnaire_version=submission.questionnaire_version,
        status=submission.status,
        is_complete=submission.is_complete,
        submitted_at=submission.submitted_at,
        status_changed_at=submission.status_changed_at,
        answers=answers,
        free_text=free_text_of(submission),
        patient=bundle.PatientData(
            public_id=patient.public_id,
            full_name=patient.full_name,
            email=patient.email,
            date_of_birth=patient.date_of_birth,
        ),
        labs=labs,
        messages=[
            MessageData(row.public_id, row.created_at, row.body, row.reply, row.replied_at)
            for row in submission_messages(submission=submission)
        ],
        result=bundle.ResultData(
            key=str(current.pk), created_at=current.created_at, result=_result_dict(current)
        )
        if current
        else None,
    )


def submission_bundle(*, submission: Submission, now: datetime.datetime) -> Bundle:
    return bundle.submission_bundle(submission_export_data(submission=submission), timestamp=now)


# --- The published questionnaire ----------------------------------------------------------


@require_GET
def questionnaire_detail(request: HttpRequest, version: str) -> HttpResponse:
    published = questionnaire.questionnaire(version)
    if published is None:
        return outcome_response(
            404, [("not-found", f"No questionnaire version {version!r} is published", None)]
        )
    return _fhir(published)


# --- A clinician downloads one submission ---------------------------------------------------


@staff_view("screening.review_submission")
@require_GET
def staff_submission_bundle(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    submission = access.submission_for_staff(request, public_id, what="submission.fhir_bundle")
    export = submission_bundle(submission=submission, now=timezone.now())
    audit_record(
        by=request.user,
        address=client_ip(request),
        action=AuditEvent.Action.EXPORT,
        what="submission.fhir_bundle",
        object_type="submission",
        object_id=str(submission.public_id),
        patient=submission.patient,
        detail={"format": "fhir+json", "entries": len(export.entry or [])},
    )
    response = _fhir(export)
    response["Content-Disposition"] = f'attachment; filename="{submission.reference}.fhir.json"'
    return response


# --- An EHR pulls reviewed submissions ------------------------------------------------------


def parse_instant(raw: str) -> datetime.datetime | None:
    """An ISO 8601 date and time with a time zone, or None. A "+" sent unencoded in a
    query string arrives as a space; it is read back as "+"."""
    value = raw.strip().replace(" ", "+")
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    try:
        return parsed.astimezone(datetime.UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first UTC instant
        return None


def _int_param(raw: str | None, *, default: int, low: int, high: int) -> int | None:
    """A whole number in ASCII digits from low to high; the default when absent; else None
    (int() would take "²" or 5,000 digits only to raise, and a huge offset overflows SQL)."""
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        return None
    value = int(raw)
    if value < low or value > high:
        return None
    return value


@require_GET
@api_client_required("read")
def bundle_search(request: ApiRequest) -> HttpResponse:
    raw_since = request.GET.get("_since")
    since = parse_instant(raw_since) if raw_since else None
    issues: list[Issue] = []
    if since is None:
        issues.append(
            (
                "invalid",
                "_since: required, an ISO 8601 date and time with a time zone, "
                "e.g. 2025-06-15T09:00:00Z",
                "_since",
            )
        )
    count = _int_param(
        request.GET.get("_count"), default=PAGE_SIZE_DEFAULT, low=1, high=PAGE_SIZE_MAX
    )
    if count is None:
        issues.append(("invalid", f"_count: must be 1-{PAGE_SIZE_MAX}", "_count"))
    offset = _int_param(request.GET.get("_offset"), default=0, low=0, high=OFFSET_MAX)
    if offset is None:
        issues.append(("invalid", f"_offset: must be 0-{OFFSET_MAX}", "_offset"))
    if issues or since is None or count is None or offset is None:
        return outcome_response(400, issues)

    submissions = (
        Submission.objects.select_related("patient")
        .filter(status__in=PULLED_STATUSES, status_changed_at__gte=since)
        .order_by("status_changed_at", "id")
    )
    total = submissions.count()
    page = list(submissions[offset : offset + count])
    now = timezone.now()
    bundles = [submission_bundle(submission=submission, now=now) for submission in page]
    # From SITE_URL, the address EHRs are given: behind a proxy the request's own Host
    # and port are the proxy's upstream (127.0.0.1:8000), a link no EHR can follow.
    base = settings.SITE_URL.rstrip("/") + reverse("fhir:bundle_search")
    params = {"_since": since.isoformat(), "_count": count}
    next_url = None
    if offset + count < total:
        next_url = f"{base}?{urlencode({**params, '_offset': offset + count})}"
    result = bundle.searchset(
        bundles,
        total=total,
        timestamp=now,
        self_url=f"{base}?{urlencode({**params, '_offset': offset})}",
        next_url=next_url,
    )
    audit_record(
        by=None,  # a system with a token, not a staff member: named in the detail
        address=client_ip(request),
        action=AuditEvent.Action.EXPORT,
        what="fhir.bundle_search",
        object_type="submission",
        detail={
            "client": request.api_client.name,
            "count": len(bundles),
            "total": total,
            "since": since.isoformat(),
            "offset": offset,
            "submissions": [str(submission.public_id) for submission in page],
        },
    )
    return _fhir(result)


# --- An EHR posts a questionnaire response ---------------------------------------------------


def _structure_issue(error: ErrorDetails) -> Issue:
    path = "QuestionnaireResponse"
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return "structure", f"{path}: {error['msg']}", path


def idempotency_key(*, client_pk: int, identifier: Identifier | None) -> str:
    """The response's identifier, per client, as the intake's idempotency key; without
    one, a fresh key (a retry then creates a second submission)."""
    if identifier is None:
        return secrets.token_urlsafe(32)
    raw = f"fhir:{client_pk}:{identifier.system or ''}|{identifier.value}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _authored_day(response: QuestionnaireResponse) -> datetime.date:
    authored = response.authored
    if isinstance(authored, datetime.datetime):
        if timezone.is_naive(authored):
            return authored.date()
        try:
            return timezone.localdate(authored)
        except OverflowError:
            return authored.date()
    if isinstance(authored, datetime.date):
        return authored
    return timezone.localdate()


def _patient_details(details: dict) -> dict:
    """Details for `intake_submit_from_ehr`: what the contained Patient says, and no
    answer about email contact (an EHR does not say; a new patient from an EHR has not
    agreed). Nothing is read from an existing record: an EHR's post never changes one,
    and what it gets back must not depend on whether there was one (docs/security.md,
    "Patient identity")."""
    return {**details, "contact_consent": None}


def _subject(response: QuestionnaireResponse) -> tuple[Reference, list[BaseModel]]:
    """The RiskAssessment's subject: the patient as the EHR posted it, contained with
    only its id and the EHR's own identifiers, never the clinic's record (whether there
    was one is not for the response to say)."""
    posted = posted_response.contained_patient(response)
    assert posted is not None and posted.id  # patient_details_from_response checked it
    patient = FhirPatient(id=posted.id, identifier=posted.identifier)
    return Reference(reference=f"#{posted.id}", type="Patient"), [patient]


@csrf_exempt  # token auth, no cookies (api_auth makes the request anonymous)
@require_POST
@api_client_required("write")
def questionnaire_response_create(request: ApiRequest) -> HttpResponse:
    content_type = request.content_type or ""
    if content_type not in POST_CONTENT_TYPES:
        return outcome_response(
            415, [("not-supported", "Send the resource as application/fhir+json", None)]
        )
    body = posted_body(request)
    if isinstance(body, HttpResponse):
        return body  # 411 or 413, an OperationOutcome
    try:
        # pydantic parses the JSON without recursion: nesting too deep is a ValidationError.
        response = QuestionnaireResponse.model_validate_json(body)
    except ValidationError as error:
        return outcome_response(400, [_structure_issue(e) for e in error.errors()])
    except (TypeError, KeyError) as error:
        # fhir.resources raises these, not a ValidationError, for a contained resource whose
        # resourceType is missing, null or unknown (found by tests/security/test_fuzz.py).
        return outcome_response(
            400,
            [("structure", f"A resource in the body is not valid: {type(error).__name__}", None)],
        )

    problems = posted_response.response_envelope_problems(response)
    answers, mapping_problems = responses.answers_from_response(response)
    free_text, text_problems = responses.free_text_from_response(response)
    problems += mapping_problems + text_problems
    # The day of screening is today in the clinic's time zone, as the intake will screen
    # them (`domain.results.screen_answers`): a lab dated later is refused (E4). A lab value
    # must be below contract.LAB_VALUE_MAX, which LabResult.value (12 digits, 3 decimal
    # places) holds.
    problems += validate_answers(answers, today=timezone.localdate())
    details, patient_problems = posted_response.patient_details_from_response(response)
    problems += patient_problems
    problems += posted_response.age_problems(answers, details, day=_authored_day(response))
    if problems:
        return _problems_response(problems)

    client = request.api_client
    key = idempotency_key(client_pk=client.pk, identifier=response.identifier)
    submission, created = intake_submit_from_ehr(
        answers=answers,
        patient_details=_patient_details(details),
        idempotency_key=key,
        language=settings.LANGUAGE_CODE,
        by=client,
        address=client_ip(request),
        free_text=free_text,
    )
    current = submission_current_result(submission=submission)
    assert current is not None  # intake_submit stores the screening result with the submission
    subject, contained = _subject(response)
    identifiers = [bundle.submission_identifier(submission.public_id)]
    if response.identifier is not None:
        identifiers.append(response.identifier)
    assessment = bundle.risk_assessment(
        _result_dict(current),
        assessment_id=bundle.resource_id(submission.public_id, f"RiskAssessment/{current.pk}"),
        subject=subject,
        contained=contained,
        basis=[
            Reference(
                type="QuestionnaireResponse",
                identifier=bundle.submission_identifier(submission.public_id),
            )
        ],
        occurrence=current.created_at,
        final=submission.is_complete,
        identifier=identifiers,
    )
    return _fhir(assessment, status=201 if created else 200)
