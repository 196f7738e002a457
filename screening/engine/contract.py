"""The answers contract (../shared/spec/answers.md) as Python constants.

Pure module: no Django imports. The form, the screening engine, the `screen`
command and the tests all take their codes from here, so a code is spelled in
exactly one place.
"""

from __future__ import annotations

AGE_MIN = 16
AGE_MAX = 120

SEXES = ("female", "male", "other", "prefer_not_to_say")
PREGNANT_CHOICES = ("yes", "no", "not_sure")
DIETS = ("omnivore", "vegetarian", "vegan", "little_animal_food")
B12_TREATMENTS = ("none", "oral", "injections")

ALCOHOL_MIN = 0
ALCOHOL_MAX = 500

SEVERITY_MIN = 0
SEVERITY_MAX = 10
DURATION_WEEKS_MIN = 0
DURATION_WEEKS_MAX = 1040

# Order matters: it is the order the form asks them in (fatigue, numbness or
# tingling and joint pain first, as the intake issue asks).
SYMPTOMS = (
    "fatigue",
    "numbness_tingling",
    "joint_pain",
    "muscle_pain_or_cramps",
    "muscle_weakness",
    "balance_problems",
    "memory_or_concentration",
    "low_mood_or_irritability",
    "sore_or_red_tongue",
    "mouth_ulcers",
    "vision_changes",
    "breathlessness_or_palpitations",
    "pale_or_yellow_skin",
)

NUMBNESS_SITES = ("hands", "feet", "legs", "arms", "face")
JOINT_PAIN_SITES = (
    "hands",
    "wrists",
    "elbows",
    "shoulders",
    "hips",
    "knees",
    "ankles",
    "feet",
    "back",
    "neck",
)
# Which symptoms may carry `sites` (and which sites), and `both_sides`.
SYMPTOM_SITES = {
    "numbness_tingling": NUMBNESS_SITES,
    "joint_pain": JOINT_PAIN_SITES,
}
SYMPTOMS_WITH_BOTH_SIDES = ("numbness_tingling",)

RED_FLAGS = (
    "bladder_or_bowel_control_loss",
    "saddle_numbness",
    "rapidly_worsening_weakness_or_numbness",
    "new_difficulty_walking",
    "sudden_one_sided_weakness_or_speech_difficulty",
    "sudden_vision_loss",
    "chest_pain",
    "breathless_at_rest",
    "thoughts_of_self_harm",
)

MEDICINES = (
    "metformin",
    "proton_pump_inhibitor",
    "h2_blocker",
    "colchicine",
    "pregabalin",
    "topiramate",
    "phenobarbital",
    "primidone",
    "nitrous_oxide",
    "combined_oral_contraceptive",
)

CONDITIONS = (
    "autoimmune_gastritis",
    "atrophic_gastritis",
    "coeliac_disease",
    "sjogrens_syndrome",
    "type1_diabetes",
    "autoimmune_thyroid_disease",
    "vitiligo",
    "addisons_disease",
    "crohns_disease",
    "ileal_resection",
    "gastrectomy",
    "bariatric_surgery",
    "abdominal_or_pelvic_radiotherapy",
    "previous_b12_deficiency",
)

# Lab test code -> accepted units, first unit is the one the form offers first.
LAB_UNITS = {
    "total_b12": ("ng/L", "pg/mL", "pmol/L"),
    "active_b12": ("pmol/L",),
    "mma": ("umol/L", "nmol/L"),
    "haemoglobin": ("g/L", "g/dL"),
    "mcv": ("fL",),
    "folate": ("ug/L", "nmol/L"),
}
LAB_TESTS = tuple(LAB_UNITS)
# A lab value must be less than this on every path (intake form, staff form, FHIR API,
# `manage.py screen`): far above any real result in any accepted unit, and small enough
# that every unit conversion stays a finite number. answers.md sets no bound; the project's
# choice is in docs/answers-extensions.md.
LAB_VALUE_MAX = 1_000_000
# A lab value is kept to this many decimal places (LabResult.value); the bound above holds
# for the value as kept, so 999999.9999 (kept as 1,000,000.000) is refused on every path.
LAB_VALUE_DECIMALS = 3
B12_TESTS = ("total_b12", "active_b12")  # the two measures of B12 itself (E1, E2)

ANSWER_KEYS = (
    "age_years",
    "sex",
    "pregnant",
    "breastfeeding",
    "symptoms",
    "red_flags",
    "diet",
    "alcohol_units_per_week",
    "medicines",
    "conditions",
    "family_history",
    "b12_treatment",
    "labs",
)
REQUIRED_ANSWER_KEYS = ("age_years",)

LEVELS = ("urgent", "review_soon", "routine", "no_flag")
B12_STATUSES = ("deficiency_likely", "indeterminate", "deficiency_unlikely", "not_tested")
