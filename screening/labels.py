"""Human words for the contract's codes, in one place.

The codes come from `screening.engine.contract`; these are the short labels shown to
patients (check your answers), to clinic staff (admin) and used as model choices.
Plain words, no brand names, translatable.
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from screening.engine import contract

SEX_LABELS = {
    "female": _("Female"),
    "male": _("Male"),
    "other": _("Other"),
    "prefer_not_to_say": _("I prefer not to say"),
}

PREGNANT_LABELS = {
    "yes": _("Yes"),
    "no": _("No"),
    "not_sure": _("I'm not sure"),
}

DIET_LABELS = {
    "omnivore": _("I eat meat or fish"),
    "vegetarian": _("Vegetarian: no meat or fish, but I eat eggs or dairy"),
    "vegan": _("Vegan: no food from animals"),
    "little_animal_food": _("I eat very little meat, fish, eggs or dairy"),
}

B12_TREATMENT_LABELS = {
    "none": _("No"),
    "oral": _("Yes, by mouth (tablets, drops or spray)"),
    "injections": _("Yes, injections"),
}

SYMPTOM_LABELS = {
    "fatigue": _("Tiredness or lack of energy"),
    "numbness_tingling": _("Numbness, tingling or pins and needles"),
    "joint_pain": _("Joint pain"),
    "muscle_pain_or_cramps": _("Muscle pain or cramps"),
    "muscle_weakness": _("Muscle weakness"),
    "balance_problems": _("Problems with balance or coordination"),
    "memory_or_concentration": _("Problems with memory, thinking or concentration"),
    "low_mood_or_irritability": _("Low mood or feeling irritable"),
    "sore_or_red_tongue": _("A sore or red tongue"),
    "mouth_ulcers": _("Mouth ulcers"),
    "vision_changes": _("Changes in your eyesight"),
    "breathlessness_or_palpitations": _(
        "Getting out of breath easily, or a pounding or fluttering heartbeat"
    ),
    "pale_or_yellow_skin": _("Pale or yellowish skin"),
}

NUMBNESS_SITE_LABELS = {
    "hands": _("Hands"),
    "feet": _("Feet"),
    "legs": _("Legs"),
    "arms": _("Arms"),
    "face": _("Face"),
}

JOINT_PAIN_SITE_LABELS = {
    "hands": _("Hands or fingers"),
    "wrists": _("Wrists"),
    "elbows": _("Elbows"),
    "shoulders": _("Shoulders"),
    "hips": _("Hips"),
    "knees": _("Knees"),
    "ankles": _("Ankles"),
    "feet": _("Feet or toes"),
    "back": pgettext_lazy("body part", "Back"),  # not the "Back" link: "Espalda", not "Volver"
    "neck": _("Neck"),
}

SITE_LABELS = {
    "numbness_tingling": NUMBNESS_SITE_LABELS,
    "joint_pain": JOINT_PAIN_SITE_LABELS,
}

# The full question, in plain words, as the urgent-symptoms page asks it.
RED_FLAG_QUESTIONS = {
    "bladder_or_bowel_control_loss": _(
        "Have you recently lost control of your bladder or bowels, or been unable to pass urine?"
    ),
    "saddle_numbness": _("Do you have new numbness around your bottom, genitals or inner thighs?"),
    "rapidly_worsening_weakness_or_numbness": _(
        "Is weakness or numbness in your arms or legs getting worse quickly, over hours or days?"
    ),
    "new_difficulty_walking": _("Do you have new difficulty walking, or are you falling over?"),
    "sudden_one_sided_weakness_or_speech_difficulty": _(
        "Has one side of your face drooped, or one arm or leg become weak, or has your speech "
        "become slurred or hard to understand, suddenly?"
    ),
    "sudden_vision_loss": _("Have you suddenly lost sight in one or both eyes?"),
    "chest_pain": _("Do you have pain, pressure or tightness in your chest?"),
    "breathless_at_rest": _("Are you out of breath while resting or sitting still?"),
    "thoughts_of_self_harm": _("Are you having thoughts of harming yourself or ending your life?"),
}

# The short form, for check-your-answers, error messages and the admin.
RED_FLAG_LABELS = {
    "bladder_or_bowel_control_loss": _("Lost control of bladder or bowels"),
    "saddle_numbness": _("Numbness around the bottom, genitals or inner thighs"),
    "rapidly_worsening_weakness_or_numbness": _("Weakness or numbness getting worse quickly"),
    "new_difficulty_walking": _("New difficulty walking"),
    "sudden_one_sided_weakness_or_speech_difficulty": _(
        "Sudden weakness on one side, or difficulty speaking"
    ),
    "sudden_vision_loss": _("Sudden loss of sight"),
    "chest_pain": _("Chest pain"),
    "breathless_at_rest": _("Out of breath at rest"),
    "thoughts_of_self_harm": _("Thoughts of self-harm"),
}

# Generic medicine names only: never a brand.
MEDICINE_LABELS = {
    "metformin": _("Metformin (for diabetes)"),
    "proton_pump_inhibitor": _(
        "A medicine that reduces stomach acid, such as omeprazole or lansoprazole"
    ),
    "h2_blocker": _("Another medicine that reduces stomach acid, such as famotidine"),
    "colchicine": _("Colchicine (for gout)"),
    "pregabalin": _("Pregabalin"),
    "topiramate": _("Topiramate"),
    "phenobarbital": _("Phenobarbital"),
    "primidone": _("Primidone"),
    "nitrous_oxide": _("Nitrous oxide (laughing gas), used outside medical care"),
    "combined_oral_contraceptive": _("The combined contraceptive pill"),
}

CONDITION_LABELS = {
    "autoimmune_gastritis": _("Pernicious anaemia (autoimmune gastritis)"),
    "atrophic_gastritis": _("Atrophic gastritis (thinning of the stomach lining)"),
    "coeliac_disease": _("Coeliac disease"),
    "sjogrens_syndrome": _("Sjögren's syndrome"),
    "type1_diabetes": _("Type 1 diabetes"),
    "autoimmune_thyroid_disease": _("An autoimmune thyroid condition"),
    "vitiligo": _("Vitiligo"),
    "addisons_disease": _("Addison's disease"),
    "crohns_disease": _("Crohn's disease"),
    "ileal_resection": _("Surgery to remove part of the small bowel (ileum)"),
    "gastrectomy": _("Surgery to remove all or part of the stomach"),
    "bariatric_surgery": _("Weight-loss surgery"),
    "abdominal_or_pelvic_radiotherapy": _("Radiotherapy to the tummy or pelvis"),
    "previous_b12_deficiency": _("Low vitamin B12 in the past"),
}

LAB_TEST_LABELS = {
    "total_b12": _("Vitamin B12 (total B12)"),
    "active_b12": _("Active B12 (holotranscobalamin)"),
    "mma": _("Methylmalonic acid (MMA)"),
    "haemoglobin": _("Haemoglobin"),
    "mcv": _("Mean cell volume (MCV)"),
    "folate": _("Folate"),
}

# Units are written as labs print them; the contract spells micro as "u".
UNIT_LABELS = {
    "ng/L": "ng/L",
    "pg/mL": "pg/mL",
    "pmol/L": "pmol/L",
    "umol/L": "µmol/L",
    "nmol/L": "nmol/L",
    "g/L": "g/L",
    "g/dL": "g/dL",
    "fL": "fL",
    "ug/L": "µg/L",
}
ALL_UNITS = tuple(dict.fromkeys(unit for units in contract.LAB_UNITS.values() for unit in units))

# For clinic staff only; never shown to a patient.
LEVEL_LABELS = {
    "urgent": _("Urgent"),
    "review_soon": _("Review soon"),
    "routine": _("Routine"),
    "no_flag": _("No flag"),
}

B12_STATUS_LABELS = {
    "deficiency_likely": _("Deficiency likely"),
    "indeterminate": _("Indeterminate"),
    "deficiency_unlikely": _("Deficiency unlikely"),
    "not_tested": _("Not tested"),
}


def choices(codes: tuple[str, ...], labels: dict) -> list[tuple[str, str]]:
    """(code, label) pairs in the contract's order, for model and form choices."""
    return [(code, labels[code]) for code in codes]


# How long a symptom has lasted, as the patient said it (screening.intake.durations):
# the unit they chose, or "dont_know". Model choices of SymptomAnswer.duration_unit.
DURATION_UNIT_LABELS = {
    "days": _("days"),
    "weeks": _("weeks"),
    "months": _("months"),
    "years": _("years"),
    "dont_know": _("I don't know how long"),
}


def duration_said(number: int | None, unit: str) -> str:
    """What the patient said, in words: "3 months", "1 week", "I don't know how long";
    "" when they were not asked this way (an intake from before, a follow-up, an EHR)."""
    forms = {
        "days": lambda n: ngettext("%(number)s day", "%(number)s days", n),
        "weeks": lambda n: ngettext("%(number)s week", "%(number)s weeks", n),
        "months": lambda n: ngettext("%(number)s month", "%(number)s months", n),
        "years": lambda n: ngettext("%(number)s year", "%(number)s years", n),
    }
    if unit == "dont_know":
        return gettext("I don't know how long")
    if unit not in forms or number is None:
        return ""
    return forms[unit](number) % {"number": number}
