"""Where the patient is in the intake: "Step 3 of 7" above each question page's heading.

Counted from the steps that apply to this draft (`steps.applicable_steps`), so the total
is right when a page is skipped (pregnancy not asked: one step fewer) and on a page
opened from "Change" on the check page. Pages with a `progress_group` count as the step
that slug names (a group of detail pages is one step, named after it). "Before you
start" and "Check your answers" are not question steps and are not numbered
(docs/intake.md, "Where the patient is").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from screening.intake.steps import STEPS, STEPS_BY_SLUG, Draft, Step

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Progress:
    number: int  # 1-based
    total: int
    name: StrOrPromise  # the step's name: its own title, or its group's


def _group(step: Step) -> str:
    return step.progress_group or step.slug


def progress_for(draft: Draft, step: Step) -> Progress:
    """The step `step` is in, out of the steps that apply to `draft` now (`step` is
    counted whether or not it applies: it is the page on the screen)."""
    groups: list[str] = []
    for counted in STEPS:
        if (counted is step or counted.applies(draft)) and _group(counted) not in groups:
            groups.append(_group(counted))
    group = _group(step)
    named = STEPS_BY_SLUG.get(group, step)
    return Progress(number=groups.index(group) + 1, total=len(groups), name=named.title)
