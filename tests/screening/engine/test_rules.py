"""screen(): every rule and threshold edge of clinical.md, table by table."""

from __future__ import annotations

import ast
import copy
import datetime
import functools
import hashlib
import inspect
import re
from pathlib import Path

import pytest

from screening.engine import contract, labs, rule_tables, rules
from screening.engine.labs import LabLimits
from screening.engine.rules import RULES_VERSION
from screening.engine.validation import InvalidAnswers

# The day of screening for every example here (after every lab date they use), so no
# result depends on the clock; the future-dated lab tests pass their own.
TODAY = datetime.date(2026, 12, 1)
screen = functools.partial(rules.screen, today=TODAY)

# A rule change without a RULES_VERSION bump must not slip through: this records
# the version and a hash of the code of every engine module that holds rules (comments
# and formatting do not count; ast.dump output is stable within Python 3.11, which the
# project pins). Import lines and docstrings count too: moving a module (issue 10) and
# splitting rules.py into rules, rule_tables and labs and typing them (issue 10) changed the
# hash, not a rule; so did screen()'s new `today` argument (issue 11, E4: the day of
# screening is given by the caller), which changes no rule.
RULES_MODULES = (rules, rule_tables, labs)
RECORDED_RULES_VERSION = "2026.12.1"
RECORDED_RULES_HASH = "4e9a3e8fc0c0265f8bbdb4cbea80d439d64ac801e6be896f573ad7bfc7146dfe"


def _rules_hash() -> str:
    digest = hashlib.sha256()
    for module in RULES_MODULES:
        digest.update(ast.dump(ast.parse(inspect.getsource(module))).encode())
    return digest.hexdigest()


def test_rules_version_is_bumped_when_rules_change():
    current = _rules_hash()
    if current == RECORDED_RULES_HASH and RULES_VERSION == RECORDED_RULES_VERSION:
        return
    if RULES_VERSION == RECORDED_RULES_VERSION:
        pytest.fail(
            "A rules module of screening/engine/ changed but RULES_VERSION did not. Any rule "
            "change must bump RULES_VERSION in screening/engine/rules.py; then set "
            "RECORDED_RULES_VERSION to "
            f"the new version and RECORDED_RULES_HASH = {current!r} in this test."
        )
    pytest.fail(
        f"RULES_VERSION is now {RULES_VERSION!r}: set RECORDED_RULES_VERSION = "
        f"{RULES_VERSION!r} and RECORDED_RULES_HASH = {current!r} in this test."
    )


# --- helpers ----------------------------------------------------------------


def _present(**details) -> dict:
    return {"present": True, **details}


def _lab(test: str, value: float, unit: str, date: str = "2026-10-01") -> dict:
    return {"test": test, "value": value, "unit": unit, "date": date}


def _codes(result: dict) -> list[str]:
    return [reason["code"] for reason in result["reasons"]]


def _reason(result: dict, code: str) -> dict:
    (reason,) = [reason for reason in result["reasons"] if reason["code"] == code]
    return reason


def _actions(result: dict) -> list[str]:
    return [action["code"] for action in result["suggested_actions"]]


FATIGUE = {"fatigue": _present()}


# --- tables cover the contract ----------------------------------------------


def test_tables_cover_every_contract_code():
    assert tuple(rule.symptom for rule in rule_tables.SYMPTOM_RULES) == contract.SYMPTOMS
    assert tuple(rule_tables.RED_FLAG_RULES) == contract.RED_FLAGS
    assert set(rule_tables.CONDITION_RULES) == set(contract.CONDITIONS)
    assert set(rule_tables.MEDICINE_RULES) == set(contract.MEDICINES) - {
        "combined_oral_contraceptive"
    }
    assert set(rule_tables.DIET_RULES) == set(contract.DIETS) - {"omnivore"}


# --- result shape -----------------------------------------------------------


def test_screen_result_has_exactly_the_contract_keys():
    result = screen({"age_years": 40})
    assert result == {
        "rules_version": RULES_VERSION,
        "level": "no_flag",
        "possible_b12_deficiency": False,
        "red_flags": [],
        "reasons": [],
        "suggested_actions": [],
        "lab_interpretation": {"b12_status": "not_tested"},
    }


def test_screen_every_reason_has_code_text_and_source():
    answers = {
        "age_years": 80,
        "pregnant": "yes",
        "diet": "vegetarian",
        "family_history": True,
        "symptoms": {name: _present() for name in contract.SYMPTOMS},
        "red_flags": {code: True for code in contract.RED_FLAGS},
        "medicines": list(contract.MEDICINES),
        "conditions": list(contract.CONDITIONS),
        "b12_treatment": "injections",
        "labs": [
            _lab("total_b12", 200, "ng/L"),
            _lab("active_b12", 20, "pmol/L"),
            _lab("mma", 600, "nmol/L"),
            _lab("haemoglobin", 9, "g/dL"),
            _lab("mcv", 110, "fL"),
        ],
    }
    result = screen(answers)
    assert len(result["reasons"]) > 40
    for reason in result["reasons"]:
        assert set(reason) == {"code", "text", "source"}
        assert reason["code"] and reason["text"] and reason["source"]
        assert "clinical.md" in reason["source"] or "answers.md" in reason["source"]
    codes = _codes(result)
    assert len(codes) == len(set(codes))
    for action in result["suggested_actions"]:
        assert set(action) == {"code", "text"}


def test_screen_raises_invalid_answers_with_problems():
    with pytest.raises(InvalidAnswers) as caught:
        screen({"age_years": 12, "symptoms": {"fatigue": {"present": True, "severity": 11}}})
    assert caught.value.problems == [
        "age_years: must be 16-120",
        "symptoms.fatigue.severity: must be 0-10",
    ]


def test_screen_does_not_change_its_input():
    answers = {"age_years": 58, "medicines": ["metformin"], "symptoms": dict(FATIGUE)}
    before = copy.deepcopy(answers)
    screen(answers)
    assert answers == before


def test_changing_a_result_does_not_change_the_next_one():
    """Reasons that depend on one answer are built once and shared by every intake;
    each result still gets its own copies."""
    answers = {
        "age_years": 58,
        "diet": "vegan",
        "medicines": ["metformin"],
        "conditions": ["coeliac_disease"],
        "symptoms": dict(FATIGUE),
        "red_flags": {"chest_pain": True},
        "labs": [_lab("total_b12", 150, "ng/L")],
    }
    first = screen(answers)
    expected = copy.deepcopy(first)
    for reason in first["reasons"]:
        reason["text"] = "changed"
    first["suggested_actions"].clear()
    assert screen(answers) == expected


# --- B: symptoms and signs --------------------------------------------------

COUNTED = [
    ("fatigue", "B1", False),
    ("numbness_tingling", "B2", True),
    ("balance_problems", "B3", True),
    ("memory_or_concentration", "B4", True),
    ("vision_changes", "B5", True),
    ("low_mood_or_irritability", "B6", False),
    ("sore_or_red_tongue", "B7", False),
    ("mouth_ulcers", "B7", False),
    ("breathlessness_or_palpitations", "B8", False),
    ("pale_or_yellow_skin", "B8", False),
    ("muscle_weakness", "B9", True),
]


@pytest.mark.parametrize(("symptom", "section", "neurological"), COUNTED)
def test_counted_symptom_with_risk_factor_meets_a1(symptom, section, neurological):
    result = screen({"age_years": 30, "diet": "vegan", "symptoms": {symptom: _present()}})
    assert result["possible_b12_deficiency"] is True
    assert result["level"] == ("review_soon" if neurological else "routine")
    reason = _reason(result, f"symptom.{symptom}")
    assert f"clinical.md {section}" in reason["source"]
    assert "criterion.a1_met" in _codes(result)
    assert ("level.review_soon.neurological_symptom" in _codes(result)) is neurological


@pytest.mark.parametrize(("symptom", "section", "neurological"), COUNTED)
def test_counted_symptom_without_risk_factor_is_a2(symptom, section, neurological):
    result = screen({"age_years": 30, "diet": "omnivore", "symptoms": {symptom: _present()}})
    assert result["level"] == "no_flag"
    assert result["possible_b12_deficiency"] is False
    assert "criterion.symptoms_without_risk_factor" in _codes(result)


@pytest.mark.parametrize("symptom", ["joint_pain", "muscle_pain_or_cramps"])
def test_b10_symptoms_are_recorded_but_never_count(symptom):
    answers = {"age_years": 40, "diet": "vegan", "symptoms": {symptom: _present(severity=7)}}
    result = screen(answers)
    assert result["level"] == "no_flag"
    assert result["possible_b12_deficiency"] is False
    reason = _reason(result, f"symptom.{symptom}.not_counted")
    assert "severity 7/10" in reason["text"]
    assert "clinical.md B10" in reason["source"]
    assert "criterion.risk_factors_without_symptoms" in _codes(result)


def test_absent_symptom_is_not_a_reason():
    result = screen({"age_years": 30, "diet": "vegan", "symptoms": {"fatigue": {"present": False}}})
    assert _codes(result) == ["risk.diet.vegan", "criterion.risk_factors_without_symptoms"]


def test_symptom_reason_names_sites_sides_severity_and_duration():
    symptoms = {
        "numbness_tingling": _present(
            sites=["feet", "hands"], both_sides=True, severity=4, duration_weeks=1
        )
    }
    result = screen({"age_years": 30, "symptoms": symptoms})
    assert _reason(result, "symptom.numbness_tingling")["text"] == (
        "Symptoms: Numbness, tingling or pins and needles (feet, hands, both sides, "
        "severity 4/10, for 1 week). A common neurological symptom of B12 deficiency."
    )


@pytest.mark.parametrize(
    ("sex", "pregnant", "value", "unit", "is_sign"),
    [
        ("female", None, 119.9, "g/L", True),
        ("female", None, 120, "g/L", False),
        ("male", None, 129.9, "g/L", True),
        ("male", None, 130, "g/L", False),
        ("female", "yes", 109.9, "g/L", True),
        ("female", "yes", 110, "g/L", False),
        ("female", "not_sure", 115, "g/L", True),
        # Sex not given: the higher (male) limit, so more people are flagged.
        (None, None, 125, "g/L", True),
        ("other", None, 129.9, "g/L", True),
        ("prefer_not_to_say", None, 130, "g/L", False),
        # g/dL x 10 = g/L.
        ("female", None, 11.99, "g/dL", True),
        ("female", None, 12.0, "g/dL", False),
        ("male", None, 12.9, "g/dL", True),
    ],
)
def test_b11_haemoglobin_below_limit_is_a_sign(sex, pregnant, value, unit, is_sign):
    answers = {"age_years": 40, "diet": "vegan", "labs": [_lab("haemoglobin", value, unit)]}
    if sex:
        answers["sex"] = sex
    if pregnant:
        answers["pregnant"] = pregnant
    result = screen(answers)
    assert ("sign.haemoglobin_low" in _codes(result)) is is_sign
    assert result["possible_b12_deficiency"] is is_sign


def test_b11_haemoglobin_reason_shows_g_per_l_from_g_per_dl():
    answers = {"age_years": 40, "sex": "female", "labs": [_lab("haemoglobin", 10.5, "g/dL")]}
    text = _reason(screen(answers), "sign.haemoglobin_low")["text"]
    assert text.startswith(
        "Haemoglobin 10.5 g/dL (105 g/L) on 2026-10-01: below the limit of 120 g/L"
    )


@pytest.mark.parametrize(("value", "is_sign"), [(100, False), (100.1, True), (115, True)])
def test_b11_mcv_above_100_is_a_sign(value, is_sign):
    result = screen({"age_years": 40, "diet": "vegan", "labs": [_lab("mcv", value, "fL")]})
    assert ("sign.mcv_high" in _codes(result)) is is_sign
    assert result["level"] == ("routine" if is_sign else "no_flag")


def test_b11_clinic_limits_change_the_result_and_the_rules_version():
    answers = {"age_years": 40, "diet": "vegan", "labs": [_lab("mcv", 99, "fL")]}
    limits = LabLimits(mcv_upper_fl=98)
    default = screen(answers)
    configured = screen(answers, limits=limits)
    assert default["possible_b12_deficiency"] is False
    assert configured["possible_b12_deficiency"] is True
    assert default["rules_version"] == RULES_VERSION
    assert configured["rules_version"].startswith(f"{RULES_VERSION}+limits.")
    assert len(configured["rules_version"]) == len(RULES_VERSION) + len("+limits.") + 8
    assert screen(answers, limits=LabLimits())["rules_version"] == RULES_VERSION
    assert (
        screen(answers, limits=LabLimits(mcv_upper_fl=98))["rules_version"]
        == (configured["rules_version"])
    )
    assert (
        screen(answers, limits=LabLimits(mcv_upper_fl=97))["rules_version"]
        != (configured["rules_version"])
    )


# --- C: risk factors --------------------------------------------------------

RISKS = [
    ({"diet": "vegan"}, "risk.diet.vegan", "C1"),
    ({"diet": "little_animal_food"}, "risk.diet.little_animal_food", "C1"),
    ({"diet": "vegetarian"}, "risk.diet.vegetarian", "C1"),
    ({"family_history": True}, "risk.family_history", "C2"),
    ({"age_years": 75}, "risk.age_75_or_over", "C7"),
    ({"age_years": 120}, "risk.age_75_or_over", "C7"),
    *[
        ({"conditions": [code]}, f"risk.condition.{code}", section)
        for code in contract.CONDITIONS
        for section in [
            "C5"
            if code
            in (
                "gastrectomy",
                "bariatric_surgery",
                "ileal_resection",
                "abdominal_or_pelvic_radiotherapy",
            )
            else "C3"
        ]
    ],
    *[
        ({"medicines": [code]}, f"risk.medicine.{code}", "C6" if code == "nitrous_oxide" else "C4")
        for code in contract.MEDICINES
        if code != "combined_oral_contraceptive"
    ],
]


@pytest.mark.parametrize(("answers", "code", "section"), RISKS)
def test_risk_factor_with_symptom_meets_a1(answers, code, section):
    result = screen({"age_years": 40, "symptoms": FATIGUE, **answers})
    assert result["possible_b12_deficiency"] is True
    assert result["level"] in ("routine", "review_soon")
    assert f"clinical.md {section}" in _reason(result, code)["source"]
    assert "criterion.a1_met" in _codes(result)


@pytest.mark.parametrize(
    "answers",
    [
        {"diet": "omnivore"},
        {"family_history": False},
        {"age_years": 74},
        {"medicines": ["combined_oral_contraceptive"]},
    ],
)
def test_not_a_risk_factor(answers):
    result = screen({"age_years": 40, "symptoms": FATIGUE, **answers})
    assert result["possible_b12_deficiency"] is False
    assert result["level"] == "no_flag"
    assert not [code for code in _codes(result) if code.startswith("risk.")]


def test_combined_pill_is_noted_for_reading_results():
    result = screen({"age_years": 30, "medicines": ["combined_oral_contraceptive"]})
    assert _codes(result) == ["note.medicine.combined_oral_contraceptive"]


@pytest.mark.parametrize("code", ["metformin", "proton_pump_inhibitor", "h2_blocker"])
def test_c8_medicine_reason_says_how_long_the_form_asks_about(code):
    text = _reason(screen({"age_years": 40, "medicines": [code]}), f"risk.medicine.{code}")["text"]
    assert "taken now or for most of the last 4 months" in text
    assert "more than" in text


def test_c8_symptom_duration_is_shown():
    symptoms = {"fatigue": _present(duration_weeks=26)}
    result = screen({"age_years": 40, "medicines": ["metformin"], "symptoms": symptoms})
    assert "for 26 weeks" in _reason(result, "symptom.fatigue")["text"]


def test_a1_reason_names_the_answers_that_met_it():
    answers = {"age_years": 80, "diet": "vegan", "symptoms": FATIGUE}
    assert _reason(screen(answers), "criterion.a1_met")["text"] == (
        "At least one common symptom or sign (tiredness) and at least one common risk "
        "factor (age 75 or over, vegan diet): offer an initial B12 test."
    )


# --- A3: metformin ----------------------------------------------------------


def test_a3_metformin_with_symptoms():
    result = screen({"age_years": 50, "medicines": ["metformin"], "symptoms": FATIGUE})
    assert "criterion.metformin_with_symptoms" in _codes(result)
    assert "MHRA 2022" in _reason(result, "criterion.metformin_with_symptoms")["source"]


def test_a3_metformin_with_other_risk_factor_and_no_symptoms_suggests_monitoring():
    result = screen({"age_years": 50, "medicines": ["metformin", "proton_pump_inhibitor"]})
    assert result["level"] == "no_flag"
    assert _actions(result) == ["action.consider_b12_monitoring"]


def test_a3_metformin_alone_without_symptoms_has_no_action():
    result = screen({"age_years": 50, "medicines": ["metformin"]})
    assert _actions(result) == []
    assert "criterion.metformin_with_symptoms" not in _codes(result)


# --- D: level ---------------------------------------------------------------


@pytest.mark.parametrize("flag", contract.RED_FLAGS)
def test_d1_any_red_flag_is_urgent_whatever_else(flag):
    result = screen({"age_years": 40, "red_flags": {flag: True}})
    assert result["level"] == "urgent"
    assert result["red_flags"] == [flag]
    assert _codes(result) == [f"red_flag.{flag}"]
    assert _reason(result, f"red_flag.{flag}")["source"].startswith("clinical.md F")


# clinical.md section F: where each red flag's clinician text sends the patient.
RED_FLAG_CARE = {
    "bladder_or_bowel_control_loss": "emergency department now",  # F1
    "saddle_numbness": "emergency department now",  # F2
    "rapidly_worsening_weakness_or_numbness": "needs immediate neurological assessment",  # F3
    "new_difficulty_walking": "needs immediate neurological assessment",  # F4
    "sudden_one_sided_weakness_or_speech_difficulty": "possible stroke, emergency services now",
    "sudden_vision_loss": "emergency services now",  # F5
    "chest_pain": "emergency services now",  # F6
    "breathless_at_rest": "emergency services now",  # F7
    "thoughts_of_self_harm": "urgent mental health support today (emergency services or the "
    "clinic's crisis line)",  # F8
}


@pytest.mark.parametrize("flag", contract.RED_FLAGS)
def test_f_red_flag_clinician_text_says_where_care_is_needed(flag):
    text = _reason(screen({"age_years": 40, "red_flags": {flag: True}}), f"red_flag.{flag}")["text"]
    assert RED_FLAG_CARE[flag] in text
    assert "same-day" not in text
    if flag in ("rapidly_worsening_weakness_or_numbness", "new_difficulty_walking"):
        assert "not a booked appointment" in text
        assert "NG127" in text


def test_d1_red_flags_false_are_not_listed_and_order_follows_contract():
    red_flags = {"chest_pain": True, "saddle_numbness": True, "sudden_vision_loss": False}
    result = screen({"age_years": 40, "red_flags": red_flags})
    assert result["red_flags"] == ["saddle_numbness", "chest_pain"]


@pytest.mark.parametrize(
    ("answers", "level", "trigger"),
    [
        ({"pregnant": "yes"}, "review_soon", "level.review_soon.pregnant"),
        ({"pregnant": "not_sure"}, "routine", None),
        ({"pregnant": "no"}, "routine", None),
        ({"medicines": ["nitrous_oxide"]}, "review_soon", "level.review_soon.nitrous_oxide"),
    ],
)
def test_d2_d3_review_soon_triggers_with_a1(answers, level, trigger):
    result = screen({"age_years": 30, "diet": "vegan", "symptoms": FATIGUE, **answers})
    assert result["level"] == level
    assert result["possible_b12_deficiency"] is True
    level_codes = [code for code in _codes(result) if code.startswith("level.")]
    assert level_codes == ([trigger] if trigger else [])


@pytest.mark.parametrize(
    "answers",
    [
        {"pregnant": "yes", "symptoms": FATIGUE},
        {"pregnant": "yes", "diet": "vegan"},
        {"medicines": ["nitrous_oxide"]},
        {"symptoms": {"numbness_tingling": _present()}},
    ],
)
def test_d2_triggers_need_a1(answers):
    result = screen({"age_years": 30, **answers})
    assert result["level"] == "no_flag"
    assert result["possible_b12_deficiency"] is False


# --- D5 and E: laboratory results -------------------------------------------

TOTAL_B12_EDGES = [
    (179.9, "ng/L", "deficiency_likely"),
    (180, "ng/L", "indeterminate"),
    (350, "ng/L", "indeterminate"),
    (350.1, "ng/L", "deficiency_unlikely"),
    (179.9, "pg/mL", "deficiency_likely"),
    (180, "pg/mL", "indeterminate"),
    (350, "pg/mL", "indeterminate"),
    (350.1, "pg/mL", "deficiency_unlikely"),
    (132.9, "pmol/L", "deficiency_likely"),
    (133, "pmol/L", "indeterminate"),
    (258, "pmol/L", "indeterminate"),
    # E1 (2026.12.1): unlikely only above exactly 350 ng/L = 258.3026 pmol/L.
    (258.1, "pmol/L", "indeterminate"),
    (258.2, "pmol/L", "indeterminate"),
    (258.3, "pmol/L", "indeterminate"),
    (258.302, "pmol/L", "indeterminate"),
    (258.31, "pmol/L", "deficiency_unlikely"),
    (0, "ng/L", "deficiency_likely"),
]


@pytest.mark.parametrize(("value", "unit", "status"), TOTAL_B12_EDGES)
def test_e1_total_b12_threshold_edges(value, unit, status):
    result = screen({"age_years": 40, "labs": [_lab("total_b12", value, unit)]})
    assert result["lab_interpretation"] == {"b12_status": status}
    assert f"lab.total_b12.{status}" in _codes(result)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (24.9, "deficiency_likely"),
        (25, "indeterminate"),
        (70, "indeterminate"),
        (70.1, "deficiency_unlikely"),
    ],
)
def test_e2_active_b12_threshold_edges(value, status):
    result = screen({"age_years": 40, "labs": [_lab("active_b12", value, "pmol/L")]})
    assert result["lab_interpretation"] == {"b12_status": status}
    assert f"lab.active_b12.{status}" in _codes(result)


@pytest.mark.parametrize(
    ("pmol_per_l", "ng_per_l"), [(132.9, 179.9), (133, 180.2), (258.2, 349.9), (258.3, 349.99)]
)
def test_e1_the_same_concentration_gets_the_same_level_in_either_unit(pmol_per_l, ng_per_l):
    """E1 (2026.12.1): 258.2 pmol/L (349.9 ng/L) with tiredness was no_flag while
    349.9 ng/L was routine. Now each edge is read cautiously in pmol/L."""
    by_unit = [
        screen({"age_years": 35, "symptoms": FATIGUE, "labs": [_lab("total_b12", value, unit)]})
        for value, unit in ((pmol_per_l, "pmol/L"), (ng_per_l, "ng/L"))
    ]
    assert by_unit[0]["level"] == by_unit[1]["level"]
    assert by_unit[0]["lab_interpretation"] == by_unit[1]["lab_interpretation"]


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (
            132.9,
            "pmol/L",
            "Total B12 132.9 pmol/L (about 180 ng/L) on 2026-10-01: below 133 pmol/L, "
            "deficiency likely.",
        ),
        (
            258.2,
            "pmol/L",
            "Total B12 258.2 pmol/L (about 350 ng/L) on 2026-10-01: 133 to 258.3 pmol/L, "
            "indeterminate.",
        ),
        (
            258.302,
            "pmol/L",
            "Total B12 258.302 pmol/L (about 350 ng/L) on 2026-10-01: not above 350 ng/L, "
            "the upper edge of 133 to 258.3 pmol/L; indeterminate.",
        ),
        (
            258.31,
            "pmol/L",
            "Total B12 258.31 pmol/L (about 350 ng/L) on 2026-10-01: above 258.3 pmol/L, "
            "deficiency unlikely.",
        ),
        # Never rounded before it is shown: 179.99999 is below 180, and says so.
        (
            179.99999,
            "ng/L",
            "Total B12 179.99999 ng/L on 2026-10-01: below 180 ng/L, deficiency likely.",
        ),
        (
            350.00001,
            "pg/mL",
            "Total B12 350.00001 pg/mL on 2026-10-01: above 350 pg/mL, deficiency unlikely.",
        ),
        # Plain numbers, never 1e+06 (what %g writes for 999999.9); values of 1,000,000 and
        # more are refused by the contract (contract.LAB_VALUE_MAX).
        (
            999999.9,
            "ng/L",
            "Total B12 999999.9 ng/L on 2026-10-01: above 350 ng/L, deficiency unlikely.",
        ),
        (
            999999.5,
            "pmol/L",
            "Total B12 999999.5 pmol/L (about 1354999 ng/L) on 2026-10-01: above 258.3 pmol/L, "
            "deficiency unlikely.",
        ),
    ],
    ids=[
        "132.9-pmol",
        "258.2-pmol",
        "258.302-pmol",
        "258.31-pmol",
        "179.99999-ng",
        "350.00001-pg",
        "999999.9-ng",
        "999999.5-pmol",
    ],
)
def test_e1_text_gives_the_band_in_the_labs_unit_and_plain_numbers(value, unit, text):
    result = screen({"age_years": 40, "labs": [_lab("total_b12", value, unit)]})
    (reason,) = [r for r in result["reasons"] if r["code"].startswith("lab.total_b12.")]
    assert reason["text"] == text


@pytest.mark.parametrize(
    ("lab", "shown"),
    [
        (_lab("mma", 987654, "nmol/L"), "Methylmalonic acid 987654 nmol/L (987.654 umol/L)"),
        (_lab("mma", 0.00001, "umol/L"), "Methylmalonic acid 0.00001 umol/L on"),
        (_lab("mcv", 999999.9, "fL"), "MCV 999999.9 fL on"),
        (_lab("haemoglobin", 11.99999, "g/dL"), "Haemoglobin 11.99999 g/dL (119.9999 g/L) on"),
        (_lab("haemoglobin", 119.99999, "g/L"), "Haemoglobin 119.99999 g/L on"),
    ],
    ids=["mma-nmol", "mma-umol", "mcv", "haemoglobin-g-dl", "haemoglobin-g-l"],
)
def test_lab_values_are_written_plainly_never_rounded_or_in_exponent_form(lab, shown):
    result = screen({"age_years": 40, "sex": "female", "labs": [lab]})
    texts = " ".join(reason["text"] for reason in result["reasons"])
    assert shown in texts
    assert not re.search(r"\de[+-]?\d", texts)


def test_e1_pmol_per_l_result_shows_the_ng_per_l_equivalent():
    result = screen({"age_years": 40, "labs": [_lab("total_b12", 120, "pmol/L")]})
    assert _reason(result, "lab.total_b12.deficiency_likely")["text"] == (
        "Total B12 120 pmol/L (about 163 ng/L) on 2026-10-01: below 133 pmol/L, deficiency likely."
    )


@pytest.mark.parametrize(
    ("labs", "status"),
    [
        # E4: the most recent result counts, whatever the list order.
        (
            [
                _lab("total_b12", 150, "ng/L", "2025-01-01"),
                _lab("total_b12", 400, "ng/L", "2026-01-01"),
            ],
            "deficiency_unlikely",
        ),
        (
            [
                _lab("total_b12", 400, "ng/L", "2026-01-01"),
                _lab("total_b12", 150, "ng/L", "2025-12-31"),
            ],
            "deficiency_unlikely",
        ),
        (
            [
                _lab("total_b12", 400, "ng/L", "2025-01-01"),
                _lab("total_b12", 150, "ng/L", "2026-01-01"),
            ],
            "deficiency_likely",
        ),
        # Same day: the worse result counts.
        (
            [
                _lab("total_b12", 150, "ng/L", "2026-01-01"),
                _lab("total_b12", 400, "ng/L", "2026-01-01"),
            ],
            "deficiency_likely",
        ),
        # E4: the worst status across tests wins, whichever test is newer.
        (
            [
                _lab("total_b12", 400, "ng/L", "2026-01-01"),
                _lab("active_b12", 20, "pmol/L", "2025-01-01"),
            ],
            "deficiency_likely",
        ),
        (
            [
                _lab("total_b12", 200, "ng/L", "2026-01-01"),
                _lab("active_b12", 80, "pmol/L", "2026-01-01"),
            ],
            "indeterminate",
        ),
        # E3: methylmalonic acid does not set the status; other tests do not either.
        ([_lab("mma", 0.9, "umol/L")], "not_tested"),
        ([_lab("folate", 2, "ug/L"), _lab("haemoglobin", 90, "g/L")], "not_tested"),
    ],
)
def test_e4_most_recent_and_worst_status(labs, status):
    result = screen({"age_years": 40, "labs": labs})
    assert result["lab_interpretation"] == {"b12_status": status}


@pytest.mark.parametrize("reverse", [False, True], ids=["low-first", "low-second"])
def test_e4_two_results_of_one_test_on_the_same_date_the_worse_counts(reverse):
    labs = [
        _lab("total_b12", 150, "ng/L", "2026-01-01"),
        _lab("total_b12", 400, "ng/L", "2026-01-01"),
    ]
    result = screen({"age_years": 40, "labs": labs[::-1] if reverse else labs})
    assert result["lab_interpretation"] == {"b12_status": "deficiency_likely"}


def test_e4_a_lab_dated_after_the_day_of_screening_is_refused_not_counted():
    """A 2062 result would be the most recent and hide the low one: screen() refuses the
    answers, naming the key, instead of screening them."""
    labs = [
        _lab("total_b12", 150, "ng/L", "2026-01-01"),
        _lab("total_b12", 400, "ng/L", "2062-01-01"),
    ]
    with pytest.raises(InvalidAnswers) as refused:
        rules.screen({"age_years": 40, "labs": labs}, today=datetime.date(2026, 12, 1))
    assert refused.value.problems == [
        "labs[1].date: must not be after the day of screening (2026-12-01)"
    ]


def test_e4_the_day_of_screening_is_the_callers():
    """The same answers are valid on the lab's day and refused the day before: the engine
    reads no clock."""
    answers = {"age_years": 40, "labs": [_lab("total_b12", 150, "ng/L", "2026-10-01")]}
    result = rules.screen(answers, today=datetime.date(2026, 10, 1))
    assert result["lab_interpretation"] == {"b12_status": "deficiency_likely"}
    with pytest.raises(InvalidAnswers):
        rules.screen(answers, today=datetime.date(2026, 9, 30))


def test_a_huge_pmol_value_is_refused_before_any_conversion():
    """1.5e308 pmol/L was an OverflowError at the ng/L conversion; validation now refuses it
    (contract.LAB_VALUE_MAX), so the rules never see it."""
    labs = [_lab("total_b12", 1.5e308, "pmol/L")]
    with pytest.raises(InvalidAnswers) as refused:
        screen({"age_years": 40, "symptoms": {"fatigue": _present()}, "labs": labs})
    assert refused.value.problems == ["labs[0].value: must be less than 1,000,000"]


def test_e4_reason_says_which_result_counted():
    labs = [
        _lab("total_b12", 150, "ng/L", "2025-01-01"),
        _lab("total_b12", 400, "ng/L", "2026-01-01"),
    ]
    text = _reason(screen({"age_years": 40, "labs": labs}), "lab.total_b12.deficiency_unlikely")[
        "text"
    ]
    assert text == (
        "Total B12 400 ng/L on 2026-01-01 (the most recent of 2): above 350 ng/L, "
        "deficiency unlikely."
    )


def test_e4_most_recent_haemoglobin_counts():
    labs = [
        _lab("haemoglobin", 100, "g/L", "2025-01-01"),
        _lab("haemoglobin", 14, "g/dL", "2026-01-01"),
    ]
    result = screen({"age_years": 40, "sex": "male", "diet": "vegan", "labs": labs})
    assert "sign.haemoglobin_low" not in _codes(result)


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.52, "umol/L", "Methylmalonic acid 0.52 umol/L on"),
        (520, "nmol/L", "520 nmol/L (0.52 umol/L)"),
    ],
)
def test_e3_mma_is_shown_against_the_labs_range_not_a_rule(value, unit, shown):
    result = screen({"age_years": 40, "diet": "vegan", "labs": [_lab("mma", value, unit)]})
    reason = _reason(result, "lab.mma.result")
    assert shown in reason["text"]
    assert "laboratory's own reference range" in reason["text"]
    assert "clinical.md E3" in reason["source"]
    assert result["level"] == "no_flag"
    assert result["possible_b12_deficiency"] is False


def test_d5_deficiency_likely_alone_is_possible_and_review_soon():
    result = screen({"age_years": 70, "labs": [_lab("total_b12", 150, "ng/L")]})
    assert result["possible_b12_deficiency"] is True
    assert result["level"] == "review_soon"
    assert "level.review_soon.deficiency_likely" in _codes(result)


@pytest.mark.parametrize(
    ("answers", "possible", "level", "mma"),
    [
        ({"symptoms": FATIGUE}, True, "routine", True),
        ({"labs_extra": [_lab("mcv", 105, "fL")]}, True, "routine", True),
        ({}, False, "no_flag", False),
        ({"diet": "vegan"}, False, "no_flag", False),
        ({"symptoms": {"joint_pain": _present()}}, False, "no_flag", False),
        ({"symptoms": FATIGUE, "diet": "vegan"}, True, "routine", True),
        (
            {"symptoms": {"numbness_tingling": _present()}, "diet": "vegan"},
            True,
            "review_soon",
            True,
        ),
    ],
)
def test_d5_indeterminate_with_a_symptom_or_sign(answers, possible, level, mma):
    answers = dict(answers)
    labs = [_lab("total_b12", 250, "ng/L"), *answers.pop("labs_extra", [])]
    result = screen({"age_years": 35, "labs": labs, **answers})
    assert result["possible_b12_deficiency"] is possible
    assert result["level"] == level
    assert ("action.consider_mma" in _actions(result)) is mma


def test_d5_deficiency_unlikely_does_not_flag():
    result = screen(
        {"age_years": 35, "symptoms": FATIGUE, "labs": [_lab("total_b12", 500, "ng/L")]}
    )
    assert result["level"] == "no_flag"
    assert result["possible_b12_deficiency"] is False


def test_d4_no_a1_and_no_likely_result_is_no_flag_with_reasons_listed():
    result = screen({"age_years": 40, "symptoms": FATIGUE})
    assert result["level"] == "no_flag"
    assert _codes(result) == ["symptom.fatigue", "criterion.symptoms_without_risk_factor"]


def test_e5_pregnancy_prefers_active_b12():
    untested = screen({"age_years": 30, "pregnant": "yes", "diet": "vegan", "symptoms": FATIGUE})
    assert _actions(untested) == ["action.offer_active_b12_test"]
    tested = screen({"age_years": 30, "pregnant": "yes", "labs": [_lab("total_b12", 400, "ng/L")]})
    assert "lab.total_b12.pregnancy" in _codes(tested)


def test_e5_g2_nitrous_oxide_suggests_homocysteine_or_mma():
    answers = {
        "age_years": 22,
        "medicines": ["nitrous_oxide"],
        "labs": [_lab("total_b12", 400, "ng/L")],
    }
    result = screen(answers)
    assert "action.test_homocysteine_or_mma" in _actions(result)
    assert "lab.nitrous_oxide" in _codes(result)


def test_e6_injections_review_treatment_instead_of_retesting():
    answers = {
        "age_years": 60,
        "conditions": ["autoimmune_gastritis"],
        "symptoms": FATIGUE,
        "b12_treatment": "injections",
        "labs": [_lab("total_b12", 150, "ng/L")],
    }
    result = screen(answers)
    assert "lab.on_injections" in _codes(result)
    assert "action.review_b12_treatment" in _actions(result)
    assert "action.offer_b12_test" not in _actions(result)
    # Conservative: the status is still computed from the level.
    assert result["lab_interpretation"] == {"b12_status": "deficiency_likely"}
    assert result["level"] == "review_soon"


def test_e7_interpretation_is_a_suggestion():
    result = screen({"age_years": 40, "labs": [_lab("active_b12", 50, "pmol/L")]})
    assert _reason(result, "lab.reference_ranges_vary")["source"] == "clinical.md E7; NG239"


# --- G7: texts name the level the result has ---------------------------------

REVIEW_SOON_TRIGGERS = {
    "age_years": 30,
    "pregnant": "yes",
    "diet": "vegan",
    "medicines": ["nitrous_oxide"],
    "symptoms": {"numbness_tingling": _present()},
    "labs": [_lab("total_b12", 150, "ng/L")],
}
REVIEW_SOON_CODES = [
    "level.review_soon.neurological_symptom",
    "level.review_soon.pregnant",
    "level.review_soon.nitrous_oxide",
    "level.review_soon.deficiency_likely",
]


def test_g7_review_soon_reasons_say_review_soon_in_a_review_soon_result():
    result = screen(REVIEW_SOON_TRIGGERS)
    assert result["level"] == "review_soon"
    for code in REVIEW_SOON_CODES:
        assert _reason(result, code)["text"].endswith("Review soon."), code


@pytest.mark.parametrize("flag", ["saddle_numbness", "thoughts_of_self_harm"])
def test_g7_reasons_inside_an_urgent_result_do_not_say_review_soon(flag):
    result = screen({**REVIEW_SOON_TRIGGERS, "red_flags": {flag: True}})
    assert result["level"] == "urgent"
    for code in REVIEW_SOON_CODES:
        assert _reason(result, code)["text"].endswith(
            "This adds to the urgent review (a red flag makes the result urgent)."
        ), code
    for reason in result["reasons"]:
        assert "review soon" not in reason["text"].lower(), reason["code"]


def test_g7_routine_reason_inside_an_urgent_result_does_not_say_routine_review():
    answers = {"age_years": 35, "symptoms": FATIGUE, "labs": [_lab("total_b12", 250, "ng/L")]}
    routine = _reason(screen(answers), "level.routine.indeterminate_with_symptom")["text"]
    assert routine.endswith("For routine review.")
    urgent = screen({**answers, "red_flags": {"chest_pain": True}})
    text = _reason(urgent, "level.routine.indeterminate_with_symptom")["text"]
    assert "routine" not in text.lower()
    assert text.endswith("This adds to the urgent review (a red flag makes the result urgent).")


# --- a citation says only what was confirmed ----------------------------------


def test_reason_text_says_pending_review_where_its_source_does():
    """Where docs/clinical-rules.md says a point was not confirmed in NG239 or came from a
    secondary summary (its source says "pending review"), the text says so too."""
    pending = 0
    for answers in [*ALL_CODES_SCENARIOS, REVIEW_SOON_TRIGGERS]:
        for reason in screen(answers)["reasons"]:
            if "pending review" in reason["source"]:
                pending += 1
                assert re.search(r"pending (clinical )?review", reason["text"]), reason["code"]
    assert pending >= 8


def test_d2_neurological_text_does_not_attribute_the_secondary_summary_to_ng239():
    text = _reason(screen(REVIEW_SOON_TRIGGERS), "level.review_soon.neurological_symptom")["text"]
    assert "NG239 advises" not in text
    assert "A secondary summary of NG239 says not to wait for test results" in text
    assert "(pending review)" in text
    pregnant = _reason(screen(REVIEW_SOON_TRIGGERS), "level.review_soon.pregnant")["text"]
    assert "NG239 asks" not in pregnant
    assert "pending review" in pregnant


# --- G: suggested actions ---------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "actions"),
    [
        # G1 once A1 is met and no B12 result is recorded yet.
        ({"diet": "vegan", "symptoms": FATIGUE}, ["action.offer_b12_test"]),
        ({"diet": "vegan", "symptoms": FATIGUE, "labs": [_lab("total_b12", 400, "ng/L")]}, []),
        # G4 on reported anaemia signs (B8).
        (
            {"diet": "vegan", "symptoms": {"pale_or_yellow_skin": _present()}},
            ["action.offer_b12_test", "action.full_blood_count"],
        ),
        ({"symptoms": {"breathlessness_or_palpitations": _present()}}, ["action.full_blood_count"]),
        # G5 when deficiency is likely and no other cause is recorded; G6: after a
        # deficiency-likely result, treatment is always the suggested next step.
        (
            {"labs": [_lab("total_b12", 100, "ng/L")]},
            ["action.consider_treatment", "action.consider_coeliac_testing"],
        ),
        (
            {"family_history": True, "labs": [_lab("total_b12", 100, "ng/L")]},
            ["action.consider_treatment", "action.consider_coeliac_testing"],
        ),
        (
            {"diet": "vegan", "labs": [_lab("total_b12", 100, "ng/L")]},
            ["action.consider_treatment"],
        ),
        (
            {"conditions": ["coeliac_disease"], "labs": [_lab("total_b12", 100, "ng/L")]},
            ["action.consider_treatment"],
        ),
        ({"labs": [_lab("total_b12", 200, "ng/L")]}, []),
    ],
)
def test_g_suggested_actions(answers, actions):
    assert _actions(screen({"age_years": 40, **answers})) == actions


ANAEMIA = {"pale_or_yellow_skin": _present()}


@pytest.mark.parametrize(
    ("answers", "absent", "present"),
    [
        # G6: no G1 once a total or active B12 result is recorded.
        (
            {"diet": "vegan", "symptoms": FATIGUE, "labs": [_lab("total_b12", 250, "ng/L")]},
            "action.offer_b12_test",
            "lab.total_b12.indeterminate",
        ),
        (
            {"diet": "vegan", "symptoms": FATIGUE, "labs": [_lab("active_b12", 80, "pmol/L")]},
            "action.offer_b12_test",
            "lab.active_b12.deficiency_unlikely",
        ),
        (
            {
                "pregnant": "yes",
                "diet": "vegan",
                "symptoms": FATIGUE,
                "labs": [_lab("active_b12", 50, "pmol/L")],
            },
            "action.offer_active_b12_test",
            "lab.active_b12.indeterminate",
        ),
        # G6: no G3 (nor G2) once an MMA result is recorded.
        (
            {
                "symptoms": FATIGUE,
                "labs": [_lab("total_b12", 250, "ng/L"), _lab("mma", 0.3, "umol/L")],
            },
            "action.consider_mma",
            "lab.mma.result",
        ),
        (
            {"medicines": ["nitrous_oxide"], "labs": [_lab("mma", 300, "nmol/L")]},
            "action.test_homocysteine_or_mma",
            "lab.mma.result",
        ),
        # G6: no G4 once haemoglobin and MCV are both recorded.
        (
            {
                "symptoms": ANAEMIA,
                "labs": [_lab("haemoglobin", 140, "g/L"), _lab("mcv", 90, "fL")],
            },
            "action.full_blood_count",
            "lab.blood_count.recorded",
        ),
    ],
)
def test_g6_no_test_suggested_when_its_result_is_recorded(answers, absent, present):
    result = screen({"age_years": 40, **answers})
    assert absent not in _actions(result)
    assert present in _codes(result)


@pytest.mark.parametrize(
    ("answers", "present"),
    [
        ({"diet": "vegan", "symptoms": FATIGUE}, "action.offer_b12_test"),
        ({"symptoms": FATIGUE, "labs": [_lab("total_b12", 250, "ng/L")]}, "action.consider_mma"),
        ({"medicines": ["nitrous_oxide"]}, "action.test_homocysteine_or_mma"),
        # Haemoglobin alone is not a full blood count: G4 still applies.
        (
            {"symptoms": ANAEMIA, "labs": [_lab("haemoglobin", 140, "g/L")]},
            "action.full_blood_count",
        ),
        ({"symptoms": ANAEMIA, "labs": [_lab("mcv", 90, "fL")]}, "action.full_blood_count"),
    ],
)
def test_g6_tests_are_still_suggested_when_their_result_is_not_recorded(answers, present):
    assert present in _actions(screen({"age_years": 40, **answers}))


def test_g6_recorded_blood_count_is_shown_instead_of_suggesting_one():
    labs = [_lab("haemoglobin", 14.1, "g/dL", "2026-09-01"), _lab("mcv", 92, "fL")]
    result = screen({"age_years": 40, "symptoms": ANAEMIA, "labs": labs})
    assert _reason(result, "lab.blood_count.recorded")["text"] == (
        "Signs of anaemia reported, and a blood count is already recorded: haemoglobin "
        "14.1 g/dL on 2026-09-01, MCV 92 fL on 2026-10-01 (the most recent of each). No new "
        "full blood count is suggested."
    )


def test_g6_a1_text_does_not_say_offer_a_test_once_b12_is_recorded():
    answers = {"age_years": 40, "diet": "vegan", "symptoms": FATIGUE}
    untested = _reason(screen(answers), "criterion.a1_met")["text"]
    assert untested.endswith("offer an initial B12 test.")
    tested = screen({**answers, "labs": [_lab("total_b12", 250, "ng/L")]})
    text = _reason(tested, "criterion.a1_met")["text"]
    assert "offer an initial B12 test" not in text
    assert "a B12 result is already recorded" in text


@pytest.mark.parametrize(
    "answers",
    [
        {"labs": [_lab("total_b12", 150, "ng/L")]},
        {"diet": "vegan", "symptoms": FATIGUE, "labs": [_lab("active_b12", 20, "pmol/L")]},
        {"pregnant": "yes", "labs": [_lab("total_b12", 132.9, "pmol/L")]},
    ],
)
def test_g6_deficiency_likely_suggests_treatment_as_the_clinicians_decision(answers):
    result = screen({"age_years": 40, **answers})
    (action,) = [a for a in result["suggested_actions"] if a["code"] == "action.consider_treatment"]
    assert "treatment per local protocol" in action["text"]
    assert "NG239" in action["text"]
    assert "the clinician's decision" in action["text"]


def test_g6_on_injections_the_next_step_is_the_treatment_review_not_a_new_treatment():
    answers = {
        "age_years": 40,
        "b12_treatment": "injections",
        "labs": [_lab("total_b12", 150, "ng/L")],
    }
    actions = _actions(screen(answers))
    assert "action.consider_treatment" not in actions
    assert "action.review_b12_treatment" in actions


# --- worked examples (clinical.md) ------------------------------------------


@pytest.mark.parametrize(
    ("answers", "level", "possible"),
    [
        (
            {
                "age_years": 58,
                "medicines": ["metformin"],
                "symptoms": {"numbness_tingling": _present(sites=["feet"], both_sides=True)},
            },
            "review_soon",
            True,
        ),
        ({"age_years": 30, "diet": "vegan", "symptoms": FATIGUE}, "routine", True),
        (
            {
                "age_years": 45,
                "diet": "omnivore",
                "medicines": [],
                "conditions": [],
                "symptoms": {"joint_pain": _present(sites=["knees"], severity=7)},
            },
            "no_flag",
            False,
        ),
        (
            {
                "age_years": 40,
                "diet": "vegan",
                "symptoms": {"joint_pain": _present(sites=["knees"])},
            },
            "no_flag",
            False,
        ),
        ({"age_years": 70, "labs": [_lab("total_b12", 150, "ng/L")]}, "review_soon", True),
        (
            {"age_years": 35, "symptoms": FATIGUE, "labs": [_lab("total_b12", 250, "ng/L")]},
            "routine",
            True,
        ),
    ],
)
def test_worked_examples(answers, level, possible):
    result = screen(answers)
    assert result["level"] == level
    assert result["possible_b12_deficiency"] is possible


# --- the spec's edges added by issue 11 (clinical.md B11, E1, E4) -------------


@pytest.mark.parametrize(
    ("labs", "status", "level"),
    [
        ([_lab("total_b12", 132.9, "pmol/L")], "deficiency_likely", "review_soon"),
        ([_lab("total_b12", 258.2, "pmol/L")], "indeterminate", "routine"),
        # Same day: the worse counts, whichever unit and order.
        (
            [
                _lab("total_b12", 400, "ng/L", "2026-09-01"),
                _lab("total_b12", 132.9, "pmol/L", "2026-09-01"),
            ],
            "deficiency_likely",
            "review_soon",
        ),
        (
            [
                _lab("total_b12", 258.2, "pmol/L", "2026-09-01"),
                _lab("total_b12", 351, "ng/L", "2026-09-01"),
            ],
            "indeterminate",
            "routine",
        ),
        # An older low result followed by a newer indeterminate one: the newer counts.
        (
            [
                _lab("total_b12", 150, "ng/L", "2025-03-01"),
                _lab("total_b12", 250, "ng/L", "2026-09-01"),
            ],
            "indeterminate",
            "routine",
        ),
    ],
)
def test_spec_edges_b12_with_tiredness(labs, status, level):
    result = screen({"age_years": 35, "symptoms": FATIGUE, "labs": labs})
    assert result["lab_interpretation"] == {"b12_status": status}
    assert result["level"] == level
    assert result["possible_b12_deficiency"] is True


def test_spec_edge_older_low_then_newer_indeterminate_names_the_newer_result():
    labs = [
        _lab("total_b12", 150, "ng/L", "2025-03-01"),
        _lab("total_b12", 250, "ng/L", "2026-09-01"),
    ]
    result = screen({"age_years": 35, "labs": labs})
    assert _codes(result)[0] == "lab.total_b12.indeterminate"
    assert _reason(result, "lab.total_b12.indeterminate")["text"].startswith(
        "Total B12 250 ng/L on 2026-09-01 (the most recent of 2)"
    )
    assert "level.review_soon.deficiency_likely" not in _codes(result)


@pytest.mark.parametrize(
    ("value", "is_sign"), [(11.99, True), (11.99999, True), (12, False), (12.0001, False)]
)
def test_spec_edge_haemoglobin_in_g_per_dl(value, is_sign):
    answers = {"age_years": 40, "sex": "female", "diet": "vegan"}
    result = screen({**answers, "labs": [_lab("haemoglobin", value, "g/dL")]})
    assert ("sign.haemoglobin_low" in _codes(result)) is is_sign
    assert result["level"] == ("routine" if is_sign else "no_flag")


@pytest.mark.parametrize(
    ("risk", "level", "possible", "criterion"),
    [
        ({"diet": "vegan"}, "routine", True, "criterion.a1_met"),
        ({}, "no_flag", False, "criterion.symptoms_without_risk_factor"),
    ],
)
def test_spec_edge_high_mcv_with_and_without_a_risk_factor(risk, level, possible, criterion):
    result = screen({"age_years": 40, **risk, "labs": [_lab("mcv", 105, "fL")]})
    assert "sign.mcv_high" in _codes(result)
    assert criterion in _codes(result)
    assert result["level"] == level
    assert result["possible_b12_deficiency"] is possible


# --- docs/clinical-rules.md lists every code ---------------------------------

DOCS = Path(__file__).resolve().parents[3] / "docs" / "clinical-rules.md"

# Between them these answers trigger every reason and action the engine has.
ALL_CODES_SCENARIOS = [
    {
        "age_years": 80,
        "pregnant": "yes",
        "sex": "female",
        "family_history": True,
        "symptoms": {name: _present() for name in contract.SYMPTOMS},
        "red_flags": {code: True for code in contract.RED_FLAGS},
        "medicines": list(contract.MEDICINES),
        "conditions": list(contract.CONDITIONS),
        "b12_treatment": "injections",
        "labs": [
            _lab("total_b12", 100, "ng/L"),
            _lab("active_b12", 50, "pmol/L"),
            _lab("mma", 1, "umol/L"),
            _lab("haemoglobin", 90, "g/L"),
            _lab("mcv", 110, "fL"),
        ],
    },
    *[{"age_years": 40, "diet": diet, "symptoms": FATIGUE} for diet in rule_tables.DIET_RULES],
    {"age_years": 30, "diet": "vegan", "symptoms": FATIGUE},
    {"age_years": 30, "symptoms": FATIGUE, "labs": [_lab("total_b12", 250, "ng/L")]},
    {"age_years": 30, "labs": [_lab("total_b12", 100, "ng/L")]},
    {"age_years": 30, "labs": [_lab("total_b12", 400, "ng/L"), _lab("active_b12", 10, "pmol/L")]},
    {"age_years": 30, "labs": [_lab("active_b12", 30, "pmol/L")]},
    {"age_years": 30, "labs": [_lab("active_b12", 80, "pmol/L")]},
    {"age_years": 50, "medicines": ["metformin", "h2_blocker"]},
    {"age_years": 30, "pregnant": "yes", "diet": "vegan", "symptoms": FATIGUE},
    {"age_years": 22, "medicines": ["nitrous_oxide"]},
    {"age_years": 30, "symptoms": {"pale_or_yellow_skin": _present()}},
]


def test_docs_list_every_code_the_engine_produces():
    documented = set(re.findall(r"`([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)`", DOCS.read_text()))
    produced = set()
    for answers in ALL_CODES_SCENARIOS:
        result = screen(answers)
        produced |= set(_codes(result)) | set(_actions(result))
    assert produced == documented
