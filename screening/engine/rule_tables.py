"""The rule tables of clinical.md sections B, C and F: one row per symptom, diet,
condition, medicine and red flag, with its plain words for the clinician and its source;
and the fixed texts of sections D and G.

Pure module: no Django. The engine (`screening/engine/rules.py`) words each reason from
these rows. A row change is a rule change: bump RULES_VERSION in `rules.py`
(tests/screening/engine/test_rules.py hashes this module too).
"""

from __future__ import annotations

from dataclasses import dataclass


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
        "needs immediate neurological assessment (NG127): emergency department or the "
        "clinic's urgent line now, not a booked appointment",
        "clinical.md F3; NG127; NHS Lothian RefHelp; BMJ 2019;365:l1865",
    ),
    "new_difficulty_walking": (
        "new difficulty walking",
        "needs immediate neurological assessment (NG127): emergency department or the "
        "clinic's urgent line now, not a booked appointment",
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
        "urgent mental health support today (emergency services or the clinic's crisis line)",
        "clinical.md F8",
    ),
}


# ---------------------------------------------------------------------------
# Fixed texts of sections D (level) and G (suggested actions)
# ---------------------------------------------------------------------------

# G7: texts name the level the result actually has. Inside an `urgent` result (a red
# flag), a reason that would set `review_soon` or `routine` says it adds to the review.
# Each of these maps "is the result urgent?" to its reason.
REVIEW_SOON = "Review soon."
ADDS_TO_URGENT_REVIEW = "This adds to the urgent review (a red flag makes the result urgent)."


def _by_urgency(code: str, before: str, source: str, *, not_urgent: str) -> dict[bool, Rule]:
    return {
        False: Rule(code, f"{before} {not_urgent}", source),
        True: Rule(code, f"{before} {ADDS_TO_URGENT_REVIEW}", source),
    }


LAB_ONLY_LIKELY_RULES = _by_urgency(
    "level.review_soon.deficiency_likely",
    "The most recent B12 result shows deficiency likely, whatever the symptoms and risk factors.",
    "clinical.md D2, D5, G7; NG239",
    not_urgent=REVIEW_SOON,
)
# D2's wording was found only in secondary summaries of NG239 (docs/clinical-rules.md,
# Confirmations): a text says only what was confirmed, and marks the rest pending review.
PENDING_REVIEW = "pending review"
NEUROLOGICAL_SOURCE = (
    "clinical.md D2, G7; NG239 (not waiting for results before treating: found only in a "
    "secondary summary, pending review)"
)
PREGNANT_WITH_A1_RULES = _by_urgency(
    "level.review_soon.pregnant",
    "Pregnant, with the testing criterion met: particular care in pregnancy, as secondary "
    "summaries of NG239 give it, pending review.",
    "clinical.md D2, G7; NG239 (particular care in pregnancy: secondary summary, pending review)",
    not_urgent=REVIEW_SOON,
)
NITROUS_OXIDE_WITH_A1_RULES = _by_urgency(
    "level.review_soon.nitrous_oxide",
    "Recreational nitrous oxide use, with the testing criterion met.",
    "clinical.md D2, G7; NG239",
    not_urgent=REVIEW_SOON,
)
LAB_ONLY_INDETERMINATE_RULES = _by_urgency(
    "level.routine.indeterminate_with_symptom",
    "Indeterminate B12 result with at least one common symptom or sign: possible "
    "deficiency, even without a risk factor.",
    "clinical.md D5, G7; NG239",
    not_urgent="For routine review.",
)


CONSIDER_TREATMENT_TEXT = (
    "B12 result shows deficiency likely: consider treatment per local protocol, following "
    "NG239. Whether and how to treat is the clinician's decision."
)
