"""Properties of screen() over random valid answers built from the contract constants."""

from __future__ import annotations

import copy
import datetime
import functools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.engine import contract, rules, validation
from tests.conftest import INTAKE_DAY

# The day of screening: the last lab date drawn, and the conftest's intake day, so the
# same answers also pass the intake (tests/screening/domain/test_intake_stored_screening.py)
# under a clock frozen at that day or running later.
TODAY = INTAKE_DAY
screen = functools.partial(rules.screen, today=TODAY)
validate_answers = functools.partial(validation.validate_answers, today=TODAY)

LEVEL_RANK = {"urgent": 3, "review_soon": 2, "routine": 1, "no_flag": 0}
DOTTED_CODE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")


def _unique_list(codes: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(codes), unique=True, max_size=len(codes))


def _symptom(name: str) -> st.SearchStrategy[dict]:
    details = {
        "severity": st.integers(contract.SEVERITY_MIN, contract.SEVERITY_MAX),
        "duration_weeks": st.integers(contract.DURATION_WEEKS_MIN, contract.DURATION_WEEKS_MAX),
    }
    if name in contract.SYMPTOM_SITES:
        details["sites"] = _unique_list(contract.SYMPTOM_SITES[name])
    if name in contract.SYMPTOMS_WITH_BOTH_SIDES:
        details["both_sides"] = st.booleans()
    present = st.fixed_dictionaries({"present": st.just(True)}, optional=details)
    return st.one_of(st.just({"present": False}), present)


@st.composite
def _lab(draw) -> dict:
    test = draw(st.sampled_from(contract.LAB_TESTS))
    return {
        "test": test,
        "unit": draw(st.sampled_from(contract.LAB_UNITS[test])),
        "value": draw(
            st.one_of(
                st.integers(0, 2000),
                st.floats(
                    0,
                    contract.LAB_VALUE_MAX,
                    exclude_max=True,
                    allow_nan=False,
                    allow_infinity=False,
                ),
            )
        ),
        "date": draw(st.dates(datetime.date(1990, 1, 1), TODAY)).isoformat(),
    }


ANSWERS = st.fixed_dictionaries(
    {"age_years": st.integers(contract.AGE_MIN, contract.AGE_MAX)},
    optional={
        "sex": st.sampled_from(contract.SEXES),
        "pregnant": st.sampled_from(contract.PREGNANT_CHOICES),
        "breastfeeding": st.booleans(),
        "symptoms": st.fixed_dictionaries(
            {}, optional={name: _symptom(name) for name in contract.SYMPTOMS}
        ),
        "red_flags": st.fixed_dictionaries(
            {}, optional={code: st.booleans() for code in contract.RED_FLAGS}
        ),
        "diet": st.sampled_from(contract.DIETS),
        "alcohol_units_per_week": st.integers(contract.ALCOHOL_MIN, contract.ALCOHOL_MAX),
        "medicines": _unique_list(contract.MEDICINES),
        "conditions": _unique_list(contract.CONDITIONS),
        "family_history": st.booleans(),
        "b12_treatment": st.sampled_from(contract.B12_TREATMENTS),
        "labs": st.lists(_lab(), max_size=6),
    },
)


def _assert_result_shape(result: dict, answers: dict) -> None:
    assert set(result) == {
        "rules_version",
        "level",
        "possible_b12_deficiency",
        "red_flags",
        "reasons",
        "suggested_actions",
        "lab_interpretation",
    }
    assert isinstance(result["rules_version"], str) and result["rules_version"]
    assert result["level"] in contract.LEVELS
    assert isinstance(result["possible_b12_deficiency"], bool)
    answered = answers.get("red_flags", {})
    assert result["red_flags"] == [code for code in contract.RED_FLAGS if answered.get(code)]
    for reason in result["reasons"]:
        assert set(reason) == {"code", "text", "source"}
        assert DOTTED_CODE.fullmatch(reason["code"]), reason["code"]
        assert isinstance(reason["text"], str) and reason["text"]
        assert isinstance(reason["source"], str) and reason["source"]
    for action in result["suggested_actions"]:
        assert set(action) == {"code", "text"}
        assert DOTTED_CODE.fullmatch(action["code"]), action["code"]
        assert isinstance(action["text"], str) and action["text"]
    assert set(result["lab_interpretation"]) == {"b12_status"}
    assert result["lab_interpretation"]["b12_status"] in contract.B12_STATUSES


@settings(max_examples=300, deadline=None)
@given(ANSWERS)
def test_screen_never_crashes_on_valid_answers_and_returns_the_result_shape(answers):
    assert validate_answers(answers) == []
    result = screen(answers)
    _assert_result_shape(result, answers)


@settings(max_examples=300, deadline=None)
@given(ANSWERS, st.sampled_from(contract.RED_FLAGS))
def test_adding_a_red_flag_never_lowers_the_level(answers, flag):
    before = screen(answers)
    flagged = copy.deepcopy(answers)
    flagged.setdefault("red_flags", {})[flag] = True
    after = screen(flagged)
    assert LEVEL_RANK[after["level"]] >= LEVEL_RANK[before["level"]]
    assert after["level"] == "urgent"
    assert flag in after["red_flags"]


@settings(max_examples=300, deadline=None)
@given(ANSWERS)
def test_level_and_possible_flag_agree(answers):
    """D1-D5: routine and review_soon always mean a possible deficiency, and a
    possible deficiency is never left at no_flag."""
    result = screen(answers)
    if result["level"] in ("routine", "review_soon"):
        assert result["possible_b12_deficiency"] is True
    if result["level"] == "no_flag":
        assert result["possible_b12_deficiency"] is False
    assert (result["level"] == "urgent") == bool(result["red_flags"])


@settings(max_examples=100, deadline=None)
@given(ANSWERS)
def test_screen_is_a_pure_function_of_the_answers(answers):
    before = copy.deepcopy(answers)
    first = screen(answers)
    assert answers == before
    assert screen(copy.deepcopy(answers)) == first
