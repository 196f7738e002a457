"""StaffIdleTimeoutMiddleware: staff are signed out after STAFF_IDLE_TIMEOUT_SECONDS idle."""

from __future__ import annotations

import datetime

import pytest

from screening.accounts.middleware import LAST_ACTIVITY_KEY
from screening.models import AuditEvent

pytestmark = pytest.mark.django_db

TIMEOUT = 15 * 60
PAGE = "/staff/account/backup-codes/"  # any page for verified staff
LOGIN_URL = "/staff/account/login/"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def timeout(settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = TIMEOUT


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_idle_less_than_the_timeout_stays_signed_in(clinician_client, clock):
    assert clinician_client.get(PAGE).status_code == 200
    clock.shift(datetime.timedelta(seconds=TIMEOUT))
    assert clinician_client.get(PAGE).status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).count() == 0


def test_each_request_restarts_the_idle_clock(clinician_client, clock):
    for _ in range(4):  # an hour of work, a request every 14 minutes
        assert clinician_client.get(PAGE).status_code == 200
        clock.shift(datetime.timedelta(seconds=TIMEOUT - 60))
    assert clinician_client.get(PAGE).status_code == 200


def test_idle_past_the_timeout_signs_out_and_returns_after_sign_in(
    clinician_client, clinician, clock
):
    clinician_client.get(PAGE)
    clock.shift(datetime.timedelta(seconds=TIMEOUT + 1))

    response = clinician_client.get(PAGE + "?x=1")

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL + "?next=/staff/account/backup-codes/%3Fx%3D1"
    assert "_auth_user_id" not in clinician_client.session
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT)
    assert (event.actor, event.what, event.detail) == (
        clinician,
        "account.logout",
        {"reason": "idle"},
    )
    login_page = clinician_client.get(response["Location"]).content.decode()
    assert "You were signed out after 15 minutes without activity." in login_page
    # Signed out for good: the next request is simply anonymous.
    assert clinician_client.get(PAGE)["Location"].startswith(LOGIN_URL)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).count() == 1


def test_a_form_sent_after_the_timeout_is_not_replayed(clinician_client, clock):
    clinician_client.get(PAGE)
    clock.shift(datetime.timedelta(seconds=TIMEOUT + 1))
    response = clinician_client.post(PAGE)  # would make new backup codes
    assert response["Location"] == LOGIN_URL
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).count() == 0


def test_a_password_only_session_is_timed_out_too(client, clinician, clock):
    client.force_login(clinician)
    client.get(PAGE)
    clock.shift(datetime.timedelta(seconds=TIMEOUT + 1))
    client.get(PAGE)
    assert "_auth_user_id" not in client.session


def test_patients_are_not_tracked(client, clock):
    client.get("/")
    clock.shift(datetime.timedelta(hours=1))
    assert client.get("/").status_code == 200
    assert LAST_ACTIVITY_KEY not in client.session
