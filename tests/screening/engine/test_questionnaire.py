"""The questionnaire version and the one way every caller counts a patient's age."""

import datetime

import pytest

from screening.engine.questionnaire import QUESTIONNAIRE_VERSION, age_on


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (datetime.date(1990, 4, 3), datetime.date(2025, 4, 2), 34),
        (datetime.date(1990, 4, 3), datetime.date(2025, 4, 3), 35),
        (datetime.date(2000, 2, 29), datetime.date(2016, 2, 28), 15),
        (datetime.date(2000, 2, 29), datetime.date(2016, 3, 1), 16),
        (datetime.date(2000, 2, 29), datetime.date(2020, 2, 29), 20),
    ],
)
def test_age_on_counts_whole_years(birth, day, age):
    assert age_on(birth, day) == age


def test_questionnaire_version_is_a_plain_string():
    # Stored on every submission and used as the FHIR Questionnaire's id: no spaces.
    assert QUESTIONNAIRE_VERSION.strip() == QUESTIONNAIRE_VERSION
    assert QUESTIONNAIRE_VERSION.isalnum()
