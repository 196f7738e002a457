"""The progress indicator: "Step 3 of 7" on every question page, counted from the steps
that apply to the draft (pregnancy only where it can apply), the same on a page opened
from "Change", and a step's detail pages (`progress_group`) counted as that one step."""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation

from screening.intake import progress
from screening.intake import steps as intake
from tests.conftest import CHECK_URL, CONSENT_URL, STEP_URLS, page_text


def _numbers(slugs: list[str]) -> dict[str, int]:
    """Each page's step number: a details page (`progress_group`) has its group's."""
    group = {slug: intake.STEPS_BY_SLUG[slug].progress_group for slug in slugs}
    own = [slug for slug in slugs if not group[slug]]
    numbers = {slug: number for number, slug in enumerate(own, start=1)}
    return {slug: numbers[group[slug] or slug] for slug in slugs}


# A 35-year-old woman is asked about pregnancy: 7 steps. A man is not: 6.
WITH_PREGNANCY = _numbers(list(STEP_URLS))
WITHOUT_PREGNANCY = _numbers([slug for slug in STEP_URLS if slug != "pregnancy"])


@pytest.fixture(autouse=True)
def english():
    """The names are compared in English, whatever an earlier test left active."""
    with translation.override("en"):
        yield


def _heading(page: str) -> str:
    return page_text(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1))


def _draft(sex: str | None, age: int = 35) -> intake.Draft:
    draft = intake.draft_new(today=timezone.localdate())
    if sex is not None:
        draft.steps["about-you"] = {"sex": sex, "age_years": age}
    return draft


@pytest.mark.parametrize("slug", list(STEP_URLS))
def test_progress_counts_pregnancy_when_it_applies(slug):
    step = intake.STEPS_BY_SLUG[slug]
    found = progress.progress_for(_draft("female"), step)
    assert (found.number, found.total) == (WITH_PREGNANCY[slug], 7)
    assert found.name == intake.STEPS_BY_SLUG[step.progress_group or slug].title


@pytest.mark.parametrize("slug", [slug for slug in STEP_URLS if slug != "pregnancy"])
def test_progress_skips_pregnancy_when_it_does_not_apply(slug):
    found = progress.progress_for(_draft("male"), intake.STEPS_BY_SLUG[slug])
    assert (found.number, found.total) == (WITHOUT_PREGNANCY[slug], 6)


def test_progress_over_55_skips_pregnancy():
    found = progress.progress_for(_draft("female", age=56), intake.STEPS_BY_SLUG["urgent"])
    assert (found.number, found.total) == (3, 6)


def test_progress_before_about_you_is_answered_counts_the_steps_known_to_apply():
    found = progress.progress_for(_draft(None), intake.STEPS_BY_SLUG["about-you"])
    assert (found.number, found.total) == (1, 6)


def test_progress_group_pages_count_as_the_step_they_belong_to(monkeypatch):
    detail = intake.Step(
        "symptoms-details",
        "Tell us more",
        intake.STEPS_BY_SLUG["symptoms"].form_class,
        progress_group="symptoms",
    )
    steps = list(intake.STEPS)
    steps.insert(steps.index(intake.STEPS_BY_SLUG["symptoms"]) + 1, detail)
    monkeypatch.setattr(progress, "STEPS", tuple(steps))
    draft = _draft("male")

    on_detail = progress.progress_for(draft, detail)
    after = progress.progress_for(draft, intake.STEPS_BY_SLUG["urgent"])

    assert (on_detail.number, on_detail.total, on_detail.name) == (2, 6, "How you feel")
    assert (after.number, after.total) == (3, 6)


def test_only_the_symptom_details_pages_count_as_another_step():
    grouped = {step.slug: step.progress_group for step in intake.STEPS if step.progress_group}
    assert grouped and set(grouped.values()) == {"symptoms"}
    assert all(slug.startswith("symptom-details") for slug in grouped)
    assert "progress_group" in {field.name for field in dataclasses.fields(intake.Step)}


def test_every_question_page_shows_its_step_in_the_heading(journey):
    journey.consent()
    for slug, number in WITH_PREGNANCY.items():
        page = journey.get(STEP_URLS[slug]).content.decode()
        step = intake.STEPS_BY_SLUG[slug]
        title = str(step.title)
        caption = f"Step {number} of {7 if slug != 'about-you' else 6}"
        if step.progress_group:  # a details page names the step it belongs to
            caption += f": {intake.STEPS_BY_SLUG[step.progress_group].title}"
        assert _heading(page) == f"{caption}. {title}"
        journey.answer(slug)


def test_a_man_sees_six_steps(journey):
    journey.answer("about-you", sex="male")
    page = journey.get(STEP_URLS["symptoms"]).content.decode()
    assert _heading(page) == "Step 2 of 6. How you feel"


def test_change_link_page_keeps_its_number(journey):
    journey.answer_all()
    page = journey.get(STEP_URLS["risk-factors"] + "?return=check").content.decode()
    assert _heading(page) == "Step 5 of 7. Diet, medicines and health"


def test_before_you_start_and_check_are_not_numbered(journey):
    page = journey.get(CONSENT_URL).content.decode()
    assert "step-progress" not in page
    journey.answer_all()
    page = journey.get(CHECK_URL).content.decode()
    assert "step-progress" not in page
    assert "Step " not in page_text(page)


def test_progress_in_spanish(journey):
    journey.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    journey.answer_all(until="urgent")
    page = journey.get(STEP_URLS["urgent"]).content.decode()
    assert _heading(page) == "Paso 4 de 7. Síntomas urgentes"
