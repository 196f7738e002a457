"""What the patient pages show from a draft: the "check your answers" summary and the
"get help now" advice for the red flags answered yes.

Display only: the answers come from `screening.intake.steps.answers_from_steps`, the
words from `screening.labels`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from screening import labels
from screening.intake import returning
from screening.intake.steps import (
    STEPS_BY_SLUG,
    Draft,
    answers_from_steps,
    free_text_from_steps,
    is_locked,
)
from screening.intake.symptom_steps import DETAIL_SLUGS, detail_pages, durations_said

# --- 1. Check your answers -----------------------------------------------------------


@dataclass
class Row:
    label: str
    lines: list[str]
    change_url: str | None  # None: this answer can no longer be changed

    @property
    def anchor(self) -> str:
        """The row's id on the check page, where its Change link comes back to."""
        if self.change_url is None:
            return ""
        return returning.row_id(self.change_url.rpartition("#")[2])


@dataclass
class Section:
    title: str
    rows: list[Row]


def _change_url(draft: Draft, slug: str, anchor: str) -> str | None:
    """The link to the question whose wrapper or fieldset has the id `anchor` (a field's
    wrapper is `div_id_<field>`), so its label or legend is at the top of the screen."""
    step = STEPS_BY_SLUG[slug]
    if is_locked(draft, step):
        return None
    return returning.change_url(step.url(), anchor)


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _long_date(iso: str) -> str:
    """A long date, like 3 April 1990; the format is translated too (3 de abril de 1990)."""
    return date_format(datetime.date.fromisoformat(iso), pgettext("long date format", "j F Y"))


def _symptom_lines(code: str, answer: dict[str, Any], said: dict[str, Any]) -> list[str]:
    """How much and how long, in the patient's own unit ("for 3 months")."""
    if not answer["present"]:
        return [_("No")]
    weeks = answer.get("duration_weeks")
    if said.get("unit") == "dont_know":
        how_long = _("I don't know how long")
    elif said:
        how_long = _("for %(time)s") % {"time": labels.duration_said(said["number"], said["unit"])}
    elif weeks is not None:
        how_long = ngettext("for %(weeks)s week", "for %(weeks)s weeks", weeks) % {"weeks": weeks}
    else:
        how_long = _("how long: not known")
    lines = [
        _("Yes: %(severity)s out of 10, %(how_long)s")
        % {"severity": answer.get("severity"), "how_long": how_long}
    ]
    if "sites" in answer:
        site_labels = labels.SITE_LABELS[code]
        places = ", ".join(str(site_labels[site]) for site in answer["sites"])
        lines.append(_("Where: %(places)s") % {"places": places})
    if "both_sides" in answer:
        lines.append(_("Both sides: %(answer)s") % {"answer": _yes_no(answer["both_sides"])})
    return lines


def _symptom_rows(draft: Draft, symptoms: dict[str, Any]) -> list[Row]:
    """What was noticed (changed on the checklist), then each symptom's details (changed
    on the details page that asks about it)."""
    noticed = [
        str(labels.SYMPTOM_LABELS[code]) for code, answer in symptoms.items() if answer["present"]
    ]
    rows = [
        Row(
            _("Things you have noticed"),
            noticed or [_("None of these")],
            _change_url(draft, "symptoms", "id_symptoms_0"),
        )
    ]
    said = durations_said(draft.steps)
    for slug, codes in zip(DETAIL_SLUGS, detail_pages(draft.steps), strict=False):
        rows.extend(
            Row(
                str(labels.SYMPTOM_LABELS[code]),
                _symptom_lines(code, symptoms[code], said.get(code, {})),
                _change_url(draft, slug, f"id_{code}_severity"),
            )
            for code in codes
        )
    return rows


def _codes_lines(answers: dict[str, Any], key: str, code_labels: dict[str, Any]) -> list[str]:
    if key not in answers:
        return [_("I don't know")]
    if not answers[key]:
        return [_("None of these")]
    return [str(code_labels[code]) for code in answers[key]]


def _text_lines(text: str) -> list[str]:
    """The patient's own words, line by line (the template escapes each line)."""
    return text.split("\n") if text else [_("Not given")]


def check_sections(draft: Draft) -> list[Section]:
    """Every answer given, in plain words, each with where to change it."""
    answers = answers_from_steps(draft)
    free_text = free_text_from_steps(draft)
    about = draft.steps["about-you"]
    sections = [
        Section(
            _("About you"),
            [
                Row(
                    _("Full name"),
                    [about["full_name"]],
                    _change_url(draft, "about-you", "div_id_full_name"),
                ),
                Row(
                    _("Email address"),
                    [about["email"]],
                    _change_url(draft, "about-you", "div_id_email"),
                ),
                Row(
                    _("Phone number"),
                    [about["phone"] or _("Not given")],
                    _change_url(draft, "about-you", "div_id_phone"),
                ),
                Row(
                    _("Date of birth"),
                    [_long_date(about["date_of_birth"])],
                    _change_url(draft, "about-you", "date_of_birth"),
                ),
                Row(
                    _("Sex registered at birth"),
                    [str(labels.SEX_LABELS[about["sex"]])],
                    _change_url(draft, "about-you", "div_id_sex"),
                ),
                Row(
                    _("The clinic can contact you by email"),
                    [_yes_no(about["contact_consent"] == "yes")],
                    _change_url(draft, "about-you", "div_id_contact_consent"),
                ),
            ],
        )
    ]
    if "pregnant" in answers:
        sections.append(
            Section(
                _("Pregnancy and breastfeeding"),
                [
                    Row(
                        _("Pregnant"),
                        [str(labels.PREGNANT_LABELS[answers["pregnant"]])],
                        _change_url(draft, "pregnancy", "div_id_pregnant"),
                    ),
                    Row(
                        _("Breastfeeding"),
                        [_yes_no(answers["breastfeeding"])],
                        _change_url(draft, "pregnancy", "div_id_breastfeeding"),
                    ),
                ],
            )
        )
    sections.append(Section(_("How you feel"), _symptom_rows(draft, answers["symptoms"])))
    sections.append(
        Section(
            _("Urgent symptoms"),
            [
                Row(
                    str(labels.RED_FLAG_LABELS[code]),
                    [_yes_no(answer)],
                    _change_url(draft, "urgent", f"div_id_{code}"),
                )
                for code, answer in answers["red_flags"].items()
            ],
        )
    )
    alcohol = answers.get("alcohol_units_per_week")
    family = {True: _("Yes"), False: _("No"), None: _("I don't know")}
    sections.append(
        Section(
            _("Diet, medicines and health"),
            [
                Row(
                    _("Usual diet"),
                    [str(labels.DIET_LABELS[answers["diet"]])],
                    _change_url(draft, "risk-factors", "div_id_diet"),
                ),
                Row(
                    _("Alcohol units in a usual week"),
                    [str(alcohol) if alcohol is not None else _("Not given")],
                    _change_url(draft, "risk-factors", "div_id_alcohol_units_per_week"),
                ),
                Row(
                    _("Medicines"),
                    _codes_lines(answers, "medicines", labels.MEDICINE_LABELS),
                    _change_url(draft, "risk-factors", "div_id_medicines"),
                ),
                Row(
                    _("Other medicines"),
                    _text_lines(free_text["other_medicines"]),
                    _change_url(draft, "risk-factors", "div_id_other_medicines"),
                ),
                Row(
                    _("Conditions and treatments"),
                    _codes_lines(answers, "conditions", labels.CONDITION_LABELS),
                    _change_url(draft, "risk-factors", "div_id_conditions"),
                ),
                Row(
                    _("Family history"),
                    [family[answers.get("family_history")]],
                    _change_url(draft, "risk-factors", "div_id_family_history"),
                ),
                Row(
                    _("Vitamin B12 now"),
                    [str(labels.B12_TREATMENT_LABELS[answers["b12_treatment"]])],
                    _change_url(draft, "risk-factors", "div_id_b12_treatment"),
                ),
            ],
        )
    )
    lab_lines = [
        _("%(test)s: %(value)s %(unit)s on %(date)s")
        % {
            "test": labels.LAB_TEST_LABELS[lab["test"]],
            "value": lab["value"],
            "unit": labels.UNIT_LABELS[lab["unit"]],
            "date": _long_date(lab["date"]),
        }
        for lab in answers.get("labs", [])
    ]
    sections.append(
        Section(
            _("Recent blood test results"),
            [
                Row(
                    _("Results"),
                    lab_lines or [_("None given")],
                    _change_url(draft, "blood-tests", "blood_test_1"),
                )
            ],
        )
    )
    sections.append(
        Section(
            _("Anything else"),
            [
                Row(
                    _("Your message to the clinic"),
                    _text_lines(free_text["anything_else"]),
                    _change_url(draft, "anything-else", "div_id_anything_else"),
                )
            ],
        )
    )
    return sections


# --- 2. Get help now -----------------------------------------------------------------

# Which advice each red flag needs (clinical.md section F), most time-critical first.
# The template `screening/get_help_now.html` has one block of plain advice per group.
ADVICE_GROUPS = (
    ("stroke", ("sudden_one_sided_weakness_or_speech_difficulty",)),  # F9
    ("emergency_services", ("sudden_vision_loss", "chest_pain", "breathless_at_rest")),  # F5-F7
    ("emergency_department_now", ("bladder_or_bowel_control_loss", "saddle_numbness")),  # F1-F2
    # F3-F4: assessed now (emergency department or the clinic's urgent line), not booked.
    ("assessment_now", ("rapidly_worsening_weakness_or_numbness", "new_difficulty_walking")),
    ("mental_health", ("thoughts_of_self_harm",)),  # F8
)


def advice_groups(red_flags: list[str]) -> list[dict[str, Any]]:
    """[{"group": "stroke", "flags": [labels...]}, ...] for the flags answered yes."""
    groups = []
    for group, codes in ADVICE_GROUPS:
        flags = [str(labels.RED_FLAG_LABELS[code]) for code in codes if code in red_flags]
        if flags:
            groups.append({"group": group, "flags": flags})
    return groups
