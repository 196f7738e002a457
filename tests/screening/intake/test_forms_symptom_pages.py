"""The intake's symptoms pages at the form level: the checklist, and the details page for
the symptoms chosen (how much, how long as a number and a unit or "I don't know")."""

import re

import pytest

from screening.engine import contract
from screening.intake.forms.symptom_pages import SymptomChecklistForm, SymptomDetailsForm
from tests.conftest import INTAKE_DAY, VALID_PAGES

CODES = ["fatigue", "numbness_tingling"]


def _details(codes=CODES, **changes):
    return SymptomDetailsForm(
        {**VALID_PAGES["symptom-details-1"], **changes}, today=INTAKE_DAY, codes=codes
    )


def _errors(form) -> dict:
    assert not form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


# --- the checklist ------------------------------------------------------------------------


def test_checklist_keeps_the_ticked_symptoms():
    form = SymptomChecklistForm(VALID_PAGES["symptoms"], today=INTAKE_DAY)
    assert form.is_valid(), form.errors
    assert form.session_data() == {"symptoms": ["fatigue", "numbness_tingling"]}


def test_checklist_offers_every_symptom_and_none_of_these():
    form = SymptomChecklistForm(today=INTAKE_DAY)
    codes = [code for code, _label in form.fields["symptoms"].choices]
    assert codes == [*contract.SYMPTOMS, "none"]


def test_checklist_none_of_these_alone_is_an_answer():
    form = SymptomChecklistForm({"symptoms": ["none"]}, today=INTAKE_DAY)
    assert form.is_valid()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select the things you have noticed, or “None of these”"),
        ({"symptoms": ["tail_ache"]}, "Select the things you have noticed, or “None of these”"),
        (
            {"symptoms": ["fatigue", "none"]},
            "Select the things you have noticed, or “None of these”, not both",
        ),
    ],
)
def test_checklist_bad_input_says_what_to_select(data, message):
    assert _errors(SymptomChecklistForm(data, today=INTAKE_DAY)) == {"symptoms": [message]}


# --- the details page ---------------------------------------------------------------------


def test_details_ask_only_about_the_symptoms_given():
    form = _details(codes=["joint_pain"])
    assert set(form.fields) == {
        "joint_pain_severity",
        "joint_pain_duration_number",
        "joint_pain_duration_unit",
        "joint_pain_duration_unknown",
        "joint_pain_sites",
    }


def test_details_keep_the_duration_as_said_and_in_weeks():
    form = _details(fatigue_duration_number="3", fatigue_duration_unit="months")
    assert form.is_valid(), form.errors
    data = form.session_data()
    assert (data["fatigue_severity"], data["fatigue_duration_number"]) == (7, 3)
    assert (data["fatigue_duration_unit"], data["fatigue_duration_weeks"]) == ("months", 13)
    assert data["numbness_tingling_duration_unknown"] is True
    assert data["numbness_tingling_duration_weeks"] is None  # never a guess
    assert data["numbness_tingling_sites"] == ["hands", "feet"]
    assert data["numbness_tingling_both_sides"] == "yes"


def test_details_zero_days_is_zero_weeks():
    form = _details(fatigue_duration_number="0", fatigue_duration_unit="days")
    assert form.is_valid(), form.errors
    assert form.session_data()["fatigue_duration_weeks"] == 0


def test_details_twenty_years_is_the_limit_and_is_accepted():
    form = _details(fatigue_duration_number="20", fatigue_duration_unit="years")
    assert form.is_valid(), form.errors
    assert form.session_data()["fatigue_duration_weeks"] == contract.DURATION_WEEKS_MAX


FATIGUE = "Tiredness or lack of energy"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"fatigue_severity": ""},
            "fatigue_severity",
            f"{FATIGUE}: enter how much it bothers you, from 0 to 10",
        ),
        (
            {"fatigue_severity": "11"},
            "fatigue_severity",
            f"{FATIGUE}: enter a whole number from 0 to 10",
        ),
        (
            {"fatigue_duration_number": ""},
            "fatigue_duration_number",
            f"{FATIGUE}: enter how long you have had it, or select “I don't know how long”",
        ),
        (
            {"fatigue_duration_unit": ""},
            "fatigue_duration_unit",
            f"{FATIGUE}: select days, weeks, months or years",
        ),
        (
            {"fatigue_duration_unit": "fortnights"},
            "fatigue_duration_unit",
            f"{FATIGUE}: select days, weeks, months or years",
        ),
        (
            {"fatigue_duration_number": "2.5"},
            "fatigue_duration_number",
            f"{FATIGUE}: enter how long as a whole number, like 3",
        ),
        (
            {"fatigue_duration_number": "-1"},
            "fatigue_duration_number",
            f"{FATIGUE}: enter how long as a whole number, like 3",
        ),
        (
            {"fatigue_duration_number": "21", "fatigue_duration_unit": "years"},
            "fatigue_duration_number",
            f"{FATIGUE}: enter a time of 20 years or less",
        ),
        (
            {"fatigue_duration_number": "1041"},
            "fatigue_duration_number",
            f"{FATIGUE}: enter a time of 20 years or less",
        ),
        (
            {"fatigue_duration_number": "99999999"},
            "fatigue_duration_number",
            f"{FATIGUE}: enter a time of 20 years or less",
        ),
        (  # past Python's digits limit for a number: still a message, never a crash
            {"fatigue_duration_number": "9" * 5000},
            "fatigue_duration_number",
            f"{FATIGUE}: enter how long as a whole number, like 3",
        ),
        (
            {"fatigue_duration_unknown": "on"},
            "fatigue_duration_number",
            f"{FATIGUE}: enter how long or select “I don't know how long”, not both",
        ),
        (
            {"numbness_tingling_sites": ["hands", "tail"]},
            "numbness_tingling_sites",
            "Numbness, tingling or pins and needles: select places from the list",
        ),
    ],
)
def test_details_bad_input_message_beside_the_field(changes, field, message):
    assert _errors(_details(**changes)) == {field: [message]}


def test_details_each_symptom_is_a_fieldset_with_its_name_as_legend():
    from crispy_forms.utils import render_crispy_form

    html = render_crispy_form(_details(codes=["fatigue", "numbness_tingling", "joint_pain"]))
    legends = re.findall(r"<fieldset[^>]*>\s*<legend[^>]*>\s*([^<]+?)\s*</legend>", html)
    assert legends[:1] == ["Tiredness or lack of energy"]
    assert "Numbness, tingling or pins and needles" in legends
    assert "Joint pain" in legends
    assert 'name="numbness_tingling_both_sides"' in html  # its extra questions stay
    assert 'name="joint_pain_both_sides"' not in html
