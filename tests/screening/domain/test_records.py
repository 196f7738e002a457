import datetime
import uuid

import pytest

from screening.domain.queries.records import (
    submission_by_public_id,
    submission_by_reference,
    submission_current_result,
)
from tests.factories import ScreeningResultFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def test_submission_by_reference_forgives_case_and_spaces():
    submission = SubmissionFactory(reference="B12-7KQ4-XM9P")
    assert submission_by_reference(reference="  b12-7kq4-xm9p ") == submission


def test_submission_by_reference_unknown_is_none():
    SubmissionFactory(reference="B12-7KQ4-XM9P")
    assert submission_by_reference(reference="B12-7KQ4-XM9Q") is None


def test_submission_by_public_id_finds_the_submission():
    submission = SubmissionFactory()
    assert submission_by_public_id(public_id=str(submission.public_id)) == submission


@pytest.mark.parametrize("public_id", ["not-a-uuid", "", str(uuid.uuid4())])
def test_submission_by_public_id_bad_or_unknown_is_none(public_id):
    SubmissionFactory()
    assert submission_by_public_id(public_id=public_id) is None


def test_submission_current_result_is_the_latest(time_machine):
    submission = SubmissionFactory()
    time_machine.move_to(datetime.datetime(2025, 6, 1, 9, tzinfo=datetime.UTC), tick=False)
    ScreeningResultFactory(submission=submission, level="urgent")
    time_machine.move_to(datetime.datetime(2025, 6, 2, 9, tzinfo=datetime.UTC), tick=False)
    latest = ScreeningResultFactory(submission=submission, level="urgent", trigger="lab")
    time_machine.move_to(datetime.datetime(2025, 6, 3, 9, tzinfo=datetime.UTC), tick=False)
    ScreeningResultFactory(level="no_flag")  # another submission's result

    assert submission_current_result(submission=submission) == latest
    assert submission.results.count() == 2


def test_submission_current_result_same_moment_latest_row_wins(time_machine):
    time_machine.move_to(datetime.datetime(2025, 6, 1, 9, tzinfo=datetime.UTC), tick=False)
    submission = SubmissionFactory()
    ScreeningResultFactory(submission=submission, level="urgent")
    second = ScreeningResultFactory(submission=submission, level="urgent")
    assert submission_current_result(submission=submission) == second


def test_submission_current_result_none_without_results():
    assert submission_current_result(submission=SubmissionFactory()) is None
