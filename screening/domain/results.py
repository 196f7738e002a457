"""Screening results: the answers as stored, screened, and the result added next to earlier
ones (results are never overwritten).

The intake (`screening.domain.intake`) and a clinician's lab result
(`screening.domain.review.lab_result_add`) are the only writers of ScreeningResult, and they
keep the submission's copy of the current level (used to sort the queue) in step.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from screening.domain.queries.answers import submission_answers
from screening.engine import contract, rules
from screening.engine.labs import LabLimits
from screening.models import ScreeningResult, Submission


def rules_limits() -> LabLimits:
    """The clinic's configured lab limits (clinical.md B11: use the limits the clinic sets)."""
    return LabLimits(**settings.SCREENING_LAB_LIMITS)


def screen_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """The engine's result for these answers, with the clinic's lab limits, screened today
    in the clinic's time zone (a lab dated later is refused: clinical.md E4)."""
    return rules.screen(answers, limits=rules_limits(), today=timezone.localdate())


def screening_result_add(*, submission: Submission, trigger: str) -> ScreeningResult:
    """Screen the answers as stored and add the result next to any earlier ones.

    Screening what is stored means the result always matches what the clinic sees. This and
    the intake's `_submission_create` are the only writers of ScreeningResult, and they keep
    the submission's copy of the current level (used to sort the queue) in step. Call it
    inside the caller's transaction.
    """
    screened = screen_answers(submission_answers(submission=submission))
    row = result_row_create(submission, screened, trigger=trigger)
    level_copy(submission, row.level)
    submission.save(update_fields=["level", "level_rank"])
    return row


def level_copy(submission: Submission, level: str) -> None:
    """The submission's copy of its current result's level, for the queue (not saved)."""
    submission.level = level
    submission.level_rank = contract.LEVELS.index(level)


def result_row_create(
    submission: Submission, screened: dict[str, Any], *, trigger: str
) -> ScreeningResult:
    return ScreeningResult.objects.create(
        submission=submission,
        rules_version=screened["rules_version"],
        level=screened["level"],
        possible_b12_deficiency=screened["possible_b12_deficiency"],
        red_flags=screened["red_flags"],
        reasons=screened["reasons"],
        suggested_actions=screened["suggested_actions"],
        b12_status=screened["lab_interpretation"]["b12_status"],
        trigger=trigger,
    )
