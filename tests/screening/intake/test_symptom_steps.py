"""Which symptoms each details page asks about, and what answering the checklist again
does to the details already given (screening.intake.symptom_steps)."""

import pytest

from screening.engine import contract
from screening.intake import steps as intake
from screening.intake import symptom_steps
from tests.conftest import INTAKE_DAY


def _details(code: str, severity: int = 5, number: int | None = 2, unit: str = "weeks") -> dict:
    return {
        f"{code}_severity": severity,
        f"{code}_duration_number": number,
        f"{code}_duration_unit": unit if number is not None else "",
        f"{code}_duration_unknown": number is None,
        f"{code}_duration_weeks": number if number is not None and unit == "weeks" else None,
    }


def _draft() -> intake.Draft:
    return intake.Draft(idempotency_key="key", intake_date=INTAKE_DAY)


def _tick(draft: intake.Draft, *codes: str) -> None:
    step = intake.STEPS_BY_SLUG["symptoms"]
    intake.draft_answer(draft, step, {"symptoms": list(codes) or ["none"]})


def _answer_details(draft: intake.Draft) -> None:
    """Answer every details page that is not answered yet, as a patient would."""
    for index, slug in enumerate(symptom_steps.DETAIL_SLUGS):
        codes = symptom_steps.page_codes(draft.steps, index)
        if codes and slug not in draft.steps:
            data = {}
            for code in codes:
                data.update(_details(code))
            intake.draft_answer(draft, intake.STEPS_BY_SLUG[slug], data)


def _next_unanswered(draft: intake.Draft) -> str:
    """The first page after the checklist the patient still has to answer."""
    after = intake.applicable_steps(draft)
    after = after[after.index(intake.STEPS_BY_SLUG["symptoms"]) + 1 :]
    return next(step.slug for step in after if step.slug not in draft.steps)


def _symptom_pages(draft: intake.Draft) -> list[str]:
    return [
        step.slug
        for step in intake.applicable_steps(draft)
        if step.slug == "symptoms" or step.progress_group == "symptoms"
    ]


@pytest.mark.parametrize(
    ("ticked", "pages"),
    [(0, 1), (1, 2), (4, 2), (5, 2), (13, 2)],
)
def test_symptom_screens_by_how_many_are_ticked(ticked, pages):
    draft = _draft()
    _tick(draft, *contract.SYMPTOMS[:ticked])
    assert len(_symptom_pages(draft)) == pages


def test_every_symptom_takes_two_screens_not_fourteen():
    """One page per symptom would be the checklist and 13 more; the details of every
    symptom come on one page (fewer phone screens than a split, bench/README.md)."""
    draft = _draft()
    _tick(draft, *contract.SYMPTOMS)
    assert _symptom_pages(draft) == ["symptoms", "symptom-details-1"]
    assert symptom_steps.detail_pages(draft.steps) == [list(contract.SYMPTOMS)]


def test_the_details_pages_count_as_the_symptoms_step():
    groups = {step.slug: step.progress_group for step in intake.STEPS}
    assert groups["symptom-details-1"] == groups["symptom-details-2"] == "symptoms"
    assert groups["symptoms"] == groups["urgent"] == ""


def test_ticking_none_goes_straight_on_to_the_urgent_page():
    draft = _draft()
    _tick(draft)
    assert intake.step_after(draft, intake.STEPS_BY_SLUG["symptoms"]).slug == "urgent"


def test_unticking_a_symptom_drops_its_details():
    draft = _draft()
    _tick(draft, "fatigue", "joint_pain")
    _answer_details(draft)
    _tick(draft, "fatigue")
    assert symptom_steps.detail_pages(draft.steps) == [["fatigue"]]
    assert "joint_pain_severity" not in draft.steps["symptom-details-1"]
    assert "fatigue_severity" in draft.steps["symptom-details-1"]
    assert _next_unanswered(draft) == "urgent"  # nothing more to ask


def test_ticking_more_asks_only_about_the_new_ones():
    draft = _draft()
    _tick(draft, "fatigue", "joint_pain")
    _answer_details(draft)
    _tick(draft, "fatigue", "joint_pain", "mouth_ulcers", "vision_changes")
    assert symptom_steps.detail_pages(draft.steps) == [
        ["fatigue", "joint_pain"],
        ["mouth_ulcers", "vision_changes"],
    ]
    assert "symptom-details-1" in draft.steps  # answered before: not asked again
    assert _next_unanswered(draft) == "symptom-details-2"
    assert draft.steps["symptom-details-1"]["fatigue_severity"] == 5


def test_ticking_the_same_again_keeps_every_answer():
    draft = _draft()
    _tick(draft, *contract.SYMPTOMS[:3])
    _answer_details(draft)
    _tick(draft, *contract.SYMPTOMS[:6])  # from "Change": three more, on the second page
    _answer_details(draft)
    before = {slug: dict(draft.steps[slug]) for slug in symptom_steps.DETAIL_SLUGS}
    _tick(draft, *contract.SYMPTOMS[:6])
    assert {slug: draft.steps[slug] for slug in symptom_steps.DETAIL_SLUGS} == before
    assert symptom_steps.detail_pages(draft.steps) == [
        list(contract.SYMPTOMS[:3]),
        list(contract.SYMPTOMS[3:6]),
    ]


def test_unticking_every_symptom_on_the_first_page_moves_the_rest_up():
    draft = _draft()
    _tick(draft, *contract.SYMPTOMS[:3])
    _answer_details(draft)
    _tick(draft, *contract.SYMPTOMS[:6])  # from "Change": three more, on the second page
    _answer_details(draft)
    first, second = symptom_steps.detail_pages(draft.steps)
    _tick(draft, *second)
    assert symptom_steps.detail_pages(draft.steps) == [second]
    assert "symptom-details-2" not in draft.steps
    assert _next_unanswered(draft) == "urgent"


def test_answers_have_the_weeks_and_no_duration_for_i_dont_know():
    draft = _draft()
    _tick(draft, "fatigue", "muscle_weakness")
    page = {**_details("fatigue", number=12), **_details("muscle_weakness", number=None)}
    intake.draft_answer(draft, intake.STEPS_BY_SLUG["symptom-details-1"], page)
    answers = symptom_steps.symptoms_answers(draft.steps)
    assert answers["fatigue"] == {"present": True, "severity": 5, "duration_weeks": 12}
    assert answers["muscle_weakness"] == {"present": True, "severity": 5}
    assert answers["mouth_ulcers"] == {"present": False}
    assert symptom_steps.durations_said(draft.steps) == {
        "fatigue": {"number": 12, "unit": "weeks"},
        "muscle_weakness": {"number": None, "unit": "dont_know"},
    }


def test_a_draft_saved_with_the_one_symptoms_page_is_converted():
    """An IntakeDraft saved before the symptoms had pages of their own comes back as the
    checklist and one details page, its weeks kept as weeks."""
    old_page = {f"{code}_present": "no" for code in contract.SYMPTOMS}
    old_page.update(
        {
            "fatigue_present": "yes",
            "fatigue_severity": 6,
            "fatigue_duration": 8,
            "fatigue_duration_unknown": False,
        }
    )
    steps = {"symptoms": old_page}
    symptom_steps.legacy_symptoms_convert(steps)
    assert steps["symptoms"] == {"symptoms": ["fatigue"], "detail_pages": [["fatigue"]]}
    assert symptom_steps.symptoms_answers(steps)["fatigue"] == {
        "present": True,
        "severity": 6,
        "duration_weeks": 8,
    }
