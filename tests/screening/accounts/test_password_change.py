"""Staff self-service (issue 12): a signed-in staff member changes their own password with
the current one, and new backup codes ask for the password again. A wrong current
password counts towards the lockout like a wrong password at sign-in."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from screening.models import AuditEvent
from tests.conftest import STAFF_PASSWORD, signed_in

pytestmark = pytest.mark.django_db

PASSWORD_URL = "/staff/account/password/"
BACKUP_CODES_URL = "/staff/account/backup-codes/"
LOGIN_URL = "/staff/account/login/"
NEW = "my own new passphrase 9"


def change(client: Client, current: str = STAFF_PASSWORD, new: str = NEW):
    return client.post(
        PASSWORD_URL,
        {"old_password": current, "new_password1": new, "new_password2": new},
    )


def test_the_page_needs_a_verified_sign_in(client, clinician):
    assert client.get(PASSWORD_URL)["Location"].startswith(LOGIN_URL)
    client.force_login(clinician)  # a password, no second factor
    assert change(client)["Location"].startswith(LOGIN_URL)
    clinician.refresh_from_db()
    assert clinician.check_password(STAFF_PASSWORD)


def test_every_staff_page_links_to_it(receptionist_client):
    assert PASSWORD_URL in receptionist_client.get("/staff/").content.decode()


def test_change_with_the_current_password_keeps_this_session_and_ends_the_others(
    receptionist, receptionist_client
):
    other_browser = signed_in(Client(), receptionist)

    response = change(receptionist_client)

    assert response["Location"] == PASSWORD_URL
    receptionist.refresh_from_db()
    assert receptionist.check_password(NEW)
    page = receptionist_client.get(PASSWORD_URL)
    assert page.status_code == 200  # still signed in and verified
    assert "Your password has been changed." in page.content.decode()
    assert other_browser.get("/staff/")["Location"].startswith(LOGIN_URL)
    [event] = AuditEvent.objects.filter(what="account.password")
    assert (event.actor, event.action, event.object_type, event.object_id) == (
        receptionist,
        "change",
        "user",
        str(receptionist.pk),
    )
    assert (event.detail, event.ip_address) == ({"how": "own"}, "127.0.0.1")
    assert NEW not in str(event.detail) and STAFF_PASSWORD not in str(event.detail)


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failure(
    receptionist, receptionist_client
):
    response = change(receptionist_client, current="not my password at all")

    assert response.status_code == 200
    receptionist.refresh_from_db()
    assert receptionist.check_password(STAFF_PASSWORD)
    assert not AuditEvent.objects.filter(what="account.password").exists()
    [failed] = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert failed.actor == receptionist
    assert failed.detail["stage"] == "password_confirm"


def test_a_new_password_must_pass_the_validators(receptionist, receptionist_client):
    response = change(receptionist_client, new="short")

    assert response.status_code == 200
    receptionist.refresh_from_db()
    assert receptionist.check_password(STAFF_PASSWORD)


def test_guessing_the_current_password_locks_out_and_signs_out(receptionist_client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert change(receptionist_client, current="guess").status_code == 200

    last = change(receptionist_client, current="guess")

    assert last.status_code == 429
    assert receptionist_client.get("/staff/")["Location"].startswith(LOGIN_URL)
    logout = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert logout.detail == {"reason": "locked_out"}


# --- new backup codes ask for the password again --------------------------------------------


@pytest.fixture
def old_codes(clinician) -> list[str]:
    device = StaticDevice.objects.create(user=clinician, name="Backup codes", confirmed=True)
    codes = ["aaaa2222", "bbbb3333"]
    for code in codes:
        device.token_set.create(token=code)
    return codes


def test_new_backup_codes_without_the_password_are_refused(clinician_client, old_codes):
    page = clinician_client.get(BACKUP_CODES_URL).content.decode()
    response = clinician_client.post(BACKUP_CODES_URL)

    assert 'name="password"' in page
    assert response.status_code == 200
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old_codes)
    assert not AuditEvent.objects.filter(what="account.backup_codes").exists()


def test_new_backup_codes_with_a_wrong_password_are_refused_and_counted(
    clinician_client, clinician, old_codes
):
    response = clinician_client.post(BACKUP_CODES_URL, {"password": "wrong guess"})

    assert response.status_code == 200
    assert "That is not your current password." in response.content.decode()
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old_codes)
    [failed] = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert (failed.actor, failed.detail["stage"]) == (clinician, "password_confirm")


def test_new_backup_codes_with_the_password(clinician_client, old_codes):
    response = clinician_client.post(BACKUP_CODES_URL, {"password": STAFF_PASSWORD})

    assert response["Location"] == BACKUP_CODES_URL
    assert not StaticToken.objects.filter(token__in=old_codes).exists()
    assert StaticToken.objects.count() == 10
