"""FHIR R4 Questionnaire: the intake's questions as published, and their answer codes.

Pure mapping: no database, no clock, no I/O (as `responses`, `posted_response` and `bundle`:
callers pass plain data in and get `fhir.resources` models out; building a model validates
it, so nothing invalid leaves these modules). docs/fhir.md has the mapping table.

Models are fhir.resources' R4B classes: R4B leaves every resource used here structurally
unchanged from R4 (docs/fhir.md, "Library"), and the library validates choice types,
primitive formats and unknown keys, which the R4-only alternative does not.

linkIds are the answers contract's key paths (`age_years`, `symptoms.fatigue.severity`,
`labs.value`), so a problem found in a posted response names the same path as
`screening.engine.validation` does. Two more items, of type text, carry the patient's own
words (`other_medicines`, `anything_else`: FREE_TEXT_QUESTIONS); they are not answers and
the screening rules never read them (docs/answers-extensions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.questionnaire import (
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireItemAnswerOption,
    QuestionnaireItemEnableWhen,
)

from screening import labels
from screening.engine import contract
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION
from screening.models import FREE_TEXT_MAX_LENGTHS

# The clinic's own systems are URNs: they name, they do not resolve (the export's are in
# `bundle`).
ANSWER_SYSTEM = "urn:b12-clinic:answer:"  # + the question's key: urn:b12-clinic:answer:diet
QUESTIONNAIRE_URL = "urn:b12-clinic:questionnaire:intake"

# A medicines or conditions answer of "none" (an empty list: asked, and none apply), which
# is different from the question being absent (not asked).
NONE_CODE = "none"
NONE_LABEL = "None of these"

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


def english(label: str | Promise) -> str:
    """A lazy label in English: FHIR resources leave the clinic in one language."""
    with translation.override("en"):
        return str(label)


# --- The answer codes ------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One question's answer codes: a code system of its own, the codes, their labels."""

    key: str
    codes: tuple[str, ...]
    code_labels: dict[str, Any]

    @property
    def system(self) -> str:
        return ANSWER_SYSTEM + self.key

    def coding(self, code: str) -> Coding:
        label = NONE_LABEL if code == NONE_CODE else self.code_labels.get(code, code)
        return Coding(system=self.system, code=code, display=english(label))


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
# The patient's own words: linkId -> (text, the answer key it comes after; None: last).
FREE_TEXT_QUESTIONS: dict[str, tuple[str, str | None]] = {
    "other_medicines": ("Other medicines, in the patient's words", "medicines"),
    "anything_else": ("Anything else the patient wants the clinic to know", None),
}
# Top-level items follow the contract's order of answer keys (groups included), with each
# free-text item after the answer it belongs with (other medicines after medicines).
TOP_LEVEL_ORDER = (
    *(
        link_id
        for key in contract.ANSWER_KEYS
        for link_id in (
            key,
            *(name for name, (_text, after) in FREE_TEXT_QUESTIONS.items() if after == key),
        )
    ),
    *(name for name, (_text, after) in FREE_TEXT_QUESTIONS.items() if after is None),
)


def symptom_details(symptom: str) -> tuple[str, ...]:
    """The answers one symptom can carry, in the contract's order."""
    details = ["present", "severity", "duration_weeks"]
    if symptom in contract.SYMPTOM_SITES:
        details.append("sites")
    if symptom in contract.SYMPTOMS_WITH_BOTH_SIDES:
        details.append("both_sides")
    return tuple(details)


# --- The Questionnaire -------------------------------------------------------------------


def _question(link_id: str, item_type: str, text: str, **extra: Any) -> QuestionnaireItem:
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
        extra: dict[str, Any] = (
            {"required": True} if detail == "present" else {"enableWhen": when_present}
        )
        if detail == "sites":
            extra["repeats"] = True
        items.append(
            _question(f"{base}.{detail}", types[detail], SYMPTOM_DETAIL_TEXTS[detail], **extra)
        )
    return QuestionnaireItem(
        linkId=base, type="group", text=english(labels.SYMPTOM_LABELS[symptom]), item=items
    )


def _top_level_question(key: str) -> QuestionnaireItem:
    if key in SCALAR_QUESTIONS:
        item_type, text = SCALAR_QUESTIONS[key]
        return _question(key, item_type, text, required=key in contract.REQUIRED_ANSWER_KEYS)
    if key in CODE_LIST_QUESTIONS:
        return _question(key, "choice", CODE_LIST_QUESTIONS[key], repeats=True)
    if key in FREE_TEXT_QUESTIONS:
        return _question(
            key, "text", FREE_TEXT_QUESTIONS[key][0], maxLength=FREE_TEXT_MAX_LENGTHS[key]
        )
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
                _question(f"red_flags.{code}", "boolean", english(labels.RED_FLAG_QUESTIONS[code]))
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
            "The intake's questions, one item per key of the answers contract, and two "
            "free-text items in the patient's words (other_medicines, anything_else) that "
            "are never screened. linkIds are the contract's key paths. Contains no "
            "personal data."
        ),
        item=[_top_level_question(key) for key in TOP_LEVEL_ORDER],
    )
