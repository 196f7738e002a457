"""FHIR R4 QuestionnaireResponse <-> the answers contract's dict.

`questionnaire_response` turns valid answers into a response (for the export Bundle and
the API's examples); `answers_from_response` reads a posted response back into answers,
collecting every problem under its key path. Pure mapping, as `questionnaire`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference

from screening import labels
from screening.engine import contract
from screening.fhir.questionnaire import (
    CHOICES,
    CODE_LIST_QUESTIONS,
    FREE_TEXT_QUESTIONS,
    NONE_CODE,
    SCALAR_QUESTIONS,
    TOP_LEVEL_ORDER,
    canonical,
    english,
    symptom_details,
)
from screening.models import FREE_TEXT_MAX_LENGTHS

UCUM = "http://unitsofmeasure.org"


# --- Answers -> QuestionnaireResponse ------------------------------------------------------


def _number_decimal(value: int | float) -> Decimal:
    return Decimal(str(value))


def json_number(value: Decimal) -> int | float:
    """A FHIR decimal as the contract's JSON number (250, not 250.0; 12.5 stays 12.5)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _answer(item_type: str, value: Any, *, link_id: str) -> QuestionnaireResponseItemAnswer:
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
        linkId=base, text=english(labels.SYMPTOM_LABELS[symptom]), item=items
    )


def _lab_response_item(lab: dict) -> QuestionnaireResponseItem:
    return QuestionnaireResponseItem(
        linkId="labs",
        item=[
            _item("labs.test", [_answer("choice", lab["test"], link_id="labs.test")]),
            _item("labs.value", [QuestionnaireResponseItemAnswer(valueQuantity=lab_quantity(lab))]),
            _item("labs.date", [_answer("date", lab["date"], link_id="labs.date")]),
        ],
    )


def lab_quantity(lab: dict[str, Any]) -> Quantity:
    """A lab result's value and unit as a UCUM Quantity (in a response and an Observation)."""
    unit = lab["unit"]
    return Quantity(
        value=_number_decimal(lab["value"]),
        unit=labels.UNIT_LABELS.get(unit, unit),
        system=UCUM,
        code=unit,
    )


def response_items(
    answers: dict, free_text: dict[str, str] | None = None
) -> list[QuestionnaireResponseItem]:
    """QuestionnaireResponse items for a valid answers dict (and the patient's own words,
    `free_text`), in questionnaire order.

    Every key present becomes an item; an absent key, or free text "", stays absent. An
    empty medicines or conditions list is the answer "none".
    """
    items: list[QuestionnaireResponseItem] = []
    for key in TOP_LEVEL_ORDER:
        if key in FREE_TEXT_QUESTIONS:
            text = (free_text or {}).get(key, "")
            if text:
                answer = QuestionnaireResponseItemAnswer(valueString=text)
                items.append(_item(key, [answer], FREE_TEXT_QUESTIONS[key][0]))
            continue
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
    free_text: dict[str, str] | None = None,
) -> QuestionnaireResponse:
    return QuestionnaireResponse(
        id=response_id,
        identifier=identifier,
        questionnaire=canonical(version),
        status="completed" if complete else "in-progress",
        subject=subject,
        authored=authored,
        item=response_items(answers, free_text) or None,
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

    def single(self, item: QuestionnaireResponseItem, path: str) -> Any:
        values = self.values(item, path)
        if len(values) != 1:
            self.problem(path, f"must have exactly one answer, not {len(values)}")
            return None
        return values[0]

    def _value(self, answer: QuestionnaireResponseItemAnswer, path: str) -> Any:
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


def _date_text(value: object) -> str:
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
        assert key is not None  # required: the model rejects an item without a linkId
        if key in FREE_TEXT_QUESTIONS:
            continue  # not an answer: `free_text_from_response` reads it
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


def free_text_from_response(response: QuestionnaireResponse) -> tuple[dict[str, str], list[str]]:
    """The patient's own words a response carries (`other_medicines`, `anything_else`,
    one valueString each, within FREE_TEXT_MAX_LENGTHS), and the problems met reading
    them. Kept apart from the answers: the screening rules never read them."""
    reader = _Reader()
    free_text: dict[str, str] = {}
    for item in response.item or []:
        key = item.linkId
        if key not in FREE_TEXT_QUESTIONS:
            continue
        if key in free_text:
            reader.problem(key, "answered more than once")
            continue
        value = reader.single(item, key)
        if value is None:
            continue
        if not isinstance(value, str):
            reader.problem(key, "must be a valueString")
        elif len(value) > FREE_TEXT_MAX_LENGTHS[key]:
            reader.problem(key, f"at most {FREE_TEXT_MAX_LENGTHS[key]} characters")
        else:
            free_text[key] = value
    return free_text, reader.problems


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
