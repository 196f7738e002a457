"""deciding_reasons(): the reasons that decided a result's level, for the queue."""

from __future__ import annotations

import datetime
import functools

from screening.engine import rules
from screening.engine.deciding import deciding_reasons

TODAY = datetime.date(2026, 12, 1)
screen = functools.partial(rules.screen, today=TODAY)


def _deciding(answers: dict) -> list[str]:
    result = screen(answers)
    return [reason["code"] for reason in deciding_reasons(result["reasons"], level=result["level"])]


def _present(**details) -> dict:
    return {"present": True, **details}


def test_deciding_review_soon_neurological_leads_then_criterion_risk_symptom():
    # Worked example 1: metformin and numbness in both feet, plus knee pain (B10).
    codes = _deciding(
        {
            "age_years": 58,
            "medicines": ["metformin"],
            "symptoms": {
                "numbness_tingling": _present(severity=4, sites=["feet"], both_sides=True),
                "joint_pain": _present(severity=8),
            },
        }
    )
    assert codes == [
        "level.review_soon.neurological_symptom",
        "criterion.a1_met",
        "risk.medicine.metformin",
        "symptom.numbness_tingling",
    ]


def test_deciding_never_lists_a_symptom_that_does_not_count():
    codes = _deciding(
        {
            "age_years": 30,
            "diet": "vegan",
            "symptoms": {
                "joint_pain": _present(severity=9),
                "muscle_pain_or_cramps": _present(severity=9),
                "fatigue": _present(severity=2),
            },
        }
    )
    assert codes == ["criterion.a1_met", "risk.diet.vegan", "symptom.fatigue"]


def test_deciding_urgent_red_flag_first():
    codes = _deciding(
        {
            "age_years": 40,
            "diet": "vegan",
            "symptoms": {"fatigue": _present(severity=5)},
            "red_flags": {"chest_pain": True, "saddle_numbness": True},
        }
    )
    assert codes[:3] == ["red_flag.saddle_numbness", "red_flag.chest_pain", "criterion.a1_met"]


def test_deciding_lab_only_deficiency_likely_names_the_result():
    # Worked example 6: no symptoms, total B12 150 ng/L.
    codes = _deciding(
        {
            "age_years": 70,
            "labs": [{"test": "total_b12", "value": 150, "unit": "ng/L", "date": "2026-10-01"}],
        }
    )
    assert codes == ["level.review_soon.deficiency_likely", "lab.total_b12.deficiency_likely"]


def test_deciding_indeterminate_with_symptom_names_result_and_symptom():
    # Worked example 7: fatigue, no risk factor, total B12 250 ng/L.
    codes = _deciding(
        {
            "age_years": 35,
            "symptoms": {"fatigue": _present(severity=3)},
            "labs": [{"test": "total_b12", "value": 250, "unit": "ng/L", "date": "2026-10-01"}],
        }
    )
    assert codes == [
        "level.routine.indeterminate_with_symptom",
        "lab.total_b12.indeterminate",
        "symptom.fatigue",
    ]


def test_deciding_no_flag_says_why_the_criterion_was_not_met():
    # Worked example 4: vegan, knee pain only.
    codes = _deciding(
        {"age_years": 40, "diet": "vegan", "symptoms": {"joint_pain": _present(severity=7)}}
    )
    assert codes == ["criterion.risk_factors_without_symptoms"]


def test_deciding_no_flag_with_nothing_is_empty():
    assert _deciding({"age_years": 40}) == []


def test_deciding_every_flagged_result_has_a_deciding_reason():
    """Whatever the level above no_flag, the queue has something to show."""
    examples = [
        {"age_years": 30, "diet": "vegan", "symptoms": {"fatigue": _present(severity=1)}},
        {"age_years": 30, "red_flags": {"sudden_vision_loss": True}},
        {
            "age_years": 30,
            "pregnant": "yes",
            "diet": "vegan",
            "symptoms": {"fatigue": _present(severity=1)},
        },
        {"age_years": 30, "medicines": ["nitrous_oxide"], "symptoms": {"fatigue": _present()}},
    ]
    for answers in examples:
        result = screen(answers)
        assert result["level"] != "no_flag"
        assert deciding_reasons(result["reasons"], level=result["level"]) != []


def test_deciding_unknown_codes_fall_back_to_counted_reasons():
    reasons = [
        {"code": "old.rule", "text": "An older rule", "source": "x"},
        {"code": "symptom.joint_pain.not_counted", "text": "Joint pain", "source": "x"},
        {"code": "note.medicine.combined_oral_contraceptive", "text": "Pill", "source": "x"},
    ]
    assert deciding_reasons(reasons, level="routine") == [reasons[0]]
