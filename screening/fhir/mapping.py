"""FHIR R4 for one intake: the published Questionnaire, answers <-> QuestionnaireResponse,
and a submission's export Bundle.

Pure mapping: no database, no clock, no I/O. Callers pass plain data in (`SubmissionExport`,
an answers dict, a result dict) and get `fhir.resources` models out; building a model
validates it, so nothing invalid leaves this module. `screening.fhir.views` gathers the
data from the database and serves the JSON. docs/fhir.md has the mapping table.

Models are fhir.resources' R4B classes: R4B leaves every resource used here structurally
unchanged from R4 (docs/fhir.md, "Library"), and the library validates choice types,
primitive formats and unknown keys, which the R4-only alternative does not.

linkIds are the answers contract's key paths (`age_years`, `symptoms.fatigue.severity`,
`labs.value`), so a problem found in a posted response names the same path as
`screening.engine.validation` does.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import translation
from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.questionnaire import (
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireItemAnswerOption,
    QuestionnaireItemEnableWhen,
)
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.riskassessment import RiskAssessment, RiskAssessmentPrediction

from screening import labels
from screening.engine import contract
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION, age_on
from screening.models import OPEN_STATUSES

FHIR_JSON = "application/fhir+json"

# --- Identifier and code systems -------------------------------------------------------
# The clinic's own systems are URNs: they name, they do not resolve. Only LOINC, UCUM and
# HL7's own code systems are external.
PATIENT_SYSTEM = "urn:b12-clinic:patient"
SUBMISSION_SYSTEM = "urn:b12-clinic:submission"
RULES_SYSTEM = "urn:b12-clinic:rules"
LEVEL_SYSTEM = "urn:b12-clinic:level"
OUTCOME_SYSTEM = "urn:b12-clinic:screening-outcome"
ASSESSMENT_SYSTEM = "urn:b12-clinic:assessment"
FLAG_SYSTEM = "urn:b12-clinic:flag"
ANSWER_SYSTEM = "urn:b12-clinic:answer:"  # + the question's key: urn:b12-clinic:answer:diet
QUESTIONNAIRE_URL = "urn:b12-clinic:questionnaire:intake"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"

# A medicines or conditions answer of "none" (an empty list: asked, and none apply), which
# is different from the question being absent (not asked).
NONE_CODE = "none"
NONE_LABEL = "None of these"


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

SYMPTOM_DETAIL_TEXTS = {
    "present": "Has this symptom",
    "severity": "How bad (0-10)",
    "duration_weeks": "For how long (weeks)",
    "sites": "Where",
    "both_sides": "On both sides of the body",
}


def canonical(version: str) -> str:
    """The Questionnaire canonical a QuestionnaireResponse points at: url|version."""
    return f"{QUESTIONNAIRE_URL}|{version}"


def urn(value: uuid.UUID | str) -> str:
    return f"urn:uuid:{value}"


def _text(label) -> str:
    """A lazy label in English: FHIR resources leave the clinic in one language."""
    with translation.override("en"):
        return str(label)


# --- The answer codes ------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One question's answer codes: a code system of its own, the codes, their labels."""

    key: str
    codes: tuple[str, ...]
    code_labels: dict

    @property
    def system(self) -> str:
        return ANSWER_SYSTEM + self.key

    def coding(self, code: str) -> Coding:
        label = NONE_LABEL if code == NONE_CODE else self.code_labels.get(code, code)
        return Coding(system=self.system, code=code, display=_text(label))


CHOICES = {
    "sex": Choice("sex", contract.SEXES, labels.SEX_LABELS),
    "pregnant": Choice("pregnant", contract.PREGNANT_CHOICES, labels.PREGNANT_LABELS),
    "diet": Choice("diet", contract.DIETS, labels.DIET_LABELS),
    "b12_treatment": Choice("b12_treatment", contract.B12_TREATMENTS, labels.B12_TREATMENT_LABELS),
    "medicines": Choice("medicines", (*contract.MEDICINES, NONE_CODE), labels.MEDICINE_LABELS),
    "conditions": Choice("conditions", (*contract.CONDITIONS, NONE_CODE), labels.CONDITION_LABELS),
    "labs.test": Choice("lab-test", contract.LAB_TESTS, labels.LAB_TEST_LABELS),
    **{
        f"symptoms.{symptom}.sites": Choice(f"{symptom}-sites", sites, labels.SITE_LABELS[symptom])
        for symptom, sites in contract.SYMPTOM_SITES.items()
    },
}

# Single answers, in the order the questionnaire asks them: key -> (FHIR item type, text).
SCALAR_QUESTIONS = {
    "age_years": ("integer", "Age on the day of the intake (years)"),
    "sex": ("choice", "Sex registered at birth"),
    "pregnant": ("choice", "Pregnant (asked only where it can apply)"),
    "breastfeeding": ("boolean", "Breastfeeding"),
    "diet": ("choice", "Usual diet"),
    "alcohol_units_per_week": ("integer", "Alcohol (units a week)"),
    "family_history": (
        "boolean",
        "A parent, sibling or child with B12 deficiency, pernicious anaemia or another "
        "autoimmune condition",
    ),
    "b12_treatment": ("choice", "Taking vitamin B12 now"),
}
CODE_LIST_QUESTIONS = {
    "medicines": "Medicines taken now, or for most of the last 4 months",
    "conditions": "Diagnosed conditions and past surgery",
}
# Top-level items follow the contract's order of answer keys (groups included).


def symptom_details(symptom: str) -> tuple[str, ...]:
    """The answers one symptom can carry, in the contract's order."""
    details = ["present", "severity", "duration_weeks"]
    if symptom in contract.SYMPTOM_SITES:
        details.append("sites")
    if symptom in contract.SYMPTOMS_WITH_BOTH_SIDES:
        details.append("both_sides")
    return tuple(details)


# --- The Questionnaire -------------------------------------------------------------------


def _question(link_id: str, item_type: str, text: str, **extra) -> QuestionnaireItem:
    if item_type == "choice":
        extra["answerOption"] = [
            QuestionnaireItemAnswerOption(valueCoding=CHOICES[link_id].coding(code))
            for code in CHOICES[link_id].codes
        ]
    return QuestionnaireItem(linkId=link_id, type=item_type, text=text, **extra)


def _symptom_group(symptom: str) -> QuestionnaireItem:
    base = f"symptoms.{symptom}"
    when_present = [
        QuestionnaireItemEnableWhen(question=f"{base}.present", operator="=", answerBoolean=True)
    ]
    types = {
        "present": "boolean",
        "severity": "integer",
        "duration_weeks": "integer",
        "sites": "choice",
        "both_sides": "boolean",
    }
    items = []
    for detail in symptom_details(symptom):
        extra = {"required": True} if detail == "present" else {"enableWhen": when_present}
        if detail == "sites":
            extra["repeats"] = True
        items.append(
            _question(f"{base}.{detail}", types[detail], SYMPTOM_DETAIL_TEXTS[detail], **extra)
        )
    return QuestionnaireItem(
        linkId=base, type="group", text=_text(labels.SYMPTOM_LABELS[symptom]), item=items
    )


def _top_level_question(key: str) -> QuestionnaireItem:
    if key in SCALAR_QUESTIONS:
        item_type, text = SCALAR_QUESTIONS[key]
        return _question(key, item_type, text, required=key in contract.REQUIRED_ANSWER_KEYS)
    if key in CODE_LIST_QUESTIONS:
        return _question(key, "choice", CODE_LIST_QUESTIONS[key], repeats=True)
    if key == "symptoms":
        return QuestionnaireItem(
            linkId="symptoms",
            type="group",
            text="Symptoms the patient has noticed",
            item=[_symptom_group(symptom) for symptom in contract.SYMPTOMS],
        )
    if key == "red_flags":
        return QuestionnaireItem(
            linkId="red_flags",
            type="group",
            text="Answers that need care now",
            item=[
                _question(f"red_flags.{code}", "boolean", _text(labels.RED_FLAG_QUESTIONS[code]))
                for code in contract.RED_FLAGS
            ],
        )
    if key == "labs":
        return QuestionnaireItem(
            linkId="labs",
            type="group",
            text="Recent blood test results",
            repeats=True,
            item=[
                _question("labs.test", "choice", "Test", required=True),
                _question(
                    "labs.value",
                    "quantity",
                    "Result, with its unit (UCUM code)",
                    required=True,
                ),
                _question("labs.date", "date", "Date of the test", required=True),
            ],
        )
    raise KeyError(key)


def questionnaire(version: str) -> Questionnaire | None:
    """The published Questionnaire for `version`, or None for a version not published.

    Only the current version is defined; when QUESTIONNAIRE_VERSION changes, keep the old
    definition here if responses to it must still be readable.
    """
    if version != QUESTIONNAIRE_VERSION:
        return None
    return Questionnaire(
        id=version,  # GET /fhir/Questionnaire/<version> answers with this resource
        url=QUESTIONNAIRE_URL,
        version=version,
        name="B12IntakeQuestionnaire",
        title="Vitamin B12 deficiency screening intake",
        status="active",
        subjectType=["Patient"],
        publisher="B12 screening clinic",
        description=(
            "The intake's questions, one item per key of the answers contract. linkIds are "
            "the contract's key paths. Contains no personal data."
        ),
        item=[_top_level_question(key) for key in contract.ANSWER_KEYS],
    )


# --- Answers -> QuestionnaireResponse ------------------------------------------------------


def _number_decimal(value: int | float) -> Decimal:
    return Decimal(str(value))


def json_number(value: Decimal) -> int | float:
    """A FHIR decimal as the contract's JSON number (250, not 250.0; 12.5 stays 12.5)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _answer(item_type: str, value, *, link_id: str) -> QuestionnaireResponseItemAnswer:
    if item_type == "boolean":
        return QuestionnaireResponseItemAnswer(valueBoolean=value)
    if item_type == "integer":
        return QuestionnaireResponseItemAnswer(valueInteger=value)
    if item_type == "choice":
        return QuestionnaireResponseItemAnswer(valueCoding=CHOICES[link_id].coding(value))
    if item_type == "date":
        return QuestionnaireResponseItemAnswer(valueDate=datetime.date.fromisoformat(value))
    raise ValueError(item_type)


def _item(link_id: str, answers: list, text: str | None = None) -> QuestionnaireResponseItem:
    return QuestionnaireResponseItem(linkId=link_id, text=text, answer=answers)


def _symptom_response_item(symptom: str, answer: dict) -> QuestionnaireResponseItem:
    base = f"symptoms.{symptom}"
    types = {"present": "boolean", "severity": "integer", "duration_weeks": "integer"}
    items = []
    for detail in symptom_details(symptom):
        if detail not in answer:
            continue
        link_id = f"{base}.{detail}"
        if detail == "sites":
            values = [_answer("choice", site, link_id=link_id) for site in answer["sites"]]
            if not values:
                continue  # an empty list of sites says no more than no sites
        elif detail == "both_sides":
            values = [_answer("boolean", answer[detail], link_id=link_id)]
        else:
            values = [_answer(types[detail], answer[detail], link_id=link_id)]
        items.append(_item(link_id, values))
    return QuestionnaireResponseItem(
        linkId=base, text=_text(labels.SYMPTOM_LABELS[symptom]), item=items
    )


def _lab_response_item(lab: dict) -> QuestionnaireResponseItem:
    return QuestionnaireResponseItem(
        linkId="labs",
        item=[
            _item("labs.test", [_answer("choice", lab["test"], link_id="labs.test")]),
            _item("labs.value", [QuestionnaireResponseItemAnswer(valueQuantity=_quantity(lab))]),
            _item("labs.date", [_answer("date", lab["date"], link_id="labs.date")]),
        ],
    )


def _quantity(lab: dict) -> Quantity:
    unit = lab["unit"]
    return Quantity(
        value=_number_decimal(lab["value"]),
        unit=labels.UNIT_LABELS.get(unit, unit),
        system=UCUM,
        code=unit,
    )


def response_items(answers: dict) -> list[QuestionnaireResponseItem]:
    """QuestionnaireResponse items for a valid answers dict, in questionnaire order.

    Every key present becomes an item; an absent key stays absent. An empty medicines or
    conditions list is the answer "none".
    """
    items: list[QuestionnaireResponseItem] = []
    for key in contract.ANSWER_KEYS:
        if key not in answers:
            continue
        value = answers[key]
        if key in SCALAR_QUESTIONS:
            item_type, text = SCALAR_QUESTIONS[key]
            items.append(_item(key, [_answer(item_type, value, link_id=key)], text))
        elif key in CODE_LIST_QUESTIONS:
            codes = value or [NONE_CODE]
            items.append(
                _item(
                    key,
                    [_answer("choice", code, link_id=key) for code in codes],
                    CODE_LIST_QUESTIONS[key],
                )
            )
        elif key == "symptoms":
            ordered = [symptom for symptom in contract.SYMPTOMS if symptom in value]
            items.append(
                QuestionnaireResponseItem(
                    linkId="symptoms",
                    item=[_symptom_response_item(symptom, value[symptom]) for symptom in ordered],
                )
            )
        elif key == "red_flags":
            items.append(
                QuestionnaireResponseItem(
                    linkId="red_flags",
                    item=[
                        _item(f"red_flags.{code}", [_answer("boolean", value[code], link_id="")])
                        for code in contract.RED_FLAGS
                        if code in value
                    ],
                )
            )
        elif key == "labs":
            items.extend(_lab_response_item(lab) for lab in value)
    return [item for item in items if item.answer or item.item]


def questionnaire_response(
    answers: dict,
    *,
    version: str,
    response_id: str | None = None,
    identifier: Identifier | None = None,
    subject: Reference | None = None,
    authored: datetime.datetime | None = None,
    complete: bool = True,
) -> QuestionnaireResponse:
    return QuestionnaireResponse(
        id=response_id,
        identifier=identifier,
        questionnaire=canonical(version),
        status="completed" if complete else "in-progress",
        subject=subject,
        authored=authored,
        item=response_items(answers) or None,
    )


# --- QuestionnaireResponse -> answers ------------------------------------------------------


class _Reader:
    """Turns response items back into answers, collecting every problem (key path first,
    as `screening.engine.validation` writes them) instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def values(self, item: QuestionnaireResponseItem, path: str) -> list:
        if item.item:
            self.problem(path, "has nested items, but this question takes answers only")
        values = []
        for answer in item.answer or []:
            if answer.item:
                self.problem(path, "has items nested in an answer; none are defined")
            values.append(self._value(answer, path))
        return values

    def single(self, item: QuestionnaireResponseItem, path: str):
        values = self.values(item, path)
        if len(values) != 1:
            self.problem(path, f"must have exactly one answer, not {len(values)}")
            return None
        return values[0]

    def _value(self, answer: QuestionnaireResponseItemAnswer, path: str):
        if answer.valueCoding is not None:
            return self._code(answer.valueCoding, path)
        if answer.valueDecimal is not None:
            return json_number(answer.valueDecimal)
        if answer.valueDate is not None:
            return _date_text(answer.valueDate)
        for name in ("valueBoolean", "valueInteger", "valueString", "valueDateTime"):
            value = getattr(answer, name)
            if value is not None:
                return _date_text(value) if isinstance(value, datetime.date) else value
        if answer.valueQuantity is not None:
            return answer.valueQuantity
        self.problem(path, "this type of answer is not used by the questionnaire")
        return None

    def _code(self, coding: Coding, path: str) -> str | None:
        choice = CHOICES.get(_choice_key(path))
        if choice is not None and coding.system is not None and coding.system != choice.system:
            self.problem(path, f"coding system must be {choice.system}")
        return coding.code


def _choice_key(path: str) -> str:
    """The CHOICES key for a key path: labs[0].test -> labs.test."""
    if path.startswith("labs["):
        return "labs." + path.split(".", 1)[1]
    return path


def _date_text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def answers_from_response(response: QuestionnaireResponse) -> tuple[dict, list[str]]:
    """The answers dict a QuestionnaireResponse carries, and the problems met reading it.

    The answers still need `validation.validate_answers`: this only maps items to keys and
    FHIR values to JSON values, so a wrong value (an age of 300) reaches the contract check
    and is reported there under its key path.
    """
    reader = _Reader()
    answers: dict = {}
    for item in response.item or []:
        key = item.linkId
        if key in answers and key != "labs":
            reader.problem(key, "answered more than once")
            continue
        if key in SCALAR_QUESTIONS:
            answers[key] = reader.single(item, key)
        elif key in CODE_LIST_QUESTIONS:
            codes = reader.values(item, key)
            if NONE_CODE in codes and len(codes) > 1:
                reader.problem(key, f"'{NONE_CODE}' cannot be combined with other answers")
            answers[key] = [code for code in codes if code != NONE_CODE]
        elif key == "symptoms":
            answers[key] = _read_symptoms(item, reader)
        elif key == "red_flags":
            answers[key] = _read_group_answers(item, "red_flags", reader)
        elif key == "labs":
            labs = answers.setdefault("labs", [])
            labs.append(_read_lab(item, f"labs[{len(labs)}]", reader))
        else:
            reader.problem(key, "unknown question (no such linkId in the questionnaire)")
    return answers, reader.problems


def _children(item: QuestionnaireResponseItem, path: str, reader: _Reader) -> list:
    if item.answer:
        reader.problem(path, "is a group; its answers belong in its items")
    return item.item or []


def _read_group_answers(item: QuestionnaireResponseItem, path: str, reader: _Reader) -> dict:
    """A group of single answers: red_flags.chest_pain -> {"chest_pain": value}."""
    values: dict = {}
    prefix = f"{path}."
    for child in _children(item, path, reader):
        if not child.linkId.startswith(prefix):
            reader.problem(child.linkId, f"does not belong in {path}")
            continue
        name = child.linkId.removeprefix(prefix)
        if name in values:
            reader.problem(child.linkId, "answered more than once")
            continue
        if path.startswith("symptoms.") and name == "sites":
            values[name] = reader.values(child, child.linkId)
        else:
            values[name] = reader.single(child, child.linkId)
    return values


def _read_symptoms(item: QuestionnaireResponseItem, reader: _Reader) -> dict:
    symptoms: dict = {}
    for child in _children(item, "symptoms", reader):
        name = child.linkId.removeprefix("symptoms.")
        if not child.linkId.startswith("symptoms.") or "." in name:
            reader.problem(child.linkId, "is not a symptom group of the questionnaire")
            continue
        if name in symptoms:
            reader.problem(child.linkId, "answered more than once")
            continue
        symptoms[name] = _read_group_answers(child, child.linkId, reader)
    return symptoms


def _read_lab(item: QuestionnaireResponseItem, path: str, reader: _Reader) -> dict:
    lab: dict = {}
    for child in _children(item, path, reader):
        name = child.linkId.removeprefix("labs.")
        child_path = f"{path}.{name}"
        if not child.linkId.startswith("labs.") or name not in ("test", "value", "date"):
            reader.problem(f"{path}.{child.linkId}", "unknown item in a lab result")
            continue
        if name in lab or (name == "value" and "unit" in lab):
            reader.problem(child_path, "answered more than once")
            continue
        value = reader.single(child, child_path)
        if name != "value":
            lab[name] = value
        elif isinstance(value, Quantity):
            if value.value is not None:
                lab["value"] = json_number(value.value)
            unit = value.code or _unit_from_label(value.unit)
            if unit is not None:
                lab["unit"] = unit
            if value.system is not None and value.system != UCUM:
                reader.problem(f"{path}.unit", f"the unit's system must be {UCUM}")
        elif value is not None:
            reader.problem(child_path, "must be a Quantity (value and UCUM unit code)")
    return lab


def _unit_from_label(label: str | None) -> str | None:
    if label is None:
        return None
    by_label = {shown: unit for unit, shown in labels.UNIT_LABELS.items()}
    return by_label.get(label, label)


# --- Who the patient is, from a posted response -----------------------------------------

# The Patient model's column sizes.
PATIENT_NAME_MAX = 200
PATIENT_EMAIL_MAX = 254
PATIENT_PHONE_MAX = 30


def patient_details_from_response(response: QuestionnaireResponse) -> tuple[dict, list[str]]:
    """Name, email, date of birth (and phone, if given) from the Patient that
    `response.subject` references among `response.contained`: {"full_name", "email",
    "date_of_birth", "phone"}, and the problems found (paths start with `Patient`)."""
    problems: list[str] = []
    reference = response.subject.reference if response.subject else None
    if not reference or not reference.startswith("#"):
        return {}, ['subject: must reference a contained Patient ("#id")']
    patient = next(
        (
            resource
            for resource in response.contained or []
            if resource.get_resource_type() == "Patient" and resource.id == reference[1:]
        ),
        None,
    )
    if patient is None:
        return {}, [f"subject: no contained Patient with id {reference[1:]!r}"]

    details: dict = {}
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


def age_problems(answers: dict, details: dict, *, day: datetime.date) -> list[str]:
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
    result: dict  # the contract's result object


@dataclass(frozen=True)
class SubmissionExport:
    public_id: uuid.UUID
    reference: str
    questionnaire_version: str
    status: str
    is_complete: bool
    submitted_at: datetime.datetime
    status_changed_at: datetime.datetime | None
    answers: dict  # the patient's own answers (labs they reported, not staff-entered ones)
    patient: PatientData
    labs: list[LabData] = field(default_factory=list)
    result: ResultData | None = None


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


def _outcome(result: dict) -> CodeableConcept:
    code = OUTCOME_POSSIBLE if result["possible_b12_deficiency"] else OUTCOME_NOT_MET
    return CodeableConcept(
        coding=[Coding(system=OUTCOME_SYSTEM, code=code, display=OUTCOME_TEXTS[code])],
        text=OUTCOME_TEXTS[code],
    )


def reason_note(reason: dict) -> str:
    """One reason as an Annotation text: "code: text (source: ...)"."""
    return f"{reason['code']}: {reason['text']} (source: {reason['source']})"


def risk_assessment(
    result: dict,
    *,
    assessment_id: str | None,
    subject: Reference,
    basis: list[Reference],
    occurrence: datetime.datetime,
    final: bool = True,
    identifier: list[Identifier] | None = None,
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
            f"({_text(labels.B12_STATUS_LABELS[b12_status])})"
        )
    )
    actions = "; ".join(f"{a['text']} ({a['code']})" for a in result["suggested_actions"])
    return RiskAssessment(
        id=assessment_id,
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
                            display=_text(labels.LEVEL_LABELS[level]),
                        )
                    ],
                    text=_text(labels.LEVEL_LABELS[level]),
                ),
                rationale=" ".join(reason["text"] for reason in reasons) or None,
            )
        ],
        mitigation=actions or None,
        note=notes,
    )


def _lab_code(lab: LabData) -> CodeableConcept:
    text = _text(labels.LAB_TEST_LABELS[lab.test])
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
        effectiveDateTime=datetime.date.fromisoformat(lab.date),
        valueQuantity=_quantity({"value": lab.value, "unit": lab.unit}),
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
    level_text = f": {_text(labels.LEVEL_LABELS[level])}" if level else ""
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
    resources: list = [
        patient_resource(data.patient),
        questionnaire_response(
            data.answers,
            version=data.questionnaire_version,
            response_id=response_id,
            identifier=submission_identifier(data.public_id),
            subject=subject,
            authored=data.submitted_at,
            complete=data.is_complete,
        ),
    ]
    observations = [
        observation(
            lab,
            observation_id=resource_id(data.public_id, f"Observation/{lab.key}"),
            subject=subject,
            response=response_ref,
        )
        for lab in data.labs
    ]
    if data.result is not None:
        resources.append(
            risk_assessment(
                data.result.result,
                assessment_id=resource_id(data.public_id, f"RiskAssessment/{data.result.key}"),
                subject=subject,
                basis=[response_ref, *(Reference(reference=urn(o.id)) for o in observations)],
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
                fullUrl=urn(bundle.id), resource=bundle, search=BundleEntrySearch(mode="match")
            )
            for bundle in bundles
        ]
        or None,
    )


# --- Errors ------------------------------------------------------------------------------


def operation_outcome(issues: list[tuple[str, str, str | None]]) -> OperationOutcome:
    """Errors as an OperationOutcome: each (issue type code, diagnostics, expression)."""
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity="error",
                code=code,
                diagnostics=diagnostics,
                expression=[expression] if expression else None,
            )
            for code, diagnostics, expression in issues
        ]
    )


def problem_issue(problem: str, code: str = "invalid") -> tuple[str, str, str | None]:
    """A validation line ("symptoms.fatigue.severity: must be 0-10") as an issue whose
    expression is its key path."""
    path, _sep, _message = problem.partition(": ")
    return code, problem, path or None
