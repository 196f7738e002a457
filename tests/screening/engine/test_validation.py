"""validate_answers: every rule of answers.md, one problem line per problem."""

from __future__ import annotations

import datetime
import functools

import pytest

from screening.engine import contract, validation
from screening.engine.validation import InvalidAnswers

# The day of screening for the examples here (after every lab date they use); the
# future-dated lab tests call validation.validate_answers with their own.
TODAY = datetime.date(2026, 12, 1)
validate_answers = functools.partial(validation.validate_answers, today=TODAY)


def test_validate_answers_minimal_is_valid():
    assert validate_answers({"age_years": 16}) == []


def test_validate_answers_full_example_is_valid():
    answers = {
        "age_years": 58,
        "sex": "female",
        "pregnant": "no",
        "breastfeeding": False,
        "symptoms": {
            "fatigue": {"present": True, "severity": 6, "duration_weeks": 12},
            "numbness_tingling": {
                "present": True,
                "severity": 4,
                "duration_weeks": 0,
                "sites": ["hands", "feet"],
                "both_sides": True,
            },
            "joint_pain": {"present": True, "sites": ["knees", "neck"]},
            "mouth_ulcers": {"present": False},
        },
        "red_flags": {code: False for code in contract.RED_FLAGS},
        "diet": "vegan",
        "alcohol_units_per_week": 0,
        "medicines": list(contract.MEDICINES),
        "conditions": list(contract.CONDITIONS),
        "family_history": True,
        "b12_treatment": "none",
        "labs": [
            {"test": test, "value": 1, "unit": unit, "date": "2024-02-29"}
            for test, units in contract.LAB_UNITS.items()
            for unit in units
        ],
    }
    assert validate_answers(answers) == []


@pytest.mark.parametrize(
    ("answers", "problems"),
    [
        # Root and required keys.
        ([], ["answers: must be an object"]),
        (None, ["answers: must be an object"]),
        ({}, ["age_years: required"]),
        ({"age_years": 40, "foo": 1}, ["foo: unknown key"]),
        # age_years: an int 16-120, and bool is not an int.
        ({"age_years": 15}, ["age_years: must be 16-120"]),
        ({"age_years": 121}, ["age_years: must be 16-120"]),
        ({"age_years": True}, ["age_years: must be an integer"]),
        ({"age_years": 40.0}, ["age_years: must be an integer"]),
        ({"age_years": "40"}, ["age_years: must be an integer"]),
        # Enums.
        (
            {"age_years": 40, "sex": "f"},
            ["sex: must be one of female, male, other, prefer_not_to_say"],
        ),
        ({"age_years": 40, "pregnant": True}, ["pregnant: must be one of yes, no, not_sure"]),
        (
            {"age_years": 40, "diet": "pescatarian"},
            ["diet: must be one of omnivore, vegetarian, vegan, little_animal_food"],
        ),
        (
            {"age_years": 40, "b12_treatment": "tablets"},
            ["b12_treatment: must be one of none, oral, injections"],
        ),
        # Booleans and ints.
        ({"age_years": 40, "breastfeeding": "yes"}, ["breastfeeding: must be true or false"]),
        ({"age_years": 40, "family_history": 1}, ["family_history: must be true or false"]),
        (
            {"age_years": 40, "alcohol_units_per_week": 501},
            ["alcohol_units_per_week: must be 0-500"],
        ),
        (
            {"age_years": 40, "alcohol_units_per_week": -1},
            ["alcohol_units_per_week: must be 0-500"],
        ),
        (
            {"age_years": 40, "alcohol_units_per_week": 2.5},
            ["alcohol_units_per_week: must be an integer"],
        ),
    ],
)
def test_validate_answers_top_level_problems(answers, problems):
    assert validate_answers(answers) == problems


@pytest.mark.parametrize(
    ("symptoms", "problems"),
    [
        ([], ["symptoms: must be an object"]),
        ({"headache": {"present": True}}, ["symptoms.headache: unknown key"]),
        ({"fatigue": True}, ["symptoms.fatigue: must be an object"]),
        ({"fatigue": {}}, ["symptoms.fatigue.present: required"]),
        ({"fatigue": {"present": "yes"}}, ["symptoms.fatigue.present: must be true or false"]),
        (
            {"fatigue": {"present": True, "severity": 11}},
            ["symptoms.fatigue.severity: must be 0-10"],
        ),
        (
            {"fatigue": {"present": True, "severity": -1}},
            ["symptoms.fatigue.severity: must be 0-10"],
        ),
        (
            {"fatigue": {"present": True, "severity": 5.5}},
            ["symptoms.fatigue.severity: must be an integer"],
        ),
        (
            {"fatigue": {"present": True, "severity": False}},
            ["symptoms.fatigue.severity: must be an integer"],
        ),
        (
            {"fatigue": {"present": True, "duration_weeks": 1041}},
            ["symptoms.fatigue.duration_weeks: must be 0-1040"],
        ),
        (
            {"fatigue": {"present": False, "severity": 3}},
            ["symptoms.fatigue.severity: only allowed when present is true"],
        ),
        (
            {"fatigue": {"present": False, "duration_weeks": 3}},
            ["symptoms.fatigue.duration_weeks: only allowed when present is true"],
        ),
        (
            {"joint_pain": {"present": False, "sites": ["knees"]}},
            ["symptoms.joint_pain.sites: only allowed when present is true"],
        ),
        (
            {"fatigue": {"present": True, "sites": ["hands"]}},
            ["symptoms.fatigue.sites: unknown key"],
        ),
        (
            {"joint_pain": {"present": True, "both_sides": True}},
            ["symptoms.joint_pain.both_sides: unknown key"],
        ),
        ({"fatigue": {"present": True, "note": "x"}}, ["symptoms.fatigue.note: unknown key"]),
        (
            {"numbness_tingling": {"present": True, "sites": ["knees"]}},
            ["symptoms.numbness_tingling.sites[0]: must be one of hands, feet, legs, arms, face"],
        ),
        (
            {"joint_pain": {"present": True, "sites": ["knees", "knees"]}},
            ["symptoms.joint_pain.sites[1]: duplicate knees"],
        ),
        (
            {"joint_pain": {"present": True, "sites": "knees"}},
            ["symptoms.joint_pain.sites: must be a list"],
        ),
        (
            {"numbness_tingling": {"present": True, "both_sides": "yes"}},
            ["symptoms.numbness_tingling.both_sides: must be true or false"],
        ),
    ],
)
def test_validate_answers_symptom_problems(symptoms, problems):
    assert validate_answers({"age_years": 40, "symptoms": symptoms}) == problems


def test_validate_answers_joint_pain_takes_its_own_site_list():
    symptoms = {"joint_pain": {"present": True, "sites": list(contract.JOINT_PAIN_SITES)}}
    assert validate_answers({"age_years": 40, "symptoms": symptoms}) == []


@pytest.mark.parametrize(
    ("red_flags", "problems"),
    [
        ([], ["red_flags: must be an object"]),
        ({"saddle_numbness": "yes"}, ["red_flags.saddle_numbness: must be true or false"]),
        ({"headache": True}, ["red_flags.headache: unknown key"]),
    ],
)
def test_validate_answers_red_flag_problems(red_flags, problems):
    assert validate_answers({"age_years": 40, "red_flags": red_flags}) == problems


@pytest.mark.parametrize(
    ("key", "value", "problems"),
    [
        ("medicines", "metformin", ["medicines: must be a list"]),
        (
            "medicines",
            ["aspirin"],
            [f"medicines[0]: must be one of {', '.join(contract.MEDICINES)}"],
        ),
        ("medicines", ["metformin", "metformin"], ["medicines[1]: duplicate metformin"]),
        ("medicines", [None], [f"medicines[0]: must be one of {', '.join(contract.MEDICINES)}"]),
        (
            "conditions",
            ["asthma"],
            [f"conditions[0]: must be one of {', '.join(contract.CONDITIONS)}"],
        ),
        (
            "conditions",
            ["vitiligo", "coeliac_disease", "vitiligo"],
            ["conditions[2]: duplicate vitiligo"],
        ),
    ],
)
def test_validate_answers_code_list_problems(key, value, problems):
    assert validate_answers({"age_years": 40, key: value}) == problems


def _lab(**changes):
    lab = {"test": "total_b12", "value": 200, "unit": "ng/L", "date": "2026-01-31"}
    lab.update(changes)
    return {key: value for key, value in lab.items() if value is not None}


@pytest.mark.parametrize(
    ("labs", "problems"),
    [
        ({}, ["labs: must be a list"]),
        (["x"], ["labs[0]: must be an object"]),
        ([_lab(unit="umol/L")], ["labs[0].unit: must be one of ng/L, pg/mL, pmol/L for total_b12"]),
        (
            [_lab(), _lab(test="mma", unit="ng/L")],
            ["labs[1].unit: must be one of umol/L, nmol/L for mma"],
        ),
        (
            [_lab(test="vitamin_d")],
            [f"labs[0].test: must be one of {', '.join(contract.LAB_TESTS)}"],
        ),
        ([_lab(value=-0.1)], ["labs[0].value: must be 0 or more"]),
        ([_lab(value=float("nan"))], ["labs[0].value: must be a finite number"]),
        ([_lab(value=float("inf"))], ["labs[0].value: must be a finite number"]),
        ([_lab(value="200")], ["labs[0].value: must be a number"]),
        ([_lab(value=True)], ["labs[0].value: must be a number"]),
        ([_lab(date="2026-02-30")], ["labs[0].date: must be a date as YYYY-MM-DD"]),
        ([_lab(date="2025-02-29")], ["labs[0].date: must be a date as YYYY-MM-DD"]),
        ([_lab(date="20260131")], ["labs[0].date: must be a date as YYYY-MM-DD"]),
        ([_lab(date="31/01/2026")], ["labs[0].date: must be a date as YYYY-MM-DD"]),
        ([_lab(date=20260131)], ["labs[0].date: must be a date as YYYY-MM-DD"]),
        ([_lab(flag="H")], ["labs[0].flag: unknown key"]),
        (
            [{}],
            [
                "labs[0].test: required",
                "labs[0].value: required",
                "labs[0].unit: required",
                "labs[0].date: required",
            ],
        ),
    ],
)
def test_validate_answers_lab_problems(labs, problems):
    assert validate_answers({"age_years": 40, "labs": labs}) == problems


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        (999_999.999, []),
        (999_999.9994, []),
        (999_999.9995, ["labs[0].value: must be less than 1,000,000"]),
        (999_999.9999999999, ["labs[0].value: must be less than 1,000,000"]),
        (contract.LAB_VALUE_MAX, ["labs[0].value: must be less than 1,000,000"]),
        (1.5e308, ["labs[0].value: must be less than 1,000,000"]),
        (10**300, ["labs[0].value: must be less than 1,000,000"]),
    ],
    ids=[
        "just-below",
        "kept-as-999999.999",
        "kept-as-the-bound",
        "just-below-kept-as-the-bound",
        "at-the-bound",
        "1.5e308",
        "10**300",
    ],
)
def test_validate_answers_lab_value_is_below_the_contract_wide_bound(value, problems):
    """docs/answers-extensions.md: one bound for every path, so no unit conversion of a
    valid value overflows (1.5e308 pmol/L is infinity as ng/L); it holds for the value as
    kept to LAB_VALUE_DECIMALS places, so a stored value always screens again."""
    labs = [_lab(value=value, unit="pmol/L")]
    assert validate_answers({"age_years": 40, "labs": labs}) == problems


@pytest.mark.parametrize("test", [[], {}, ["total_b12"]])
def test_validate_answers_lab_test_of_the_wrong_type_is_a_problem(test):
    """A list or object as the test, beside a unit: a problem line, not a TypeError
    (`manage.py screen` reads raw JSON)."""
    labs = [_lab(test=test)]
    assert validate_answers({"age_years": 40, "labs": labs}) == [
        f"labs[0].test: must be one of {', '.join(contract.LAB_TESTS)}"
    ]


def test_validate_answers_lab_value_zero_and_leap_day_are_valid():
    labs = [_lab(value=0, date="2024-02-29"), _lab(value=0.5)]
    assert validate_answers({"age_years": 40, "labs": labs}) == []


def test_validate_answers_reports_every_problem_not_just_the_first():
    answers = {
        "sex": "x",
        "symptoms": {"fatigue": {"present": True, "severity": 11}},
        "labs": [_lab(unit="pmol")],
        "extra": 1,
    }
    assert validate_answers(answers) == [
        "extra: unknown key",
        "age_years: required",
        "sex: must be one of female, male, other, prefer_not_to_say",
        "symptoms.fatigue.severity: must be 0-10",
        "labs[0].unit: must be one of ng/L, pg/mL, pmol/L for total_b12",
    ]


def test_validate_answers_path_prefixes_every_problem():
    assert validate_answers({"age_years": 10, "labs": [_lab(value=-1)]}, path="[3]") == [
        "[3].age_years: must be 16-120",
        "[3].labs[0].value: must be 0 or more",
    ]
    assert validate_answers("x", path="[3]") == ["[3]: must be an object"]


def test_invalid_answers_carries_problems():
    error = InvalidAnswers(["age_years: required", "foo: unknown key"])
    assert isinstance(error, ValueError)
    assert error.problems == ["age_years: required", "foo: unknown key"]
    assert str(error) == "age_years: required; foo: unknown key"


# --- E4: a lab dated after the day of screening ----------------------------------------


def test_validate_answers_refuses_a_lab_dated_after_the_day_of_screening():
    """clinical.md E4: a future date (a typing error) would make that result the most recent
    and hide every earlier one, so it is refused, naming the key."""
    day = datetime.date(2025, 6, 15)
    labs = [_lab(value=150, date="2025-01-01"), _lab(value=400, date="2062-01-01")]
    assert validation.validate_answers({"age_years": 40, "labs": labs}, today=day) == [
        "labs[1].date: must not be after the day of screening (2025-06-15)"
    ]


def test_validate_answers_accepts_a_lab_dated_on_the_day_of_screening_but_not_the_next():
    day = datetime.date(2025, 6, 15)
    on_the_day = {"age_years": 40, "labs": [_lab(date="2025-06-15")]}
    next_day = {"age_years": 40, "labs": [_lab(date="2025-06-16")]}
    assert validation.validate_answers(on_the_day, today=day) == []
    assert validation.validate_answers(next_day, today=day) == [
        "labs[0].date: must not be after the day of screening (2025-06-15)"
    ]


def test_validate_answers_needs_the_day_of_screening_from_its_caller():
    """No default: the engine has no clock, and a caller cannot forget the day."""
    with pytest.raises(TypeError):
        validation.validate_answers({"age_years": 40})  # type: ignore[call-arg]
