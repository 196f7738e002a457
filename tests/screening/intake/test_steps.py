"""The pages' answers -> contract answers conversion, step order and applicability (steps.py),
and what "check your answers" and "get help now" show (display.py)."""

import copy

import pytest

from screening.engine import contract
from screening.engine.validation import validate_answers
from screening.intake import display
from screening.intake import steps as intake
from screening.intake.forms.about_you import AboutYouForm
from tests.conftest import INTAKE_DAY, VALID_ANSWERS, VALID_PAGES


def _draft(**changes_by_slug) -> intake.Draft:
    """A draft whose pages were answered (through the real forms) with VALID_PAGES + changes."""
    draft = intake.Draft(idempotency_key="key", intake_date=INTAKE_DAY)
    for slug, data in VALID_PAGES.items():
        changes = changes_by_slug.get(slug.replace("-", "_"), {})
        if changes is None:
            continue  # this page was not answered
        step = intake.STEPS_BY_SLUG[slug]
        form = step.form_class({**data, **changes}, today=INTAKE_DAY, **step.form_kwargs(draft))
        assert form.is_valid(), form.errors
        intake.draft_answer(draft, step, form.session_data())
    return draft


def test_answers_from_steps_of_the_valid_pages():
    answers = intake.answers_from_steps(_draft())
    assert answers == VALID_ANSWERS
    assert validate_answers(answers, today=INTAKE_DAY) == []


def test_answers_from_steps_dont_know_leaves_keys_absent():
    draft = _draft(
        risk_factors={"family_history": "dont_know", "medicines": ["dont_know"]},
        symptom_details_1={
            "numbness_tingling_both_sides": "dont_know",
            "numbness_tingling_sites": [],
        },
    )
    answers = intake.answers_from_steps(draft)
    assert "family_history" not in answers
    assert "medicines" not in answers
    assert answers["symptoms"]["numbness_tingling"] == {"present": True, "severity": 4}


def test_answers_from_steps_none_of_these_is_an_empty_list():
    answers = intake.answers_from_steps(_draft(risk_factors={"medicines": ["none"]}))
    assert answers["medicines"] == []


def test_answers_from_steps_family_history_yes_and_no_are_booleans():
    assert (
        intake.answers_from_steps(_draft(risk_factors={"family_history": "yes"}))["family_history"]
        is True
    )
    assert (
        intake.answers_from_steps(_draft(risk_factors={"family_history": "no"}))["family_history"]
        is False
    )


def test_answers_from_steps_no_blood_tests_leaves_labs_absent():
    empty = {key: "" for key in VALID_PAGES["blood-tests"]}
    answers = intake.answers_from_steps(_draft(blood_tests=empty))
    assert "labs" not in answers


def test_answers_from_steps_so_far_has_only_the_pages_answered():
    draft = _draft(risk_factors=None, blood_tests=None)
    answers = intake.answers_from_steps(draft)
    assert set(answers) == {
        "age_years",
        "sex",
        "pregnant",
        "breastfeeding",
        "symptoms",
        "red_flags",
    }
    assert validate_answers(answers, today=INTAKE_DAY) == []


@pytest.mark.parametrize(
    ("sex", "birth_year", "applies"),
    [
        ("female", "1970", True),  # 55 on the intake day
        ("female", "1969", False),  # 56
        ("other", "1990", True),
        ("prefer_not_to_say", "1990", True),
        ("male", "1990", False),
    ],
)
def test_pregnancy_applies_by_sex_and_age(sex, birth_year, applies):
    draft = _draft(about_you={"sex": sex, "dob_year": birth_year}, pregnancy=None)
    assert intake.pregnancy_applies(draft) is applies
    assert (intake.STEPS_BY_SLUG["pregnancy"] in intake.applicable_steps(draft)) is applies


def test_pregnancy_answers_are_dropped_when_it_no_longer_applies():
    draft = _draft()
    male = AboutYouForm({**VALID_PAGES["about-you"], "sex": "male"}, today=INTAKE_DAY)
    assert male.is_valid()
    draft.steps["about-you"] = male.session_data()
    answers = intake.answers_from_steps(draft)
    assert "pregnant" not in answers
    assert "breastfeeding" not in answers


def test_first_unfinished_step_follows_the_order():
    draft = _draft(symptoms=None, urgent=None, risk_factors=None, blood_tests=None)
    assert intake.first_unfinished_step(draft).slug == "symptoms"
    assert intake.first_unfinished_step(_draft()) is None


def test_first_unfinished_step_includes_pregnancy_once_it_applies():
    draft = _draft(about_you={"sex": "male"}, pregnancy=None)
    assert intake.first_unfinished_step(draft) is None
    female = AboutYouForm(VALID_PAGES["about-you"], today=INTAKE_DAY)
    assert female.is_valid()
    draft.steps["about-you"] = female.session_data()
    assert intake.first_unfinished_step(draft).slug == "pregnancy"


def test_lab_values_become_json_numbers():
    answers = intake.answers_from_steps(
        _draft(blood_tests={"lab1_value": "250.000", "lab2_value": "0.5"})
    )
    values = [lab["value"] for lab in answers["labs"]]
    assert values == [250, 0.5]
    assert [type(value) for value in values] == [int, float]


def test_check_sections_show_dont_know_and_change_links():
    draft = _draft()
    sections = {section.title: section for section in display.check_sections(draft)}
    health = {row.label: row for row in sections["Diet, medicines and health"].rows}
    assert health["Family history"].lines == ["I don't know"]
    assert health["Conditions and treatments"].lines == ["None of these"]
    assert health["Medicines"].change_url == (
        "/intake/risk-factors/?return=check&answer=div_id_medicines#div_id_medicines"
    )
    assert health["Medicines"].anchor == "answer-div_id_medicines"
    feel = {row.label: row for row in sections["How you feel"].rows}
    assert feel["Numbness, tingling or pins and needles"].lines == [
        "Yes: 4 out of 10, I don't know how long",
        "Where: Hands, Feet",
        "Both sides: Yes",
    ]
    assert feel["Tiredness or lack of energy"].lines == ["Yes: 7 out of 10, for 12 weeks"]
    assert feel["Things you have noticed"].lines == [
        "Tiredness or lack of energy",
        "Numbness, tingling or pins and needles",
    ]
    assert (
        feel["Things you have noticed"].change_url
        == "/intake/symptoms/?return=check&answer=id_symptoms_0#id_symptoms_0"
    )
    assert (
        feel["Tiredness or lack of energy"].change_url
        == "/intake/symptoms/details/?return=check&answer=id_fatigue_severity#id_fatigue_severity"
    )


def test_check_sections_show_the_duration_in_the_patients_own_unit():
    draft = _draft(
        symptom_details_1={"fatigue_duration_number": "3", "fatigue_duration_unit": "months"}
    )
    sections = {section.title: section for section in display.check_sections(draft)}
    feel = {row.label: row for row in sections["How you feel"].rows}
    assert feel["Tiredness or lack of energy"].lines == ["Yes: 7 out of 10, for 3 months"]
    assert intake.answers_from_steps(draft)["symptoms"]["fatigue"]["duration_weeks"] == 13


def test_check_sections_lock_sent_answers_after_a_red_flag():
    draft = _draft()
    draft.urgent_submission = "some-public-id"
    sections = {section.title: section for section in display.check_sections(draft)}
    assert {row.change_url for row in sections["About you"].rows} == {None}
    assert {row.change_url for row in sections["Urgent symptoms"].rows} == {None}
    assert None not in {row.change_url for row in sections["How you feel"].rows}


def test_advice_groups_most_urgent_first_and_only_the_flags_answered_yes():
    groups = display.advice_groups(["thoughts_of_self_harm", "chest_pain", "saddle_numbness"])
    assert [group["group"] for group in groups] == [
        "emergency_services",
        "emergency_department_now",
        "mental_health",
    ]
    assert groups[0]["flags"] == ["Chest pain"]


def test_advice_groups_cover_every_red_flag_once():
    codes = [code for _group, group_codes in display.ADVICE_GROUPS for code in group_codes]
    assert sorted(codes) == sorted(contract.RED_FLAGS)


def test_draft_survives_the_session_round_trip():
    session = {}
    draft = intake.draft_new(today=INTAKE_DAY)
    draft.save(session)
    draft.steps["about-you"] = copy.deepcopy(_draft().steps["about-you"])
    draft.save(session)
    loaded = intake.draft_load(session)
    assert loaded == draft
    assert len(loaded.idempotency_key) >= 32
