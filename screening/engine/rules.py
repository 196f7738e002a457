"""The screening engine: one intake's answers in, the screening result out.

Pure module: no Django, no I/O, no clock. `screen(answers)` follows sections A to G of
shared/spec/clinical.md and returns the result object of shared/spec/answers.md. Every
rule is a row in a table (`rule_tables.py` for sections B, C and F) or a short named
function (here, and `labs.py` for the laboratory results) carrying its reason code,
its plain-words text for the clinician and its source ("clinical.md B1; NG239").

The product is a triage aid: texts say what an answer means for testing and review,
never that a patient has a deficiency, and never name a brand.

RULES_VERSION: any change to a rule, threshold, text or source in this module,
`rule_tables.py` or `labs.py` must bump RULES_VERSION. Stored results carry it, so a
result stays a pure function of the answers and the version.
tests/screening/engine/test_rules.py records a hash of these three modules and fails,
saying what to do, until the version and the hash are updated.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import asdict
from typing import Any

from screening.engine import contract
from screening.engine.labs import (
    DEFAULT_LIMITS,
    DEFICIENCY_LIKELY,
    INDETERMINATE,
    NOT_TESTED,
    LabLimits,
    LabsByTest,
    b12_rules,
    lab_context_rules,
    labs_by_test,
    mma_rules,
    sign_rules,
)
from screening.engine.rule_tables import (
    ADDS_TO_URGENT_REVIEW,
    AGE_75_RULE_SOURCE,
    COMBINED_PILL_RULE,
    CONDITION_RULES,
    CONSIDER_TREATMENT_TEXT,
    DIET_RULES,
    FAMILY_HISTORY_RULE,
    LAB_ONLY_INDETERMINATE_RULES,
    LAB_ONLY_LIKELY_RULES,
    MEDICINE_RULES,
    MEDICINE_TAKEN,
    NEUROLOGICAL_SOURCE,
    NITROUS_OXIDE_WITH_A1_RULES,
    PENDING_REVIEW,
    PREGNANT_WITH_A1_RULES,
    RED_FLAG_RULES,
    REVIEW_SOON,
    SYMPTOM_RULES,
    Rule,
    SymptomRule,
)
from screening.engine.validation import InvalidAnswers, validate_answers

RULES_VERSION = "2026.12.1"

# ---------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------


def screen(
    answers: dict[str, Any], *, today: datetime.date, limits: LabLimits | None = None
) -> dict[str, Any]:
    """Screen one intake; raise InvalidAnswers if the answers break the contract.

    `today` is the day of screening in the clinic's time zone, given by the caller (the
    engine has no clock): a lab dated after it is refused (clinical.md E4).
    """
    problems = validate_answers(answers, today=today)
    if problems:
        raise InvalidAnswers(problems)
    version = rules_version(limits)
    limits = limits or DEFAULT_LIMITS
    labs = labs_by_test(answers.get("labs", []))

    answered_flags = answers.get("red_flags", {})
    red_flags = [code for code in contract.RED_FLAGS if answered_flags.get(code)]
    answered_symptoms = answers.get("symptoms", {})
    present = _present_symptoms(answered_symptoms)
    symptoms = [_symptom_rule(rule, answered_symptoms[rule.symptom]) for rule in present]
    signs = sign_rules(answers, labs, limits)
    # B1-B9 and B11 count toward A1; B10 symptoms are shown but never counted.
    counted = [
        rule for rule, symptom in zip(symptoms, present, strict=True) if symptom.counts
    ] + signs
    risks = _risk_rules(answers)
    a1_met = bool(counted) and bool(risks)

    b12_status, b12_reasons = b12_rules(labs)
    indeterminate_with_sign = b12_status == INDETERMINATE and bool(counted)
    review_soon = _review_soon_rules(answers, a1_met, present, b12_status, bool(red_flags))

    # D1-D5, strongest first.
    if red_flags:
        level = "urgent"
    elif review_soon:
        level = "review_soon"
    elif a1_met or indeterminate_with_sign:
        level = "routine"
    else:
        level = "no_flag"

    rules = [RED_FLAG_REASONS[code] for code in red_flags]
    rules += symptoms + signs + risks + _note_rules(answers)
    rules += b12_reasons + mma_rules(labs) + lab_context_rules(answers, labs, b12_status)
    rules += _criterion_rules(answers, counted, risks, b12_status)
    rules += review_soon
    if indeterminate_with_sign and not a1_met:
        rules.append(LAB_ONLY_INDETERMINATE_RULES[bool(red_flags)])

    return {
        "rules_version": version,
        "level": level,
        "possible_b12_deficiency": a1_met
        or b12_status == DEFICIENCY_LIKELY
        or indeterminate_with_sign,
        "red_flags": red_flags,
        "reasons": [
            {"code": rule.code, "text": rule.text, "source": rule.source} for rule in rules
        ],
        "suggested_actions": _suggested_actions(
            answers,
            labs,
            a1_met=a1_met,
            present=present,
            risks=risks,
            b12_status=b12_status,
            indeterminate_with_sign=indeterminate_with_sign,
        ),
        "lab_interpretation": {"b12_status": b12_status},
    }


def rules_version(limits: LabLimits | None = None) -> str:
    """RULES_VERSION, plus a short hash of the lab limits when they are not the defaults.

    The limits change results, so a result made with clinic-configured limits must
    say so for the result to stay a pure function of answers and rules_version.
    """
    if limits is None or limits == DEFAULT_LIMITS:
        return RULES_VERSION
    encoded = json.dumps(asdict(limits), sort_keys=True).encode()
    return f"{RULES_VERSION}+limits.{hashlib.sha256(encoded).hexdigest()[:8]}"


# --- Section F: red flags ---------------------------------------------------


def _red_flag_rule(code: str) -> Rule:
    label, care, source = RED_FLAG_RULES[code]
    return Rule(f"red_flag.{code}", f"Red flag answered yes: {label}; {care}.", source)


# The reasons that depend on one answer only are built once, here and for section C
# below (section E: labs.py), not for every intake.
RED_FLAG_REASONS = {code: _red_flag_rule(code) for code in RED_FLAG_RULES}


# --- Section B: symptoms (the B11 signs: labs.py) -------------------------


def _present_symptoms(symptoms: dict[str, Any]) -> list[SymptomRule]:
    return [
        rule
        for rule in SYMPTOM_RULES
        if rule.symptom in symptoms and symptoms[rule.symptom].get("present")
    ]


def _symptom_rule(rule: SymptomRule, answer: dict[str, Any]) -> Rule:
    """The symptom's reason with the patient's own details of it, such as
    "(feet, both sides, severity 4/10)" after the symptom's name."""
    parts = list(answer["sites"]) if "sites" in answer else []
    both_sides = answer.get("both_sides")
    if both_sides is not None:
        parts.append("both sides" if both_sides else "one side")
    severity = answer.get("severity")
    if severity is not None:
        parts.append(f"severity {severity}/10")
    weeks = answer.get("duration_weeks")
    if weeks is not None:
        parts.append(f"for {weeks} week{'' if weeks == 1 else 's'}")
    code, before, after, label = SYMPTOM_REASON_PARTS[rule.symptom]
    if parts:
        return Rule(code, f"{before} ({', '.join(parts)}){after}", rule.source, label)
    return Rule(code, before + after, rule.source, label)


def _symptom_reason_parts(rule: SymptomRule) -> tuple[str, str, str, str]:
    """A symptom's reason code, its text before and after the patient's details, and
    its label for the summaries."""
    before = f"Symptoms: {rule.label}"
    if not rule.counts:
        after = (
            ". Recorded for the clinician; not a common symptom of B12 deficiency in "
            "NG239, so it does not count toward testing."
        )
        return f"symptom.{rule.symptom}.not_counted", before, after, rule.label.lower()
    kind = "a common neurological symptom" if rule.neurological else "a common symptom"
    if PENDING_REVIEW in rule.source:  # B9: the text claims no more than the source
        after = f". Counted as {kind} of B12 deficiency {PENDING_REVIEW} (not confirmed in NG239)."
    else:
        after = f". {kind.capitalize()} of B12 deficiency."
    return f"symptom.{rule.symptom}", before, after, rule.label.lower()


# Worked out once per symptom, so screening a symptom only words its details.
SYMPTOM_REASON_PARTS = {rule.symptom: _symptom_reason_parts(rule) for rule in SYMPTOM_RULES}


# --- Section C: risk factors ------------------------------------------------


def _risk_rules(answers: dict[str, Any]) -> list[Rule]:
    rules = []
    age = answers["age_years"]
    if age >= 75:
        text = f"Age {age}: 75 or over. Counted as a risk factor pending clinical review."
        rules.append(Rule("risk.age_75_or_over", text, AGE_75_RULE_SOURCE, "age 75 or over"))
    if answers.get("diet") in DIET_RULES:
        rules.append(DIET_RULES[answers["diet"]])
    if answers.get("family_history") is True:
        rules.append(FAMILY_HISTORY_RULE)
    conditions = answers.get("conditions", [])
    rules += [rule for code, rule in CONDITION_REASONS if code in conditions]
    medicines = answers.get("medicines", [])
    rules += [rule for code, rule in MEDICINE_REASONS if code in medicines]
    return rules


def _condition_rule(code: str) -> Rule:
    label, source = CONDITION_RULES[code]
    text = f"Conditions: {label}. A common risk factor."
    if PENDING_REVIEW in source:  # C3: not confirmed in NG239's list; the text says so
        text = f"Conditions: {label}. Counted as a risk factor {PENDING_REVIEW}."
    return Rule(f"risk.condition.{code}", text, source, label.split(" (")[0])


def _medicine_rule(code: str) -> Rule:
    label, extra, source = MEDICINE_RULES[code]
    text = f"Medicines: {label}, {MEDICINE_TAKEN}. A common risk factor.{extra}"
    return Rule(f"risk.medicine.{code}", text, source, label)


# (code, reason) in the contract's order, which is the order reasons are listed in.
CONDITION_REASONS = tuple((code, _condition_rule(code)) for code in contract.CONDITIONS)
MEDICINE_REASONS = tuple(
    (code, _medicine_rule(code)) for code in contract.MEDICINES if code in MEDICINE_RULES
)


def _note_rules(answers: dict[str, Any]) -> list[Rule]:
    """Answers that are not risk factors but matter when reading results."""
    if "combined_oral_contraceptive" in answers.get("medicines", []):
        return [COMBINED_PILL_RULE]
    return []


# --- Section A: the testing criterion ---------------------------------------


def _criterion_rules(
    answers: dict[str, Any], counted: list[Rule], risks: list[Rule], b12_status: str
) -> list[Rule]:
    """A1, A2 and A3, each naming the answers that met or missed them. G6: once a total or
    active B12 result is recorded, A1's text does not say to offer the test again."""
    signs = ", ".join([rule.label for rule in counted])
    factors = ", ".join([rule.label for rule in risks])
    rules = []
    if counted and risks:
        met = (
            f"At least one common symptom or sign ({signs}) and at least one common risk "
            f"factor ({factors})"
        )
        if b12_status == NOT_TESTED:
            text = f"{met}: offer an initial B12 test."
        else:
            text = (
                f"{met}: the criterion for offering a B12 test is met, and a B12 result is "
                "already recorded (its interpretation is listed with the laboratory results)."
            )
        rules.append(Rule("criterion.a1_met", text, "clinical.md A1, G6; NG239"))
    elif counted:
        text = (
            f"Common symptoms or signs ({signs}) but no common risk factor recorded: the "
            "testing criterion is not met on symptoms alone."
        )
        rules.append(Rule("criterion.symptoms_without_risk_factor", text, "clinical.md A2; NG239"))
    elif risks:
        text = (
            f"Common risk factors ({factors}) but no common symptom or sign recorded: the "
            "testing criterion is not met on risk factors alone."
        )
        rules.append(Rule("criterion.risk_factors_without_symptoms", text, "clinical.md A2; NG239"))
    if counted and "metformin" in answers.get("medicines", []):
        text = (
            f"Takes metformin and has symptoms or signs ({signs}) that can suggest B12 "
            "deficiency: the MHRA advises checking B12 levels."
        )
        rules.append(Rule("criterion.metformin_with_symptoms", text, "clinical.md A3; MHRA 2022"))
    return rules


# --- Section D: level -------------------------------------------------------


def _review_soon_rules(
    answers: dict[str, Any],
    a1_met: bool,
    present: list[SymptomRule],
    b12_status: str,
    urgent: bool,
) -> list[Rule]:
    """D2 and D5: the reasons, if any, that make this intake `review_soon`. Inside an
    `urgent` result (a red flag) they say they add to the review instead (G7)."""
    rules = []
    if a1_met:
        neurological = [rule.label.lower() for rule in present if rule.neurological]
        if neurological:
            # Not waiting for results before treating was found only in a secondary
            # summary (docs/clinical-rules.md, Confirmations): the text says so.
            text = (
                f"Neurological symptoms ({', '.join(neurological)}) with the testing "
                "criterion met. A secondary summary of NG239 says not to wait for test "
                "results before treating people with neurological symptoms (pending review). "
                f"{ADDS_TO_URGENT_REVIEW if urgent else REVIEW_SOON}"
            )
            rules.append(Rule("level.review_soon.neurological_symptom", text, NEUROLOGICAL_SOURCE))
        if answers.get("pregnant") == "yes":
            rules.append(PREGNANT_WITH_A1_RULES[urgent])
        if "nitrous_oxide" in answers.get("medicines", []):
            rules.append(NITROUS_OXIDE_WITH_A1_RULES[urgent])
    if b12_status == DEFICIENCY_LIKELY:
        rules.append(LAB_ONLY_LIKELY_RULES[urgent])
    return rules


# --- Section G: suggested actions (for the clinician only) ------------------


def _suggested_actions(
    answers: dict[str, Any],
    labs: LabsByTest,
    *,
    a1_met: bool,
    present: list[SymptomRule],
    risks: list[Rule],
    b12_status: str,
    indeterminate_with_sign: bool,
) -> list[dict[str, str]]:
    """Section G. G6: a test is suggested only where its result is not already in the
    answers; the recorded result is in the reasons instead."""
    medicines = answers.get("medicines", [])
    on_injections = answers.get("b12_treatment") == "injections"
    mma_recorded = "mma" in labs
    actions = []
    # G1, only while no B12 result is recorded (G6); E6 replaces it during injections.
    if a1_met and b12_status == NOT_TESTED and not on_injections:
        if answers.get("pregnant") == "yes":
            text = "Offer an active B12 test (the preferred test in pregnancy)."
            actions.append(("action.offer_active_b12_test", text))
        else:
            actions.append(("action.offer_b12_test", "Offer a total B12 or active B12 test."))
    # G6 and I2: after a deficiency-likely result the next step is the clinician's
    # treatment decision (during injections, E6's treatment review below instead).
    if b12_status == DEFICIENCY_LIKELY and not on_injections:
        actions.append(("action.consider_treatment", CONSIDER_TREATMENT_TEXT))
    # A3: metformin plus another risk factor, without symptoms yet.
    if (
        "metformin" in medicines
        and not a1_met
        and any(rule.code != "risk.medicine.metformin" for rule in risks)
    ):
        text = "Takes metformin with another risk factor: consider periodic B12 monitoring."
        actions.append(("action.consider_b12_monitoring", text))
    if "nitrous_oxide" in medicines and not mma_recorded:  # G2; G6: not once MMA is recorded
        text = (
            "Nitrous oxide use: test homocysteine or methylmalonic acid rather than total "
            "B12 alone."
        )
        actions.append(("action.test_homocysteine_or_mma", text))
    if indeterminate_with_sign and not mma_recorded:  # G3, E3, D5; G6
        text = (
            "Indeterminate B12 result with symptoms or signs: consider a methylmalonic acid test."
        )
        actions.append(("action.consider_mma", text))
    # G4 on the anaemia signs the patient reports (B8); B11 signs already come from
    # a blood count. G6: not when haemoglobin and MCV are both recorded.
    blood_count_recorded = "haemoglobin" in labs and "mcv" in labs
    if any(rule.anaemia_sign for rule in present) and not blood_count_recorded:
        text = "Signs of anaemia reported: check a full blood count."
        actions.append(("action.full_blood_count", text))
    # G5 applies when there is no other cause: a recorded diet, medicine or condition
    # is another possible cause; age and family history are risks, not causes.
    causes = [
        rule
        for rule in risks
        if rule.code.startswith(("risk.diet.", "risk.medicine.", "risk.condition."))
    ]
    if b12_status == DEFICIENCY_LIKELY and not causes:
        text = (
            "B12 result shows deficiency likely and no other cause is recorded: consider "
            "testing for coeliac disease."
        )
        actions.append(("action.consider_coeliac_testing", text))
    if on_injections:  # E6
        text = "Has B12 injections now: review the treatment rather than re-testing B12 levels."
        actions.append(("action.review_b12_treatment", text))
    return [{"code": code, "text": text} for code, text in actions]
