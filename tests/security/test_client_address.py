"""Behind a reverse proxy every request comes from the proxy's address. With the proxy in
TRUSTED_PROXIES, the rate limits, the staff lockout (django-axes) and the audit log all count
the client its X-Forwarded-For names; from anyone else that header changes nothing.

(The test client's REMOTE_ADDR is 127.0.0.1: the proxy here. tests/security/test_nginx_proxy.py
does the same through a real nginx.)"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client

from screening.models import AuditEvent
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"
LOGIN_URL = "/staff/account/login/"
VERIFY_URL = "/staff/account/verify/"


def _behind_proxy(client_address: str) -> Client:
    """A browser behind the proxy: the proxy connects, and appends the browser's address."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]


@pytest.fixture
def limit(settings):
    settings.INTAKE_RATE_LIMIT = "1/10m"


def _sign_in(client: Client, username: str, password: str = STAFF_PASSWORD):
    return client.post(LOGIN_URL, {"username": username, "password": password})


# --- Rate limits ------------------------------------------------------------------------------


def test_two_patients_behind_the_proxy_have_their_own_counters(behind_proxy, limit):
    first, second = _behind_proxy("203.0.113.5"), _behind_proxy("203.0.113.6")
    assert first.post("/").status_code == 302
    assert first.post("/").status_code == 429
    assert second.post("/").status_code == 302


def test_without_the_setting_everyone_behind_the_proxy_shares_one_counter(limit):
    assert _behind_proxy("203.0.113.5").post("/").status_code == 302
    assert _behind_proxy("203.0.113.6").post("/").status_code == 429


def test_a_forged_header_from_outside_the_proxies_does_not_reset_the_counter(behind_proxy, limit):
    outside = "198.51.100.20"
    assert (
        Client(REMOTE_ADDR=outside, HTTP_X_FORWARDED_FOR="203.0.113.7").post("/").status_code == 302
    )
    forged = Client(REMOTE_ADDR=outside, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert forged.post("/").status_code == 429


def test_a_forged_entry_left_of_the_proxys_does_not_reset_the_counter(behind_proxy, limit):
    assert _behind_proxy("203.0.113.5").post("/").status_code == 302
    forged = _behind_proxy("203.0.113.6, 203.0.113.5")  # the browser sent "203.0.113.6"
    assert forged.post("/").status_code == 429


# --- Staff sign-in lockout (django-axes) -----------------------------------------------------


def test_wrong_passwords_behind_the_proxy_lock_out_that_client_only(
    behind_proxy, clinician, receptionist
):
    attacker, colleague = _behind_proxy("203.0.113.5"), _behind_proxy("203.0.113.6")
    statuses = [
        _sign_in(attacker, "clinician", "wrong").status_code
        for _ in range(django_settings.AXES_FAILURE_LIMIT)
    ]

    assert statuses[-1] == 429
    assert _sign_in(attacker, "receptionist").status_code == 429  # the address is locked
    assert _sign_in(colleague, "receptionist")["Location"] == VERIFY_URL
    assert _sign_in(colleague, "clinician")["Location"] == VERIFY_URL
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


def test_without_the_setting_wrong_passwords_lock_out_everyone_behind_the_proxy(
    clinician, receptionist
):
    attacker, colleague = _behind_proxy("203.0.113.5"), _behind_proxy("203.0.113.6")
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(attacker, "clinician", "wrong")

    assert _sign_in(colleague, "receptionist").status_code == 429


def test_a_forged_header_does_not_escape_a_lockout(behind_proxy, clinician, receptionist):
    outside = "198.51.100.20"
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        forged = Client(REMOTE_ADDR=outside, HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}")
        _sign_in(forged, "clinician", "wrong")

    forged = Client(REMOTE_ADDR=outside, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert _sign_in(forged, "receptionist").status_code == 429


# --- The audit log ------------------------------------------------------------------------------


def test_the_audit_log_records_the_client_behind_the_proxy(behind_proxy, clinician):
    _sign_in(_behind_proxy("203.0.113.5"), "clinician", "wrong")

    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.ip_address == "203.0.113.5"
