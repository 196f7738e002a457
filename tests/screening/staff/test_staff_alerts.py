"""Every signed-in staff page shows how many urgent submissions wait unpicked (to those
who may see levels) and warns when nobody is on duty (templates/staff/layout.html)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from screening.accounts import roles
from screening.domain.queries.clinic import clinic_settings
from tests.conftest import page_text
from tests.factories import PatientFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

NOBODY = "Nobody is on duty."


def _on_duty(user) -> None:
    user.groups.add(Group.objects.get(name=roles.ON_DUTY))


@pytest.fixture
def pages():
    submission = SubmissionFactory(level="routine", status="in_review")
    return [
        "/staff/",
        f"/staff/submissions/{submission.public_id}/",
        f"/staff/patients/{submission.patient.public_id}/",
        "/staff/reminders/failed/",
        "/staff/account/password/",
    ]


def test_every_staff_page_counts_urgent_submissions_nobody_picked_up(
    clinician_client, clinician, pages
):
    _on_duty(clinician)
    SubmissionFactory.create_batch(3, level="urgent", status="new")
    SubmissionFactory(level="urgent", status="in_review")

    for url in pages:
        response = clinician_client.get(url)
        assert response.status_code == 200, url
        text = page_text(response.content.decode())
        assert "3 urgent submissions not yet picked up" in text, url
        assert NOBODY not in text, url
    assert 'href="/staff/?level=urgent&amp;status=new"' in response.content.decode()


def test_no_count_when_nothing_urgent_waits(clinician_client, clinician):
    _on_duty(clinician)
    SubmissionFactory(level="urgent", status="reviewed")

    text = page_text(clinician_client.get("/staff/").content.decode())

    assert "not yet picked up" not in text


def test_every_staff_page_warns_when_nobody_is_on_duty(clinician_client, pages):
    for url in pages:
        text = page_text(clinician_client.get(url).content.decode())
        assert NOBODY in text, url


def test_receptionist_sees_the_on_duty_warning_but_no_urgent_count(receptionist_client):
    SubmissionFactory(level="urgent", status="new", patient=PatientFactory())

    text = page_text(receptionist_client.get("/staff/").content.decode())

    assert NOBODY in text
    assert "not yet picked up" not in text


def test_patient_pages_read_no_alerts(client, django_assert_num_queries):
    clinic_settings()  # cached, as in a running clinic: not part of the page's queries
    with django_assert_num_queries(0):
        response = client.get("/intake/before-you-start/")
    assert response.status_code == 200
