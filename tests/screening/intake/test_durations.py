"""How long a symptom has lasted: the patient's number and unit -> the contract's weeks."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.engine import contract
from screening.intake import durations


@pytest.mark.parametrize(
    ("number", "unit", "weeks"),
    [
        (0, "days", 0),
        (3, "days", 0),  # under half a week: 0 weeks, not a guess upwards
        (4, "days", 1),
        (10, "days", 1),
        (0, "weeks", 0),
        (12, "weeks", 12),
        (1, "months", 4),
        (3, "months", 13),
        (6, "months", 26),
        (12, "months", 52),
        (18, "months", 78),
        (1, "years", 52),
        (2, "years", 104),
        (20, "years", 1040),  # the contract's limit, exactly
        (240, "months", 1040),
        (7280, "days", 1040),
    ],
)
def test_duration_weeks_as_a_clinician_counts(number, unit, weeks):
    assert durations.duration_weeks(number, unit) == weeks


@pytest.mark.parametrize(
    ("number", "unit", "within"),
    [
        (1040, "weeks", True),
        (1041, "weeks", False),
        (20, "years", True),
        (21, "years", False),
        (241, "months", False),
        (7283, "days", True),  # 1040.43 weeks: 1040
        (7284, "days", False),  # 1040.57 weeks: 1041
    ],
)
def test_the_limit_is_the_contracts_1040_weeks(number, unit, within):
    weeks = durations.duration_weeks(number, unit)
    assert durations.duration_within_limit(weeks) is within


def test_a_negative_duration_is_refused():
    with pytest.raises(ValueError):
        durations.duration_weeks(-1, "days")


@given(number=st.integers(min_value=0, max_value=100_000), unit=st.sampled_from(durations.UNITS))
def test_weeks_are_the_nearest_whole_week(number, unit):
    weeks = durations.duration_weeks(number, unit)
    exact = number * durations.WEEKS_PER_UNIT[unit]
    assert abs(weeks - exact) <= Fraction(1, 2)
    assert weeks >= 0


@given(number=st.integers(min_value=0, max_value=10_000), unit=st.sampled_from(durations.UNITS))
def test_more_time_is_never_fewer_weeks(number, unit):
    assert durations.duration_weeks(number + 1, unit) >= durations.duration_weeks(number, unit)


@given(years=st.integers(min_value=0, max_value=20))
def test_years_months_and_weeks_agree(years):
    in_years = durations.duration_weeks(years, "years")
    assert in_years == durations.duration_weeks(12 * years, "months")
    assert in_years == durations.duration_weeks(52 * years, "weeks")
    assert contract.DURATION_WEEKS_MIN <= in_years <= contract.DURATION_WEEKS_MAX
