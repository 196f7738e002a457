"""Laboratory results (clinical.md B11 and section E): the B12 status, methylmalonic
acid, haemoglobin and MCV as signs, and the lab limits a clinic may configure.

Pure module: no Django. `screen` in `screening/engine/rules.py` calls these; a change to
a threshold, text or source here is a rule change: bump RULES_VERSION in `rules.py`
(tests/screening/engine/test_rules.py hashes this module too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypedDict

from screening.engine.rule_tables import SYMPTOM_RULES, Rule

DEFICIENCY_LIKELY = "deficiency_likely"
INDETERMINATE = "indeterminate"
DEFICIENCY_UNLIKELY = "deficiency_unlikely"
NOT_TESTED = "not_tested"
# Worst first: E4 says the worst status across tests wins.
B12_STATUS_ORDER = (DEFICIENCY_LIKELY, INDETERMINATE, DEFICIENCY_UNLIKELY, NOT_TESTED)


@dataclass(frozen=True)
class LabLimits:
    """Limits for B11 (a low haemoglobin or a high MCV counts as a sign).

    clinical.md B11 says to use the limits the clinic configures. The defaults are
    the WHO haemoglobin cut-offs for anaemia (below 130 g/L in men, 120 g/L in
    non-pregnant women, 110 g/L in pregnancy; WHO 2011 VMNIS, WHO 2024 guideline)
    and an MCV above 100 fL (clinical.md B11; BSH). When sex at birth is not given,
    the male limit is used: the higher limit flags more people for review, not fewer.
    """

    haemoglobin_lower_g_l_male: float = 130.0
    haemoglobin_lower_g_l_female: float = 120.0
    haemoglobin_lower_g_l_pregnant: float = 110.0
    mcv_upper_fl: float = 100.0


DEFAULT_LIMITS = LabLimits()


class LabResult(TypedDict):
    """One item of the answers' `labs` (answers.md), as `validate_answers` lets it through."""

    test: str
    value: float
    unit: str
    date: str  # YYYY-MM-DD


LabsByTest = dict[str, list[LabResult]]  # each test's results, in the order given
# B8: the symptoms that are signs of anaemia (G4).
ANAEMIA_SYMPTOMS = tuple(rule.symptom for rule in SYMPTOM_RULES if rule.anaemia_sign)

# ---------------------------------------------------------------------------
# Laboratory thresholds (clinical.md E1, E2, E3)
# ---------------------------------------------------------------------------

NG_PER_L_PER_PMOL_PER_L = 1.355  # total B12 only (clinical.md E1)
# E1: a pmol/L total B12 is read cautiously at each edge, so that no result is triaged
# less cautiously because of its lab's unit. Deficiency likely below 133 pmol/L (the
# printed figure, above the exact 180 / 1.355 = 132.8); deficiency unlikely only above
# exactly 350 ng/L, 350 / 1.355 = 258.3026 pmol/L (258.3 in texts). The edge is kept
# unrounded: rounding is for display only, never before comparing.
TOTAL_B12_PMOL_UNLIKELY_ABOVE = 350 / NG_PER_L_PER_PMOL_PER_L
# Unit -> (deficiency likely below, indeterminate up to and including), as compared.
TOTAL_B12_CUTOFFS: dict[str, tuple[float, float]] = {
    "ng/L": (180, 350),
    "pg/mL": (180, 350),
    "pmol/L": (133, TOTAL_B12_PMOL_UNLIKELY_ABOVE),
}
ACTIVE_B12_CUTOFFS: dict[str, tuple[float, float]] = {"pmol/L": (25, 70)}
# The same edges as the texts print them, in the lab's unit (E1: "below 133 pmol/L").
B12_CUTOFFS_SHOWN = {"ng/L": ("180", "350"), "pg/mL": ("180", "350"), "pmol/L": ("133", "258.3")}
ACTIVE_B12_CUTOFFS_SHOWN = ("25", "70")
MMA_COMMONLY_QUOTED_UMOL_L = 0.45  # E3: shown to the clinician, not a rule


# --- Section E: laboratory results ------------------------------------------


def labs_by_test(labs: list[LabResult]) -> LabsByTest:
    """Each test's results, in the order given."""
    by_test: LabsByTest = {}
    for lab in labs:
        if lab["test"] in by_test:
            by_test[lab["test"]].append(lab)
        else:
            by_test[lab["test"]] = [lab]
    return by_test


def _latest(
    labs: LabsByTest,
    test: str,
    *,
    worst: Callable[..., LabResult],
    key: Callable[[LabResult], float],
) -> LabResult | None:
    """E4: the most recent result of `test`; on a tie of dates, the worst of them.

    Dates are validated YYYY-MM-DD strings, which sort in calendar order.
    """
    results = labs.get(test)
    if not results:
        return None
    if len(results) == 1:  # the usual case: nothing to choose between
        return results[0]
    latest_date = max(lab["date"] for lab in results)
    return worst((lab for lab in results if lab["date"] == latest_date), key=key)


def _b12_cutoffs(lab: LabResult) -> tuple[float, float]:
    cutoffs = TOTAL_B12_CUTOFFS if lab["test"] == "total_b12" else ACTIVE_B12_CUTOFFS
    return cutoffs[lab["unit"]]


def _b12_status_of(lab: LabResult) -> str:
    """E1, E2: "below" is strictly below; "low to high" includes both ends.

    A pmol/L total B12 is above the indeterminate band only if it is above 350 ng/L
    both ways of working it out (its pmol/L value against 350 / 1.355, and its value
    x 1.355 against 350): floating-point rounding at the edge then keeps the more
    cautious reading, whichever way a lab converted it.
    """
    low, high = _b12_cutoffs(lab)
    value = lab["value"]
    if value < low:
        return DEFICIENCY_LIKELY
    if value <= high:
        return INDETERMINATE
    if _is_total_b12_pmol(lab) and value * NG_PER_L_PER_PMOL_PER_L <= 350:
        return INDETERMINATE
    return DEFICIENCY_UNLIKELY


def _is_total_b12_pmol(lab: LabResult) -> bool:
    return lab["test"] == "total_b12" and lab["unit"] == "pmol/L"


def _b12_rank(lab: LabResult) -> int:
    return B12_STATUS_ORDER.index(_b12_status_of(lab))


def _b12_meaning(lab: LabResult, status: str) -> str:
    """The band in the lab's unit, with its figures as printed (E1, E2)."""
    unit = lab["unit"]
    low, high = B12_CUTOFFS_SHOWN[unit] if lab["test"] == "total_b12" else ACTIVE_B12_CUTOFFS_SHOWN
    if status == DEFICIENCY_LIKELY:
        return f"below {low} {unit}, deficiency likely"
    if status == DEFICIENCY_UNLIKELY:
        return f"above {high} {unit}, deficiency unlikely"
    if lab["value"] > float(high):  # pmol/L just above 258.3, not above exactly 350 ng/L
        return f"not above 350 ng/L, the upper edge of {low} to {high} {unit}; indeterminate"
    return f"{low} to {high} {unit}, indeterminate"


def b12_rules(labs: LabsByTest) -> tuple[str, list[Rule]]:
    """E1, E2, E4: each B12 test's most recent result, and the worst status of them."""
    status = NOT_TESTED
    rules = []
    for test, name, source in (
        ("total_b12", "Total B12", "clinical.md E1, E4; NG239"),
        ("active_b12", "Active B12", "clinical.md E2, E4; NG239"),
    ):
        lab = _latest(labs, test, worst=min, key=_b12_rank)
        if lab is None:
            continue
        lab_status = _b12_status_of(lab)
        status = min(status, lab_status, key=B12_STATUS_ORDER.index)
        equivalent = ""
        if _is_total_b12_pmol(lab):
            ng_per_l = _whole_number(lab["value"] * NG_PER_L_PER_PMOL_PER_L)
            equivalent = f" (about {ng_per_l} ng/L)"
        count = len(labs[test])
        latest = f" (the most recent of {count})" if count > 1 else ""
        text = (
            f"{name} {_number(lab['value'])} {lab['unit']}{equivalent} on {lab['date']}"
            f"{latest}: {_b12_meaning(lab, lab_status)}."
        )
        rules.append(Rule(f"lab.{test}.{lab_status}", text, source))
    return status, rules


def _mma_umol_l(lab: LabResult) -> float:
    return lab["value"] / 1000 if lab["unit"] == "nmol/L" else lab["value"]


def mma_rules(labs: LabsByTest) -> list[Rule]:
    """E3: show methylmalonic acid to the clinician; it does not set b12_status."""
    lab = _latest(labs, "mma", worst=max, key=_mma_umol_l)
    if lab is None:
        return []
    equivalent = ""
    if lab["unit"] == "nmol/L":  # nmol/L / 1000 = umol/L, worked out exactly for display
        equivalent = f" ({_plain(_decimal(lab['value']).scaleb(-3))} umol/L)"
    text = (
        f"Methylmalonic acid {_number(lab['value'])} {lab['unit']}{equivalent} on "
        f"{lab['date']}: compare with the laboratory's own reference range. A value above "
        f"{MMA_COMMONLY_QUOTED_UMOL_L} umol/L is commonly quoted but not confirmed in NG239, "
        "so it does not change this screening result."
    )
    return [Rule("lab.mma.result", text, "clinical.md E3; NG239 (cut-off not confirmed)")]


def lab_context_rules(answers: dict[str, Any], labs: LabsByTest, b12_status: str) -> list[Rule]:
    """E5, E6, E7: what the clinician should keep in mind when reading B12 results."""
    rules = []
    if answers.get("pregnant") == "yes" and "total_b12" in labs:
        rules.append(LAB_PREGNANCY_RULE)
    if "nitrous_oxide" in answers.get("medicines", []) and b12_status != NOT_TESTED:
        rules.append(LAB_NITROUS_OXIDE_RULE)
    if answers.get("b12_treatment") == "injections":
        rules.append(LAB_ON_INJECTIONS_RULE)
    if b12_status != NOT_TESTED:
        rules.append(LAB_REFERENCE_RANGES_RULE)
    rules += _blood_count_recorded_rules(answers, labs)
    return rules


def _blood_count_recorded_rules(answers: dict[str, Any], labs: LabsByTest) -> list[Rule]:
    """G6: the patient reports a sign of anaemia (B8) but haemoglobin and MCV are both
    recorded, so no full blood count is suggested (G4); the recorded results are shown."""
    symptoms = answers.get("symptoms", {})
    if not any(symptoms.get(code, {}).get("present") for code in ANAEMIA_SYMPTOMS):
        return []
    haemoglobin = _latest(labs, "haemoglobin", worst=min, key=_haemoglobin_g_l)
    mcv = _latest(labs, "mcv", worst=max, key=lambda lab: lab["value"])
    if haemoglobin is None or mcv is None:
        return []
    text = (
        f"Signs of anaemia reported, and a blood count is already recorded: haemoglobin "
        f"{_number(haemoglobin['value'])} {haemoglobin['unit']} on {haemoglobin['date']}, "
        f"MCV {_number(mcv['value'])} fL on {mcv['date']} (the most recent of each). No new "
        "full blood count is suggested."
    )
    return [Rule("lab.blood_count.recorded", text, "clinical.md G4, G6; BSH")]


LAB_PREGNANCY_RULE = Rule(
    "lab.total_b12.pregnancy",
    "Pregnant: active B12 is the preferred test in pregnancy; read the total B12 "
    "result with caution.",
    "clinical.md E5; NG239",
)
LAB_NITROUS_OXIDE_RULE = Rule(
    "lab.nitrous_oxide",
    "Recreational nitrous oxide use: B12 levels can look normal; homocysteine or "
    "methylmalonic acid is the preferred test.",
    "clinical.md E5; NG239",
)
# Kept conservative: b12_status is still computed from the levels (a low level during
# injections is not hidden), but the clinician is told the levels are not informative
# and is pointed to a treatment review instead of a re-test.
LAB_ON_INJECTIONS_RULE = Rule(
    "lab.on_injections",
    "Has B12 injections now: B12 levels are not informative during injection "
    "treatment; any B12 result here is shown but should not lead to a re-test.",
    "clinical.md E6; BSH; local NHS guidance (BNSSG Remedy)",
)
LAB_REFERENCE_RANGES_RULE = Rule(
    "lab.reference_ranges_vary",
    "Some groups have different reference ranges (NG239 notes people of Black "
    "ethnicity may have higher ranges): this interpretation is a suggestion for "
    "the clinician, not a verdict.",
    "clinical.md E7; NG239",
)


# --- Section B11: haemoglobin and MCV as signs ------------------------------


def sign_rules(answers: dict[str, Any], labs: LabsByTest, limits: LabLimits) -> list[Rule]:
    """B11: a haemoglobin below the limit, or an MCV above it, counts as a sign."""
    rules = []
    haemoglobin = _latest(labs, "haemoglobin", worst=min, key=_haemoglobin_g_l)
    if haemoglobin is not None:
        limit, used_for = _haemoglobin_limit(answers, limits)
        # g/dL x 10 = g/L, exactly (in decimal), so 11.99 g/dL is 119.9 g/L, below 120.
        value = _decimal(haemoglobin["value"])
        shown = f"{_plain(value)} {haemoglobin['unit']}"
        if haemoglobin["unit"] == "g/dL":
            value = value.scaleb(1)
            shown += f" ({_plain(value)} g/L)"
        if value < _decimal(limit):
            text = (
                f"Haemoglobin {shown} on {haemoglobin['date']}: below the limit of "
                f"{_number(limit)} g/L used for {used_for}. A sign of anaemia."
            )
            source = "clinical.md B11; BSH; WHO haemoglobin cut-offs (clinic may configure)"
            rules.append(Rule("sign.haemoglobin_low", text, source, "low haemoglobin"))
    mcv = _latest(labs, "mcv", worst=max, key=lambda lab: lab["value"])
    if mcv is not None and mcv["value"] > limits.mcv_upper_fl:
        text = (
            f"MCV {_number(mcv['value'])} fL on {mcv['date']}: above "
            f"{_number(limits.mcv_upper_fl)} fL (large red cells). A sign of "
            "macrocytic anaemia."
        )
        rules.append(Rule("sign.mcv_high", text, "clinical.md B11; BSH", "high MCV"))
    return rules


def _haemoglobin_g_l(lab: LabResult) -> float:
    return lab["value"] * 10 if lab["unit"] == "g/dL" else lab["value"]


def _haemoglobin_limit(answers: dict[str, Any], limits: LabLimits) -> tuple[float, str]:
    if answers.get("pregnant") == "yes":
        return limits.haemoglobin_lower_g_l_pregnant, "pregnancy"
    if answers.get("sex") == "female":
        return limits.haemoglobin_lower_g_l_female, "women"
    if answers.get("sex") == "male":
        return limits.haemoglobin_lower_g_l_male, "men"
    return limits.haemoglobin_lower_g_l_male, "sex at birth not given (the higher limit)"


def _decimal(value: float) -> Decimal:
    """The number exactly as written (its shortest repr), for exact decimal arithmetic."""
    return Decimal(repr(value))


def _plain(value: Decimal) -> str:
    """A decimal written out plainly: no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _number(value: float) -> str:
    """A lab value as people write it, never rounded: 165 not 165.0, 0.52 not 0.520,
    179.99 not 180 (rounding could make a value read as the cut-off it is below), and
    1234567 not 1.23457e+06."""
    return _plain(_decimal(value))


def _whole_number(value: float) -> str:
    """A converted value to display "about N" (E1): rounded for display only."""
    return _plain(_decimal(value).to_integral_value(rounding=ROUND_HALF_UP))
