"""The staff pages' alerts (screening/domain/queries/alerts.py): urgent submissions nobody
has picked up, and whether a clinician is on duty, in one query."""

from __future__ import annotations

import pytest

from screening.domain.queries.alerts import StaffAlerts, staff_alerts
from tests.factories import SubmissionFactory
from tests.screening import reminder_support as support

pytestmark = pytest.mark.django_db


def test_counts_only_urgent_submissions_still_new(django_assert_num_queries):
    SubmissionFactory.create_batch(2, level="urgent", status="new")
    SubmissionFactory(level="urgent", status="in_review")
    SubmissionFactory(level="review_soon", status="new")
    support.staff("ada", support.CLINICIAN, support.ON_DUTY)

    with django_assert_num_queries(1):
        alerts = staff_alerts()

    assert alerts == StaffAlerts(urgent_waiting=2, nobody_on_duty=False)


def test_nobody_on_duty_without_an_active_clinician_with_an_email_in_the_group():
    support.staff("desk", support.RECEPTIONIST, support.ON_DUTY)  # not a clinician
    support.staff("off", support.CLINICIAN)  # not on duty
    support.staff("gone", support.CLINICIAN, support.ON_DUTY, active=False)

    assert staff_alerts() == StaffAlerts(urgent_waiting=0, nobody_on_duty=True)


def test_a_clinician_on_duty_without_an_email_does_not_count():
    user = support.staff("ada", support.CLINICIAN, support.ON_DUTY)
    user.email = ""
    user.save()

    assert staff_alerts().nobody_on_duty is True
