"""Which questions a submission's patient was asked, so the record page shows the answers as
they were given: a question never asked (pregnancy for a 68-year-old man, risk factors on a
follow-up check-in) is not listed as "Not answered", and "I don't know" reads as such.

Storage keeps "I don't know" as an absent answer (docs/answers-extensions.md): NULL, "" or
an unanswered list. On the clinic's own form every question asked needs an answer, "I
don't know" included, so there an absent answer to a question that was asked is the
patient's "I don't know". An EHR's intake (no agreement recorded before the first question)
or an unfinished urgent intake may simply not have it: "Not answered".
"""

from __future__ import annotations

from dataclasses import dataclass

from screening import labels
from screening.engine import contract
from screening.intake.steps import PREGNANCY_MAX_AGE, PREGNANCY_SEXES
from screening.models import Submission, SymptomAnswer

DONT_KNOW = "I don't know"
DONT_KNOW_HOW_LONG = "I don't know how long"
NOT_GIVEN_OPTIONAL = "Not given (optional)"


def is_follow_up(submission: Submission) -> bool:
    """A follow-up check-in asks how the patient feels and the urgent questions only."""
    return submission.kind == "follow_up"


def answered_on_the_form(submission: Submission) -> bool:
    """Sent whole from the clinic's intake form, where every question asked needs an answer
    ("I don't know" included): the patient agreed before the first question, and finished."""
    return (
        not is_follow_up(submission)
        and submission.care_consent_at is not None
        and submission.is_complete
    )


def pregnancy_asked(submission: Submission) -> bool:
    """Whether the pregnancy questions applied (screening.intake.steps.pregnancy_applies)
    or were answered anyway (an EHR may send them)."""
    if submission.pregnant or submission.breastfeeding is not None:
        return True
    if is_follow_up(submission):
        return False
    return submission.sex in PREGNANCY_SEXES and submission.age_years <= PREGNANCY_MAX_AGE


@dataclass(frozen=True)
class BeforeAfterLine:
    """One symptom on a follow-up check-in next to the submission it follows."""

    label: str
    then: str
    now: str
    change: str  # in words: "down 3", "up 2", "no change", "" when not comparable


def _severity(row: SymptomAnswer | None) -> int | None:
    """0-10 as charted: 0 when answered "no", None when not asked or no severity given."""
    if row is None:
        return None
    return row.severity if row.present else 0


def _answer_text(row: SymptomAnswer | None) -> str:
    if row is None:
        return "Not asked"
    if not row.present:
        return "No"
    return "Yes" if row.severity is None else f"Yes, {row.severity}/10"


def _change_text(then: int | None, now: int | None) -> str:
    if then is None or now is None:
        return ""
    if now == then:
        return "no change"
    return f"{'up' if now > then else 'down'} {abs(now - then)}"


def before_after_lines(*, original: Submission, follow_up: Submission) -> list[BeforeAfterLine]:
    """Each symptom's severity then (the submission followed up) and now (the check-in),
    side by side, for the symptoms present at either; uses prefetched symptom rows."""
    then = {row.code: row for row in original.symptoms.all()}
    now = {row.code: row for row in follow_up.symptoms.all()}
    lines = []
    for code in contract.SYMPTOMS:
        before, after = then.get(code), now.get(code)
        if not any(row is not None and row.present for row in (before, after)):
            continue
        lines.append(
            BeforeAfterLine(
                label=str(labels.SYMPTOM_LABELS[code]),
                then=_answer_text(before),
                now=_answer_text(after),
                change=_change_text(_severity(before), _severity(after)),
            )
        )
    return lines
