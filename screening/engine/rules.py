"""The screening engine: one intake's answers in, the screening result out.

Pure module: no Django, no I/O, no clock. `screen(answers)` follows sections A to G of
shared/spec/clinical.md and returns the result object of shared/spec/answers.md. Every
rule is a row in a table below (or a short named function) carrying its reason code,
its plain-words text for the clinician and its source ("clinical.md B1; NG239").

The product is a triage aid: texts say what an answer means for testing and review,
never that a patient has a deficiency, and never name a brand.

RULES_VERSION: any change to a rule, threshold, text or source in this module must
bump RULES_VERSION. Stored results carry it, so a result stays a pure function of
the answers and the version. tests/screening/engine/test_rules.py records a hash of this
module and fails, saying what to do, until the version and the hash are updated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from screening.engine import contract
from screening.engine.validation import InvalidAnswers, validate_answers

RULES_VERSION = "2026.11.2"

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


@dataclass(slots=True)
class Rule:
    """One reason a result can carry.

    Not frozen, for speed: an intake can carry thirty reasons and a frozen dataclass
    is several times slower to build. Nothing changes a Rule once it is built; the
    module-level ones are shared by every intake.
    """

    code: str
    text: str
    source: str
    label: str = ""  # the answer in a few words, for the A1/A2 summaries


@dataclass(frozen=True)
class SymptomRule:
    """How one symptom answer counts (clinical.md B1-B10)."""

    symptom: str
    label: str
    counts: bool  # toward A1; False only for B10
    neurological: bool  # D2
    anaemia_sign: bool  # G4
    source: str


# ---------------------------------------------------------------------------
# Tables (clinical.md sections B, C and F)
# ---------------------------------------------------------------------------

SYMPTOM_RULES = (
    SymptomRule("fatigue", "Tiredness", True, False, False, "clinical.md B1; NG239"),
    SymptomRule(
        "numbness_tingling",
        "Numbness, tingling or pins and needles",
        True,
        True,
        False,
        "clinical.md B2; NG239",
    ),
    SymptomRule("joint_pain", "Joint pain", False, False, False, "clinical.md B10; NG239"),
    SymptomRule(
        "muscle_pain_or_cramps",
        "Muscle pain or cramps",
        False,
        False,
        False,
        "clinical.md B10; NG239",
    ),
    SymptomRule(
        "muscle_weakness",
        "Muscle weakness",
        True,
        True,
        False,
        "clinical.md B9; NHS patient information; not confirmed in NG239's list, "
        "counted as neurological pending review",
    ),
    SymptomRule(
        "balance_problems",
        "Problems with balance or coordination",
        True,
        True,
        False,
        "clinical.md B3; NG239",
    ),
    SymptomRule(
        "memory_or_concentration",
        "Problems with memory or concentration",
        True,
        True,
        False,
        "clinical.md B4; NG239",
    ),
    SymptomRule(
        "low_mood_or_irritability",
        "Low mood or irritability",
        True,
        False,
        False,
        "clinical.md B6; NG239",
    ),
    SymptomRule(
        "sore_or_red_tongue", "Sore or red tongue", True, False, False, "clinical.md B7; NG239"
    ),
    SymptomRule("mouth_ulcers", "Mouth ulcers", True, False, False, "clinical.md B7; NG239"),
    SymptomRule("vision_changes", "Changes in vision", True, True, False, "clinical.md B5; NG239"),
    SymptomRule(
        "breathlessness_or_palpitations",
        "Breathlessness or palpitations",
        True,
        False,
        True,
        "clinical.md B8; NG239; BSH",
    ),
    SymptomRule(
        "pale_or_yellow_skin",
        "Pale or yellow skin",
        True,
        False,
        True,
        "clinical.md B8; NG239; BSH",
    ),
)

DIET_RULES = {
    "vegan": Rule(
        "risk.diet.vegan",
        "Diet: vegan. Low dietary B12 intake is a common risk factor.",
        "clinical.md C1; NG239",
        "vegan diet",
    ),
    "little_animal_food": Rule(
        "risk.diet.little_animal_food",
        "Diet: eats little animal food. Low dietary B12 intake is a common risk factor.",
        "clinical.md C1; NG239",
        "little animal food",
    ),
    "vegetarian": Rule(
        "risk.diet.vegetarian",
        "Diet: vegetarian. Counted as a risk factor for low dietary B12 intake "
        "pending clinical review (NG239 names vegan and low animal-food diets).",
        "clinical.md C1; BSH; AAFP 2017 (strict vegetarians); not confirmed in NG239, "
        "counted pending review",
        "vegetarian diet",
    ),
}

FAMILY_HISTORY_RULE = Rule(
    "risk.family_history",
    "Family history: a parent, sibling or child with B12 deficiency or an autoimmune "
    "condition. A common risk factor.",
    "clinical.md C2; NG239",
    "family history",
)

AGE_75_RULE_SOURCE = (
    "clinical.md C7; AAFP 2017 (adults older than 75); NG239 final wording not "
    "confirmed, counted pending review"
)

# Condition code -> (plain words, source).
CONDITION_RULES = {
    "autoimmune_gastritis": (
        "autoimmune gastritis (pernicious anaemia)",
        "clinical.md C3; NG239",
    ),
    "atrophic_gastritis": ("atrophic gastritis", "clinical.md C3; NG239"),
    "coeliac_disease": ("coeliac disease", "clinical.md C3; NG239"),
    "sjogrens_syndrome": ("Sjogren's syndrome", "clinical.md C3; NG239"),
    "type1_diabetes": ("type 1 diabetes", "clinical.md C3; NG239"),
    "autoimmune_thyroid_disease": (
        "autoimmune thyroid disease",
        "clinical.md C3 (other autoimmune conditions); NG239; BSH; exact list not "
        "confirmed, counted pending review",
    ),
    "vitiligo": (
        "vitiligo",
        "clinical.md C3 (other autoimmune conditions); NG239; BSH; exact list not "
        "confirmed, counted pending review",
    ),
    "addisons_disease": (
        "Addison's disease",
        "clinical.md C3 (other autoimmune conditions); NG239; BSH; exact list not "
        "confirmed, counted pending review",
    ),
    "crohns_disease": (
        "Crohn's disease (the risk factor is Crohn's disease affecting the ileum; "
        "the form does not ask which part of the bowel)",
        "clinical.md C3; NG239; BSH; counted whatever part of the bowel, pending review",
    ),
    "previous_b12_deficiency": ("previous B12 deficiency", "clinical.md C3; NG239; BSH"),
    "gastrectomy": ("gastrectomy (stomach surgery)", "clinical.md C5; NG239"),
    "bariatric_surgery": ("bariatric surgery", "clinical.md C5; NG239"),
    "ileal_resection": ("ileal resection (terminal ileum)", "clinical.md C5; NG239"),
    "abdominal_or_pelvic_radiotherapy": (
        "radiotherapy to the abdomen or pelvis",
        "clinical.md C5; NG239",
    ),
}

# C8: the contract records medicines taken now or for most of the last 4 months,
# without a duration, so the text says just that.
MEDICINE_TAKEN = "taken now or for most of the last 4 months"

# Medicine code -> (plain words, extra words on duration or dose, source).
MEDICINE_RULES = {
    "metformin": (
        "metformin",
        " Risk rises with higher dose and longer use (MHRA 2022); AAFP 2017 names use "
        "for more than 4 months.",
        "clinical.md C4, C8; NG239; MHRA 2022; AAFP 2017",
    ),
    "proton_pump_inhibitor": (
        "a proton pump inhibitor",
        " AAFP 2017 names use for more than 12 months; ask how long.",
        "clinical.md C4, C8; NG239; AAFP 2017",
    ),
    "h2_blocker": (
        "an H2 blocker",
        " AAFP 2017 names use for more than 12 months; ask how long.",
        "clinical.md C4, C8; NG239; AAFP 2017",
    ),
    "colchicine": ("colchicine", "", "clinical.md C4; NG239"),
    "pregabalin": ("pregabalin", "", "clinical.md C4; NG239"),
    "topiramate": ("topiramate", "", "clinical.md C4; NG239"),
    "phenobarbital": ("phenobarbital", "", "clinical.md C4; NG239"),
    "primidone": ("primidone", "", "clinical.md C4; NG239"),
    "nitrous_oxide": (
        "nitrous oxide (recreational use)",
        " Nitrous oxide inactivates B12; total B12 can look normal.",
        "clinical.md C6; NG239",
    ),
}

COMBINED_PILL_RULE = Rule(
    "note.medicine.combined_oral_contraceptive",
    "Medicines: combined oral contraceptive, taken now or for most of the last 4 months. "
    "Not a risk factor, but it can lower measured total B12: keep in mind when reading "
    "results.",
    "answers.md (medicines codes); BNSSG Remedy B12 guidance",
)

# Red flag code -> (plain words, where care is needed, source). Section F.
RED_FLAG_RULES = {
    "bladder_or_bowel_control_loss": (
        "new loss of bladder or bowel control",
        "possible cauda equina syndrome, emergency department now",
        "clinical.md F1; NG127; CES",
    ),
    "saddle_numbness": (
        "numbness around the genitals, bottom or inner thighs (saddle area)",
        "possible cauda equina syndrome, emergency department now",
        "clinical.md F2; NG127; CES",
    ),
    "rapidly_worsening_weakness_or_numbness": (
        "rapidly worsening weakness or numbness",
        "needs same-day neurological assessment",
        "clinical.md F3; NG127; NHS Lothian RefHelp; BMJ 2019;365:l1865",
    ),
    "new_difficulty_walking": (
        "new difficulty walking",
        "needs same-day neurological assessment",
        "clinical.md F4; NG127; NHS Lothian RefHelp; BMJ 2019;365:l1865",
    ),
    "sudden_one_sided_weakness_or_speech_difficulty": (
        "sudden weakness on one side or difficulty speaking",
        "possible stroke, emergency services now",
        "clinical.md F9; NHS FAST",
    ),
    "sudden_vision_loss": (
        "sudden loss of vision",
        "emergency services now",
        "clinical.md F5; CES",
    ),
    "chest_pain": ("chest pain", "emergency services now", "clinical.md F6; CES"),
    "breathless_at_rest": (
        "breathless at rest",
        "emergency services now",
        "clinical.md F7; CES",
    ),
    "thoughts_of_self_harm": (
        "thoughts of self-harm",
        "urgent mental health support today",
        "clinical.md F8",
    ),
}

# ---------------------------------------------------------------------------
# Laboratory thresholds (clinical.md E1, E2, E3)
# ---------------------------------------------------------------------------

# Unit -> (deficiency likely below, indeterminate up to and including). The
# guideline publishes both ng/L and pmol/L cut-offs; each unit is compared with
# its own published numbers, so 132.9 pmol/L is "below 133" exactly as printed.
# (Converting with 1.355 instead would put 132.9 pmol/L at 180.1 ng/L.)
TOTAL_B12_CUTOFFS = {"ng/L": (180, 350), "pg/mL": (180, 350), "pmol/L": (133, 258)}
ACTIVE_B12_CUTOFFS = {"pmol/L": (25, 70)}
NG_PER_L_PER_PMOL_PER_L = 1.355  # total B12 only; used to show an ng/L equivalent
MMA_COMMONLY_QUOTED_UMOL_L = 0.45  # E3: shown to the clinician, not a rule


# ---------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------


def screen(answers: dict, *, limits: LabLimits | None = None) -> dict:
    """Screen one intake; raise InvalidAnswers if the answers break the contract."""
    problems = validate_answers(answers)
    if problems:
        raise InvalidAnswers(problems)
    version = rules_version(limits)
    limits = limits or DEFAULT_LIMITS
    labs = _labs_by_test(answers.get("labs", []))

    answered_flags = answers.get("red_flags", {})
    red_flags = [code for code in contract.RED_FLAGS if answered_flags.get(code)]
    answered_symptoms = answers.get("symptoms", {})
    present = _present_symptoms(answered_symptoms)
    symptoms = [_symptom_rule(rule, answered_symptoms[rule.symptom]) for rule in present]
    signs = _sign_rules(answers, labs, limits)
    # B1-B9 and B11 count toward A1; B10 symptoms are shown but never counted.
    counted = [
        rule for rule, symptom in zip(symptoms, present, strict=True) if symptom.counts
    ] + signs
    risks = _risk_rules(answers)
    a1_met = bool(counted) and bool(risks)

    b12_status, b12_rules = _b12_rules(labs)
    indeterminate_with_sign = b12_status == INDETERMINATE and bool(counted)
    review_soon = _review_soon_rules(answers, a1_met, present, b12_status)

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
    rules += b12_rules + _mma_rules(labs) + _lab_context_rules(answers, labs, b12_status)
    rules += _criterion_rules(answers, counted, risks)
    rules += review_soon
    if indeterminate_with_sign and not a1_met:
        rules.append(LAB_ONLY_INDETERMINATE_RULE)

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


# The reasons that depend on one answer only are built once, here and for sections C
# and E below, not for every intake.
RED_FLAG_REASONS = {code: _red_flag_rule(code) for code in RED_FLAG_RULES}


# --- Section B: symptoms and signs ------------------------------------------


def _present_symptoms(symptoms: dict) -> list[SymptomRule]:
    return [
        rule
        for rule in SYMPTOM_RULES
        if rule.symptom in symptoms and symptoms[rule.symptom].get("present")
    ]


def _symptom_rule(rule: SymptomRule, answer: dict) -> Rule:
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
    kind = "A common neurological symptom" if rule.neurological else "A common symptom"
    after = f". {kind} of B12 deficiency."
    return f"symptom.{rule.symptom}", before, after, rule.label.lower()


# Worked out once per symptom, so screening a symptom only words its details.
SYMPTOM_REASON_PARTS = {rule.symptom: _symptom_reason_parts(rule) for rule in SYMPTOM_RULES}


def _sign_rules(answers: dict, labs: dict[str, list[dict]], limits: LabLimits) -> list[Rule]:
    """B11: a haemoglobin below the limit, or an MCV above it, counts as a sign."""
    rules = []
    haemoglobin = _latest(labs, "haemoglobin", worst=min, key=_haemoglobin_g_l)
    if haemoglobin is not None:
        limit, used_for = _haemoglobin_limit(answers, limits)
        value = _haemoglobin_g_l(haemoglobin)
        if value < limit:
            text = (
                f"Haemoglobin {_number(value)} g/L on {haemoglobin['date']}: below the "
                f"limit of {_number(limit)} g/L used for {used_for}. A sign of anaemia."
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


def _haemoglobin_g_l(lab: dict) -> float:
    return lab["value"] * 10 if lab["unit"] == "g/dL" else lab["value"]


def _haemoglobin_limit(answers: dict, limits: LabLimits) -> tuple[float, str]:
    if answers.get("pregnant") == "yes":
        return limits.haemoglobin_lower_g_l_pregnant, "pregnancy"
    if answers.get("sex") == "female":
        return limits.haemoglobin_lower_g_l_female, "women"
    if answers.get("sex") == "male":
        return limits.haemoglobin_lower_g_l_male, "men"
    return limits.haemoglobin_lower_g_l_male, "sex at birth not given (the higher limit)"


# --- Section C: risk factors ------------------------------------------------


def _risk_rules(answers: dict) -> list[Rule]:
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


def _note_rules(answers: dict) -> list[Rule]:
    """Answers that are not risk factors but matter when reading results."""
    if "combined_oral_contraceptive" in answers.get("medicines", []):
        return [COMBINED_PILL_RULE]
    return []


# --- Section A: the testing criterion ---------------------------------------


def _criterion_rules(answers: dict, counted: list[Rule], risks: list[Rule]) -> list[Rule]:
    """A1, A2 and A3, each naming the answers that met or missed them."""
    signs = ", ".join([rule.label for rule in counted])
    factors = ", ".join([rule.label for rule in risks])
    rules = []
    if counted and risks:
        text = (
            f"At least one common symptom or sign ({signs}) and at least one common risk "
            f"factor ({factors}): offer an initial B12 test."
        )
        rules.append(Rule("criterion.a1_met", text, "clinical.md A1; NG239"))
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

LAB_ONLY_LIKELY_RULE = Rule(
    "level.review_soon.deficiency_likely",
    "The most recent B12 result shows deficiency likely: review soon, whatever the "
    "symptoms and risk factors.",
    "clinical.md D2, D5; NG239",
)
PREGNANT_WITH_A1_RULE = Rule(
    "level.review_soon.pregnant",
    "Pregnant, with the testing criterion met: NG239 asks for particular care in "
    "pregnancy. Review soon.",
    "clinical.md D2; NG239",
)
NITROUS_OXIDE_WITH_A1_RULE = Rule(
    "level.review_soon.nitrous_oxide",
    "Recreational nitrous oxide use, with the testing criterion met. Review soon.",
    "clinical.md D2; NG239",
)
LAB_ONLY_INDETERMINATE_RULE = Rule(
    "level.routine.indeterminate_with_symptom",
    "Indeterminate B12 result with at least one common symptom or sign: possible "
    "deficiency for routine review, even without a risk factor.",
    "clinical.md D5; NG239",
)


def _review_soon_rules(
    answers: dict, a1_met: bool, present: list[SymptomRule], b12_status: str
) -> list[Rule]:
    """D2 and D5: the reasons, if any, that make this intake `review_soon`."""
    rules = []
    if a1_met:
        neurological = [rule.label.lower() for rule in present if rule.neurological]
        if neurological:
            text = (
                f"Neurological symptoms ({', '.join(neurological)}) with the testing "
                "criterion met: NG239 advises not waiting for test results before treating "
                "people with neurological symptoms. Review soon."
            )
            rules.append(
                Rule("level.review_soon.neurological_symptom", text, "clinical.md D2; NG239")
            )
        if answers.get("pregnant") == "yes":
            rules.append(PREGNANT_WITH_A1_RULE)
        if "nitrous_oxide" in answers.get("medicines", []):
            rules.append(NITROUS_OXIDE_WITH_A1_RULE)
    if b12_status == DEFICIENCY_LIKELY:
        rules.append(LAB_ONLY_LIKELY_RULE)
    return rules


# --- Section E: laboratory results ------------------------------------------


def _labs_by_test(labs: list[dict]) -> dict[str, list[dict]]:
    """Each test's results, in the order given."""
    by_test: dict[str, list[dict]] = {}
    for lab in labs:
        if lab["test"] in by_test:
            by_test[lab["test"]].append(lab)
        else:
            by_test[lab["test"]] = [lab]
    return by_test


def _latest(labs: dict[str, list[dict]], test: str, *, worst, key) -> dict | None:
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


def _b12_cutoffs(lab: dict) -> tuple[float, float]:
    cutoffs = TOTAL_B12_CUTOFFS if lab["test"] == "total_b12" else ACTIVE_B12_CUTOFFS
    return cutoffs[lab["unit"]]


def _b12_status_of(lab: dict) -> str:
    """E1, E2: "below" is strictly below; "low to high" includes both ends."""
    low, high = _b12_cutoffs(lab)
    if lab["value"] < low:
        return DEFICIENCY_LIKELY
    if lab["value"] <= high:
        return INDETERMINATE
    return DEFICIENCY_UNLIKELY


def _b12_rank(lab: dict) -> int:
    return B12_STATUS_ORDER.index(_b12_status_of(lab))


def _b12_rules(labs: dict[str, list[dict]]) -> tuple[str, list[Rule]]:
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
        low, high = _b12_cutoffs(lab)
        unit = lab["unit"]
        if lab_status == DEFICIENCY_LIKELY:
            meaning = f"below {low} {unit}, deficiency likely"
        elif lab_status == INDETERMINATE:
            meaning = f"{low} to {high} {unit}, indeterminate"
        else:
            meaning = f"above {high} {unit}, deficiency unlikely"
        equivalent = ""
        if test == "total_b12" and unit == "pmol/L":
            equivalent = f" (about {round(lab['value'] * NG_PER_L_PER_PMOL_PER_L)} ng/L)"
        count = len(labs[test])
        latest = f" (the most recent of {count})" if count > 1 else ""
        text = (
            f"{name} {_number(lab['value'])} {unit}{equivalent} on {lab['date']}{latest}: "
            f"{meaning}."
        )
        rules.append(Rule(f"lab.{test}.{lab_status}", text, source))
    return status, rules


def _mma_umol_l(lab: dict) -> float:
    return lab["value"] / 1000 if lab["unit"] == "nmol/L" else lab["value"]


def _mma_rules(labs: dict[str, list[dict]]) -> list[Rule]:
    """E3: show methylmalonic acid to the clinician; it does not set b12_status."""
    lab = _latest(labs, "mma", worst=max, key=_mma_umol_l)
    if lab is None:
        return []
    equivalent = f" ({_number(_mma_umol_l(lab))} umol/L)" if lab["unit"] == "nmol/L" else ""
    text = (
        f"Methylmalonic acid {_number(lab['value'])} {lab['unit']}{equivalent} on "
        f"{lab['date']}: compare with the laboratory's own reference range. A value above "
        f"{MMA_COMMONLY_QUOTED_UMOL_L} umol/L is commonly quoted but not confirmed in NG239, "
        "so it does not change this screening result."
    )
    return [Rule("lab.mma.result", text, "clinical.md E3; NG239 (cut-off not confirmed)")]


def _lab_context_rules(answers: dict, labs: dict[str, list[dict]], b12_status: str) -> list[Rule]:
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
    return rules


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


# --- Section G: suggested actions (for the clinician only) ------------------


def _suggested_actions(
    answers: dict,
    *,
    a1_met: bool,
    present: list[SymptomRule],
    risks: list[Rule],
    b12_status: str,
    indeterminate_with_sign: bool,
) -> list[dict]:
    medicines = answers.get("medicines", [])
    on_injections = answers.get("b12_treatment") == "injections"
    actions = []
    # G1, only while no B12 result is recorded; E6 replaces it during injections.
    if a1_met and b12_status == NOT_TESTED and not on_injections:
        if answers.get("pregnant") == "yes":
            text = "Offer an active B12 test (the preferred test in pregnancy)."
            actions.append(("action.offer_active_b12_test", text))
        else:
            actions.append(("action.offer_b12_test", "Offer a total B12 or active B12 test."))
    # A3: metformin plus another risk factor, without symptoms yet.
    if (
        "metformin" in medicines
        and not a1_met
        and any(rule.code != "risk.medicine.metformin" for rule in risks)
    ):
        text = "Takes metformin with another risk factor: consider periodic B12 monitoring."
        actions.append(("action.consider_b12_monitoring", text))
    if "nitrous_oxide" in medicines:  # G2
        text = (
            "Nitrous oxide use: test homocysteine or methylmalonic acid rather than total "
            "B12 alone."
        )
        actions.append(("action.test_homocysteine_or_mma", text))
    if indeterminate_with_sign:  # G3, E3, D5
        text = (
            "Indeterminate B12 result with symptoms or signs: consider a methylmalonic acid test."
        )
        actions.append(("action.consider_mma", text))
    # G4 on the anaemia signs the patient reports (B8); B11 signs already come from
    # a blood count.
    if any(rule.anaemia_sign for rule in present):
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


def _number(value: float) -> str:
    """A lab value as people write it: 165 not 165.0, 0.52 not 0.520."""
    return f"{value:g}"
