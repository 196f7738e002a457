"""How long a patient has had a symptom: what they said (a number and a unit, or "I don't
know") turned into the contract's whole weeks.

Rounded as a clinician reads a duration: a year is 52 weeks and a month a twelfth of that,
so 12 months, 1 year and 52 weeks agree and the contract's limit of 1040 weeks is 20 years;
days are divided by 7. The result is the nearest whole week, a half rounded up (3 days is
0 weeks, 4 days 1 week, 3 months 13 weeks). "I don't know" has no weeks: the contract's key
stays absent, never a guess (docs/answers-extensions.md, "Symptom durations").
"""

from __future__ import annotations

from fractions import Fraction

from screening.engine import contract

DAYS, WEEKS, MONTHS, YEARS = "days", "weeks", "months", "years"
UNITS = (DAYS, WEEKS, MONTHS, YEARS)
# Stored in SymptomAnswer.duration_unit for "I don't know how long".
DONT_KNOW = "dont_know"

WEEKS_PER_UNIT = {
    DAYS: Fraction(1, 7),
    WEEKS: Fraction(1),
    MONTHS: Fraction(52, 12),
    YEARS: Fraction(52),
}


def duration_weeks(number: int, unit: str) -> int:
    """`number` `unit` as whole weeks, to the nearest week (halves up); may be over the
    contract's limit, which the form turns away (`duration_within_limit`)."""
    if number < 0:
        raise ValueError("A duration cannot be negative.")
    exact = number * WEEKS_PER_UNIT[unit]
    return int(exact + Fraction(1, 2))  # floor(x + 1/2): exact fractions, no float error


def duration_within_limit(weeks: int) -> bool:
    return contract.DURATION_WEEKS_MIN <= weeks <= contract.DURATION_WEEKS_MAX
