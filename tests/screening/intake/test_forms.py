"""Each question page's input validation, at the form level (the views test the pages)."""

import datetime

import pytest

from screening.engine import contract
from screening.intake.forms import blood_tests
from screening.intake.forms.about_you import AboutYouForm, PregnancyForm
from screening.intake.forms.blood_tests import BloodTestsForm
from screening.intake.forms.risk_factors import RiskFactorsForm
from screening.intake.forms.symptoms import SymptomsForm, UrgentForm
from tests.conftest import FOLLOW_UP_SYMPTOMS, INTAKE_DAY, VALID_PAGES


def _form(form_class, slug, **changes):
    """`slug`'s valid answers changed by `changes` ("follow-up-symptoms": the follow-up
    check-in's one symptoms page; the intake's symptoms pages: test_forms_symptom_pages)."""
    page = FOLLOW_UP_SYMPTOMS if slug == "follow-up-symptoms" else VALID_PAGES[slug]
    data = {**page, **changes}
    return form_class(data, today=INTAKE_DAY)


def _errors(form) -> dict:
    assert not form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


# --- about you ------------------------------------------------------------------------


def test_about_you_valid_computes_age_on_the_intake_day():
    form = _form(AboutYouForm, "about-you")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["age_years"] == 35
    assert form.cleaned_data["date_of_birth"] == datetime.date(1990, 4, 3)
    assert form.session_data()["date_of_birth"] == "1990-04-03"


def test_about_you_birthday_tomorrow_is_still_the_younger_age():
    form = _form(AboutYouForm, "about-you", dob_day="16", dob_month="6", dob_year="1990")
    assert form.is_valid()
    assert form.cleaned_data["age_years"] == 34


def test_about_you_phone_is_optional():
    assert _form(AboutYouForm, "about-you", phone="").is_valid()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "Enter your full name"),
        ({"full_name": "x" * 201}, "full_name", "Full name must be 200 characters or fewer"),
        (
            {"email": "not-an-email"},
            "email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        (
            {"email": "a" * 250 + "@example.com"},
            "email",
            "Email address must be 254 characters or fewer",
        ),
        (
            {"phone": "call me maybe"},
            "phone",
            "Enter a phone number, like 01632 960 001 or +44 7700 900 982",
        ),
        ({"phone": "1" * 31}, "phone", "Phone number must be 30 characters or fewer"),
        ({"dob_day": "", "dob_month": "", "dob_year": ""}, "dob_day", "Enter your date of birth"),
        ({"dob_month": ""}, "dob_month", "Date of birth must include a month"),
        ({"dob_day": "31", "dob_month": "2"}, "dob_day", "Date of birth must be a real date"),
        ({"dob_day": "13", "dob_month": "13"}, "dob_day", "Date of birth must be a real date"),
        ({"dob_day": "ab"}, "dob_day", "Date of birth must be a real date"),
        ({"dob_year": "-990"}, "dob_year", "Date of birth must be a real date"),
        ({"dob_year": "90"}, "dob_year", "Year must include 4 numbers"),
        ({"dob_year": "2026"}, "dob_day", "Date of birth must be in the past"),
        (
            {"dob_day": "16", "dob_month": "6", "dob_year": "2009"},
            "dob_day",
            "You must be 16 or over to use this form; please contact the clinic",
        ),
        ({"dob_year": "1900"}, "dob_year", "Check the year of your date of birth"),
        (
            {"sex": "robot"},
            "sex",
            "Select the sex you were registered at birth, or “I prefer not to say”",
        ),
        (
            {"contact_consent": ""},
            "contact_consent",
            "Select yes if the clinic can contact you by email",
        ),
    ],
)
def test_about_you_bad_input_message_beside_the_field(changes, field, message):
    assert _errors(_form(AboutYouForm, "about-you", **changes)) == {field: [message]}


def test_about_you_sixteen_today_is_allowed():
    form = _form(AboutYouForm, "about-you", dob_day="15", dob_month="6", dob_year="2009")
    assert form.is_valid()
    assert form.cleaned_data["age_years"] == 16


def test_about_you_error_summary_links_each_field_in_page_order():
    form = AboutYouForm({"dob_month": "2"}, today=INTAKE_DAY)
    assert form.error_summary() == [
        ("#id_full_name", "Enter your full name"),
        ("#id_email", "Enter your email address"),
        ("#id_dob_day", "Date of birth must include a day"),
        ("#id_sex_0", "Select the sex you were registered at birth, or “I prefer not to say”"),
        ("#id_contact_consent_0", "Select yes if the clinic can contact you by email"),
    ]


# --- pregnancy -------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["yes", "no", "not_sure"])
def test_pregnancy_valid_answers(answer):
    assert _form(PregnancyForm, "pregnancy", pregnant=answer).is_valid()


def test_pregnancy_missing_and_tampered():
    assert _errors(_form(PregnancyForm, "pregnancy", pregnant="", breastfeeding="maybe")) == {
        "pregnant": ["Select yes, no or “I'm not sure”"],
        "breastfeeding": ["Select yes if you are breastfeeding"],
    }


# --- symptoms (the follow-up check-in's one page) ---------------------------------------


def test_symptoms_valid_keeps_details_of_present_symptoms():
    form = _form(SymptomsForm, "follow-up-symptoms")
    assert form.is_valid(), form.errors
    data = form.session_data()
    assert (data["fatigue_severity"], data["fatigue_duration"]) == (7, 12)
    assert data["numbness_tingling_sites"] == ["hands", "feet"]
    assert data["numbness_tingling_duration_unknown"] is True


def test_symptoms_details_of_an_absent_symptom_are_dropped():
    form = _form(
        SymptomsForm,
        "follow-up-symptoms",
        joint_pain_present="no",
        joint_pain_severity="8",
        joint_pain_duration="3",
        joint_pain_sites=["knees"],
    )
    assert form.is_valid()
    data = form.session_data()
    assert (data["joint_pain_severity"], data["joint_pain_duration"]) == (None, None)
    assert data["joint_pain_sites"] == []


def test_symptoms_every_question_needs_yes_or_no():
    errors = _errors(SymptomsForm({}, today=INTAKE_DAY))
    assert list(errors) == [f"{code}_present" for code in contract.SYMPTOMS]
    assert errors["fatigue_present"] == ["Tiredness or lack of energy: select yes or no"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"fatigue_severity": ""},
            "fatigue_severity",
            "Tiredness or lack of energy: enter how much it bothers you, from 0 to 10",
        ),
        (
            {"fatigue_severity": "11"},
            "fatigue_severity",
            "Tiredness or lack of energy: enter a whole number from 0 to 10",
        ),
        (
            {"fatigue_severity": "-1"},
            "fatigue_severity",
            "Tiredness or lack of energy: enter a whole number from 0 to 10",
        ),
        (
            {"fatigue_severity": "a lot"},
            "fatigue_severity",
            "Tiredness or lack of energy: enter a whole number from 0 to 10",
        ),
        (
            {"fatigue_severity": "7.5"},
            "fatigue_severity",
            "Tiredness or lack of energy: enter a whole number from 0 to 10",
        ),
        (
            {"fatigue_duration": ""},
            "fatigue_duration",
            "Tiredness or lack of energy: enter the number of weeks, or select "
            "“I don't know how long”",
        ),
        (
            {"fatigue_duration": "1041"},
            "fatigue_duration",
            "Tiredness or lack of energy: enter the number of weeks, from 0 to 1040",
        ),
        (
            {"fatigue_duration": "9" * 5000},
            "fatigue_duration",
            "Tiredness or lack of energy: enter the number of weeks, from 0 to 1040",
        ),
        (
            {"fatigue_duration_unknown": "on"},
            "fatigue_duration",
            "Tiredness or lack of energy: enter the number of weeks or select "
            "“I don't know how long”, not both",
        ),
        (
            {"numbness_tingling_sites": ["hands", "tail"]},
            "numbness_tingling_sites",
            "Numbness, tingling or pins and needles: select places from the list",
        ),
        (
            {"numbness_tingling_both_sides": "sometimes"},
            "numbness_tingling_both_sides",
            "Numbness, tingling or pins and needles: select yes, no or “I don't know”",
        ),
    ],
)
def test_symptoms_bad_input_message_beside_the_field(changes, field, message):
    assert _errors(_form(SymptomsForm, "follow-up-symptoms", **changes)) == {field: [message]}


# --- urgent ----------------------------------------------------------------------------


def test_urgent_all_no_is_valid_without_red_flags():
    form = _form(UrgentForm, "urgent")
    assert form.is_valid()
    assert form.red_flags() == []


def test_urgent_red_flags_lists_the_yes_answers():
    form = _form(UrgentForm, "urgent", chest_pain="yes", saddle_numbness="yes")
    assert form.is_valid()
    assert form.red_flags() == ["saddle_numbness", "chest_pain"]


def test_urgent_each_question_needs_an_answer():
    errors = _errors(_form(UrgentForm, "urgent", chest_pain="", breathless_at_rest="perhaps"))
    assert errors == {
        "chest_pain": ["Chest pain: select yes or no"],
        "breathless_at_rest": ["Out of breath at rest: select yes or no"],
    }


# --- risk factors ----------------------------------------------------------------------


def test_risk_factors_valid():
    form = _form(RiskFactorsForm, "risk-factors")
    assert form.is_valid(), form.errors
    assert form.session_data()["alcohol_units_per_week"] == 4


def test_risk_factors_alcohol_is_optional():
    form = _form(RiskFactorsForm, "risk-factors", alcohol_units_per_week="")
    assert form.is_valid()
    assert form.cleaned_data["alcohol_units_per_week"] is None


ALCOHOL_MESSAGE = "Enter units of alcohol as a whole number from 0 to 500"
MEDICINES_MESSAGE = "Select the medicines you take, or “None of these”, or “I don't know”"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"alcohol_units_per_week": "501"}, "alcohol_units_per_week", ALCOHOL_MESSAGE),
        ({"alcohol_units_per_week": "-2"}, "alcohol_units_per_week", ALCOHOL_MESSAGE),
        ({"alcohol_units_per_week": "lots"}, "alcohol_units_per_week", ALCOHOL_MESSAGE),
        ({"medicines": []}, "medicines", MEDICINES_MESSAGE),
        ({"medicines": ["metformin", "snake_oil"]}, "medicines", MEDICINES_MESSAGE),
        (
            {"medicines": ["metformin", "none"]},
            "medicines",
            "Select the medicines you take, or “None of these”, or “I don't know”: only one "
            "of the three",
        ),
        (
            {"conditions": ["none", "dont_know"]},
            "conditions",
            "Select the conditions or treatments you have had, or “None of these”, or "
            "“I don't know”: only one of the three",
        ),
        ({"diet": "carnivore"}, "diet", "Select what you usually eat"),
        (
            {"family_history": ""},
            "family_history",
            "Select yes, no or “I don't know” for your family",
        ),
        (
            {"b12_treatment": "tattoo"},
            "b12_treatment",
            "Select whether you are taking vitamin B12 now",
        ),
    ],
)
def test_risk_factors_bad_input_message_beside_the_field(changes, field, message):
    assert _errors(_form(RiskFactorsForm, "risk-factors", **changes)) == {field: [message]}


# --- blood tests -----------------------------------------------------------------------


def test_blood_tests_all_empty_is_valid_with_no_labs():
    form = BloodTestsForm({}, today=INTAKE_DAY)
    assert form.is_valid()
    assert form.session_data()["labs"] == []


def test_blood_tests_valid_rows_become_contract_labs():
    form = _form(BloodTestsForm, "blood-tests")
    assert form.is_valid(), form.errors
    assert form.session_data()["labs"] == [
        {"test": "total_b12", "value": "250", "unit": "ng/L", "date": "2025-05-01"},
        {"test": "haemoglobin", "value": "12.5", "unit": "g/dL", "date": "2025-05-01"},
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"lab1_test": ""}, "lab1_test", "Blood test 1: select which test"),
        ({"lab1_test": "cholesterol"}, "lab1_test", "Blood test 1: select a test from the list"),
        (
            {"lab1_value": ""},
            "lab1_value",
            "Blood test 1: enter the result as a number, like 250 or 4.5",
        ),
        (
            {"lab1_value": "low"},
            "lab1_value",
            "Blood test 1: enter the result as a number, like 250 or 4.5",
        ),
        (
            {"lab1_value": "-5"},
            "lab1_value",
            "Blood test 1: enter the result as a number, like 250 or 4.5",
        ),
        (
            {"lab1_value": "1e5"},
            "lab1_value",
            "Blood test 1: enter the result as a number, like 250 or 4.5",
        ),
        (
            {"lab1_value": "1.2345"},
            "lab1_value",
            "Blood test 1: enter the result as a number, like 250 or 4.5",
        ),
        (
            {"lab1_value": "1" * 21},
            "lab1_value",
            "Blood test 1: enter the result as a number, like 250",
        ),
        ({"lab1_unit": ""}, "lab1_unit", "Blood test 1: select the unit"),
        ({"lab1_unit": "mg/furlong"}, "lab1_unit", "Blood test 1: select a unit from the list"),
        (
            {"lab1_unit": "g/L"},
            "lab1_unit",
            "Blood test 1: the unit for Vitamin B12 (total B12) must be ng/L, pg/mL, pmol/L",
        ),
        (
            {"lab2_unit": "fL"},
            "lab2_unit",
            "Blood test 2: the unit for Haemoglobin must be g/L, g/dL",
        ),
        (
            {"lab1_day": "", "lab1_month": "", "lab1_year": ""},
            "lab1_day",
            "Blood test 1: enter the date of the test",
        ),
        (
            {"lab1_day": "30", "lab1_month": "2"},
            "lab1_day",
            "Date of blood test 1 must be a real date",
        ),
        ({"lab1_year": ""}, "lab1_year", "Date of blood test 1 must include a year"),
        (
            {"lab1_day": "16", "lab1_month": "6", "lab1_year": "2025"},
            "lab1_day",
            "Date of blood test 1 must be today or in the past",
        ),
        ({"lab1_year": "1899"}, "lab1_year", "Date of blood test 1 must be a real date"),
    ],
)
def test_blood_tests_bad_input_message_beside_the_field(changes, field, message):
    assert _errors(_form(BloodTestsForm, "blood-tests", **changes)) == {field: [message]}


def test_blood_tests_accept_a_decimal_comma():
    form = _form(BloodTestsForm, "blood-tests", lab2_value="12,5")
    assert form.is_valid(), form.errors
    assert form.session_data()["labs"][1]["value"] == "12.5"


def test_blood_tests_refuse_a_thousands_separator_and_a_point():
    form = _form(BloodTestsForm, "blood-tests", lab1_value="1,250.5")
    assert not form.is_valid()
    assert "lab1_value" in form.errors


def test_blood_tests_started_row_needs_every_part():
    form = BloodTestsForm({"lab3_value": "300"}, today=INTAKE_DAY)
    assert _errors(form) == {
        "lab3_test": ["Blood test 3: select which test"],
        "lab3_unit": ["Blood test 3: select the unit"],
        "lab3_day": ["Blood test 3: enter the date of the test"],
    }


@pytest.mark.parametrize(("value", "valid"), [("999999.999", True), ("1000000", False)])
def test_blood_tests_value_bound_is_the_contracts(value, valid):
    """One bound for lab values on every path: contract.LAB_VALUE_MAX."""
    form = _form(BloodTestsForm, "blood-tests", lab1_value=value)
    assert form.is_valid() is valid
    assert blood_tests.LAB_VALUE_MAX == contract.LAB_VALUE_MAX
