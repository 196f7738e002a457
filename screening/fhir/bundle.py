"""FHIR R4 export of one submission: a `collection` Bundle of Patient,
QuestionnaireResponse, RiskAssessment (the screening result), Flag (the clinic's review),
one Observation per lab result and one Communication per message to the patient and per
reply (`communications`); and the `searchset` of such Bundles an EHR pulls.

Pure mapping, as `questionnaire`: callers pass plain data in (`SubmissionExport`, a result
dict) and get `fhir.resources` models out. `screening.fhir.views` gathers the data from the
database and serves the JSON. docs/fhir.md has the mapping table.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.riskassessment import RiskAssessment, RiskAssessmentPrediction

from screening import labels
from screening.fhir.communications import MessageData, communications
from screening.fhir.questionnaire import english
from screening.fhir.responses import lab_quantity, questionnaire_response
from screening.models import OPEN_STATUSES

# --- Identifier and code systems -------------------------------------------------------
# The clinic's own systems are URNs: they name, they do not resolve. Only LOINC, UCUM and
# HL7's own code systems are external (the questionnaire's are in `questionnaire`).
PATIENT_SYSTEM = "urn:b12-clinic:patient"
SUBMISSION_SYSTEM = "urn:b12-clinic:submission"
RULES_SYSTEM = "urn:b12-clinic:rules"
LEVEL_SYSTEM = "urn:b12-clinic:level"
OUTCOME_SYSTEM = "urn:b12-clinic:screening-outcome"
ASSESSMENT_SYSTEM = "urn:b12-clinic:assessment"
FLAG_SYSTEM = "urn:b12-clinic:flag"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"

# LOINC codes, only where a source confirmed them (docs/fhir.md, "LOINC codes"), keyed by
# (test, unit): a mass code never labels a result in moles. A (test, unit) missing here is
# exported with `code.text` only.
LOINC_CODES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("total_b12", "ng/L"): ("2132-9", None),
    ("total_b12", "pg/mL"): ("2132-9", None),
    ("active_b12", "pmol/L"): ("72160-5", "Holo-transcobalamin II [Moles/volume] in Serum"),
    ("mma", "umol/L"): ("13964-2", None),
    ("mma", "nmol/L"): ("13964-2", None),
    ("haemoglobin", "g/L"): ("718-7", "Hemoglobin [Mass/volume] in Blood"),
    ("haemoglobin", "g/dL"): ("718-7", "Hemoglobin [Mass/volume] in Blood"),
    ("mcv", "fL"): ("787-2", "MCV [Entitic volume] by Automated count"),
    ("folate", "ug/L"): ("2284-8", None),
}

OUTCOME_POSSIBLE = "possible_b12_deficiency"
OUTCOME_NOT_MET = "test_criteria_not_met"
OUTCOME_TEXTS = {
    OUTCOME_POSSIBLE: "Possible vitamin B12 deficiency: a B12 test is indicated",
    OUTCOME_NOT_MET: "Criteria for a B12 test not met on these answers",
}


def urn(value: uuid.UUID | str) -> str:
    return f"urn:uuid:{value}"


# --- A submission's export -------------------------------------------------------------


@dataclass(frozen=True)
class PatientData:
    public_id: uuid.UUID
    full_name: str
    email: str
    date_of_birth: datetime.date


@dataclass(frozen=True)
class LabData:
    key: str  # stable for the lab result (its primary key); names its Observation
    test: str
    value: int | float
    unit: str
    date: str  # YYYY-MM-DD
    source: str  # "patient" (answered in the intake) or "clinician" (entered by staff)


@dataclass(frozen=True)
class ResultData:
    key: str  # stable for the stored result; names its RiskAssessment
    created_at: datetime.datetime
    result: dict[str, Any]  # the contract's result object


@dataclass(frozen=True)
class SubmissionExport:
    public_id: uuid.UUID
    reference: str
    questionnaire_version: str
    status: str
    is_complete: bool
    submitted_at: datetime.datetime
    status_changed_at: datetime.datetime | None
    # The patient's own answers (labs they reported, not staff-entered ones).
    answers: dict[str, Any]
    patient: PatientData
    labs: list[LabData] = field(default_factory=list)
    result: ResultData | None = None
    # The patient's own words (other_medicines, anything_else): exported, never screened.
    free_text: dict[str, str] = field(default_factory=dict)
    # The clinic's messages to the patient and their replies (Communication resources).
    messages: list[MessageData] = field(default_factory=list)


def resource_id(submission_id: uuid.UUID, name: str) -> str:
    """A stable id for one resource of a submission's export (same input, same id)."""
    return str(uuid.uuid5(submission_id, name))


def patient_resource(patient: PatientData) -> Patient:
    """Only what identifies the person: opaque id, name, date of birth, email."""
    return Patient(
        id=str(patient.public_id),
        identifier=[Identifier(system=PATIENT_SYSTEM, value=str(patient.public_id))],
        name=[HumanName(text=patient.full_name)],
        birthDate=patient.date_of_birth,
        telecom=[ContactPoint(system="email", value=patient.email)],
    )


def _outcome(result: dict[str, Any]) -> CodeableConcept:
    code = OUTCOME_POSSIBLE if result["possible_b12_deficiency"] else OUTCOME_NOT_MET
    return CodeableConcept(
        coding=[Coding(system=OUTCOME_SYSTEM, code=code, display=OUTCOME_TEXTS[code])],
        text=OUTCOME_TEXTS[code],
    )


def reason_note(reason: dict[str, Any]) -> str:
    """One reason as an Annotation text: "code: text (source: ...)"."""
    return f"{reason['code']}: {reason['text']} (source: {reason['source']})"


def risk_assessment(
    result: dict[str, Any],
    *,
    assessment_id: str | None,
    subject: Reference,
    basis: list[Reference],
    occurrence: datetime.datetime,
    final: bool = True,
    identifier: list[Identifier] | None = None,
    contained: list[Any] | None = None,
) -> RiskAssessment:
    """The screening result as a RiskAssessment: the rules version as `method`, one
    prediction (possible B12 deficiency, the review level as `qualitativeRisk`, the
    reasons' texts as `rationale`), each reason with its code and source as a note, the
    suggested actions as `mitigation`."""
    level = result["level"]
    rules_version = result["rules_version"]
    reasons = result["reasons"]
    b12_status = result["lab_interpretation"]["b12_status"]
    notes = [Annotation(text=reason_note(reason)) for reason in reasons]
    notes.append(
        Annotation(
            text=f"lab_interpretation.b12_status: {b12_status} "
            f"({english(labels.B12_STATUS_LABELS[b12_status])})"
        )
    )
    actions = "; ".join(f"{a['text']} ({a['code']})" for a in result["suggested_actions"])
    return RiskAssessment(
        id=assessment_id,
        contained=contained or None,
        identifier=identifier,
        status="final" if final else "preliminary",
        code=CodeableConcept(
            coding=[Coding(system=ASSESSMENT_SYSTEM, code="b12-screening")],
            text="Vitamin B12 deficiency screening (triage aid, not a diagnosis)",
        ),
        method=CodeableConcept(
            coding=[
                Coding(
                    system=RULES_SYSTEM,
                    code=rules_version,
                    display=f"B12 screening rules {rules_version}",
                )
            ],
            text=f"B12 screening rules, version {rules_version}",
        ),
        subject=subject,
        occurrenceDateTime=occurrence,
        basis=basis or None,
        prediction=[
            RiskAssessmentPrediction(
                outcome=_outcome(result),
                qualitativeRisk=CodeableConcept(
                    coding=[
                        Coding(
                            system=LEVEL_SYSTEM,
                            code=level,
                            display=english(labels.LEVEL_LABELS[level]),
                        )
                    ],
                    text=english(labels.LEVEL_LABELS[level]),
                ),
                rationale=" ".join(reason["text"] for reason in reasons) or None,
            )
        ],
        mitigation=actions or None,
        note=notes,
    )


def _lab_code(lab: LabData) -> CodeableConcept:
    text = english(labels.LAB_TEST_LABELS[lab.test])
    loinc = LOINC_CODES.get((lab.test, lab.unit))
    coding = [Coding(system=LOINC, code=loinc[0], display=loinc[1])] if loinc else None
    return CodeableConcept(coding=coding, text=text)


def observation(
    lab: LabData, *, observation_id: str, subject: Reference, response: Reference
) -> Observation:
    """One lab result: LOINC where confirmed, the value as a UCUM Quantity. A result the
    patient reported is derived from their QuestionnaireResponse."""
    patient_reported = lab.source == "patient"
    return Observation(
        id=observation_id,
        status="final",
        category=[
            CodeableConcept(
                coding=[Coding(system=OBSERVATION_CATEGORY, code="laboratory")],
                text="Laboratory",
            )
        ],
        code=_lab_code(lab),
        subject=subject,
        # FHIR's dateTime may be a date alone; the library's hints say datetime only.
        effectiveDateTime=datetime.date.fromisoformat(lab.date),  # type: ignore[arg-type]
        valueQuantity=lab_quantity({"value": lab.value, "unit": lab.unit}),
        derivedFrom=[response] if patient_reported else None,
        note=[
            Annotation(
                text="Reported by the patient on the intake form"
                if patient_reported
                else "Entered by clinic staff"
            )
        ],
    )


def review_flag(
    data: SubmissionExport, *, flag_id: str, subject: Reference, level: str | None
) -> Flag:
    """Active while the clinic's review is open (new, in review, awaiting a test)."""
    is_open = data.status in OPEN_STATUSES  # the Flag: active while the review is open
    level_text = f": {english(labels.LEVEL_LABELS[level])}" if level else ""
    return Flag(
        id=flag_id,
        status="active" if is_open else "inactive",
        category=[
            CodeableConcept(
                coding=[Coding(system=FLAG_CATEGORY, code="clinical", display="Clinical")]
            )
        ],
        code=CodeableConcept(
            coding=[
                Coding(
                    system=FLAG_SYSTEM,
                    code="b12-screening-review",
                    display="B12 screening awaiting clinic review",
                )
            ],
            text=f"B12 screening{level_text}; "
            + ("clinic review open" if is_open else "clinic review done"),
        ),
        subject=subject,
        period=Period(
            start=data.submitted_at,
            end=None if is_open else data.status_changed_at,
        ),
    )


def submission_identifier(public_id: uuid.UUID) -> Identifier:
    return Identifier(system=SUBMISSION_SYSTEM, value=str(public_id))


def submission_bundle(data: SubmissionExport, *, timestamp: datetime.datetime) -> Bundle:
    """A submission as a `collection` Bundle: Patient, QuestionnaireResponse,
    RiskAssessment (the current result, if any), Flag, one Observation per lab result."""
    patient_id = str(data.patient.public_id)
    response_id = str(data.public_id)
    subject = Reference(reference=urn(patient_id))
    response_ref = Reference(reference=urn(response_id))
    resources: list[Any] = [
        patient_resource(data.patient),
        questionnaire_response(
            data.answers,
            version=data.questionnaire_version,
            response_id=response_id,
            identifier=submission_identifier(data.public_id),
            subject=subject,
            authored=data.submitted_at,
            complete=data.is_complete,
            free_text=data.free_text,
        ),
    ]
    observation_ids = [resource_id(data.public_id, f"Observation/{lab.key}") for lab in data.labs]
    observations = [
        observation(lab, observation_id=observation_id, subject=subject, response=response_ref)
        for lab, observation_id in zip(data.labs, observation_ids, strict=True)
    ]
    if data.result is not None:
        resources.append(
            risk_assessment(
                data.result.result,
                assessment_id=resource_id(data.public_id, f"RiskAssessment/{data.result.key}"),
                subject=subject,
                basis=[response_ref, *(Reference(reference=urn(id_)) for id_ in observation_ids)],
                occurrence=data.result.created_at,
                final=data.is_complete,
                identifier=[submission_identifier(data.public_id)],
            )
        )
    resources.append(
        review_flag(
            data,
            flag_id=resource_id(data.public_id, "Flag"),
            subject=subject,
            level=data.result.result["level"] if data.result else None,
        )
    )
    resources.extend(observations)
    resources.extend(communications(data.messages, subject=subject, about=response_ref))
    return Bundle(
        id=str(data.public_id),
        identifier=submission_identifier(data.public_id),
        type="collection",
        timestamp=timestamp,
        entry=[BundleEntry(fullUrl=urn(resource.id), resource=resource) for resource in resources],
    )


def searchset(
    bundles: list[Bundle],
    *,
    total: int,
    timestamp: datetime.datetime,
    self_url: str,
    next_url: str | None = None,
) -> Bundle:
    """A search result whose entries are submission Bundles."""
    links = [BundleLink(relation="self", url=self_url)]
    if next_url:
        links.append(BundleLink(relation="next", url=next_url))
    return Bundle(
        type="searchset",
        total=total,
        timestamp=timestamp,
        link=links,
        entry=[
            BundleEntry(
                fullUrl=urn(str(bundle.id)),
                resource=bundle,
                search=BundleEntrySearch(mode="match"),
            )
            for bundle in bundles
        ]
        or None,
    )
